"""One behaviour-changing edit to the production code, as text.

An edit is (file, exact old text, new text): it keeps working when modules
move or are rewritten around it, and when the old text is gone it says so
("target text not found") instead of silently mutating nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class TargetNotFound(Exception):
    """The edit's old text does not occur exactly once in its file."""


@dataclass(frozen=True)
class Edit:
    id: str
    file: str  # relative to the repository root
    old: str  # exact text, occurring exactly once in the file
    new: str
    tests: tuple[str, ...]  # pytest paths / node ids that should catch it
    what: str  # the behaviour it changes, in words
    equivalent: str = ""  # why no test can catch it (an equivalent edit), if so

    def check(self, root: Path) -> str:
        """The file's text, if the old text occurs in it exactly once; else TargetNotFound."""
        path = root / self.file
        if not path.is_file():
            raise TargetNotFound(f"{self.id}: target file {self.file} not found")
        text = path.read_text(encoding="utf-8")
        count = text.count(self.old)
        if count != 1:
            where = "not found" if count == 0 else f"found {count} times (must be unique)"
            raise TargetNotFound(f"{self.id}: target text {where} in {self.file}: {self.old[:60]!r}")
        return text

    def apply(self, root: Path) -> str:
        """Write the edit into root/file; returns the original text (for restore)."""
        text = self.check(root)
        (root / self.file).write_text(text.replace(self.old, self.new), encoding="utf-8")
        return text

    def restore(self, root: Path, original: str) -> None:
        (root / self.file).write_text(original, encoding="utf-8")
