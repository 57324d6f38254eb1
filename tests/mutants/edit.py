"""One behaviour-changing edit to the production code, as text.

An edit is (file, exact old text, new text).  The file is where the text was
when the edit was written; if the text is no longer there (the module moved
into a package, say) the edit follows it to the one production file that
holds it.  When no file, or more than one, holds it, the edit says so ("target
text not found") instead of silently mutating nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: where production code lives (the only places an edit may follow its text to)
PRODUCTION = ("model", "proofs", "counterexamples")
SUFFIXES = (".py", ".json", ".c", ".h")


class TargetNotFound(Exception):
    """The edit's old text does not occur exactly once in one production file."""


@dataclass(frozen=True)
class Edit:
    id: str
    file: str  # relative to the repository root: where the old text was written against
    old: str  # exact text, occurring exactly once in its file
    new: str
    tests: tuple[str, ...]  # pytest paths / node ids that should catch it
    what: str  # the behaviour it changes, in words
    equivalent: str = ""  # why no test can catch it (an equivalent edit), if so

    def locate(self, root: Path) -> Path:
        """The file holding the old text exactly once: `file`, else the one production file that does."""
        path = root / self.file
        if path.is_file() and path.read_text(encoding="utf-8").count(self.old) == 1:
            return path
        hits = [p for d in PRODUCTION for p in sorted((root / d).rglob("*"))
                if p.suffix in SUFFIXES and p.is_file() and self.old in p.read_text(encoding="utf-8")]
        count = hits[0].read_text(encoding="utf-8").count(self.old) if len(hits) == 1 else 0
        if count == 1:
            return hits[0]
        where = ("not found" if not hits else f"found {count} times in {hits[0].relative_to(root)}"
                 if count else f"found in {len(hits)} files")
        where += "" if not hits else " (it must be unique)"
        raise TargetNotFound(f"{self.id}: target text {where} (written against {self.file}): {self.old[:60]!r}")

    def apply(self, root: Path) -> tuple[Path, str]:
        """Write the edit; returns (the file, its original text) for restore."""
        path = self.locate(root)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(self.old, self.new), encoding="utf-8")
        return path, text

    @staticmethod
    def restore(applied: tuple[Path, str]) -> None:
        path, text = applied
        path.write_text(text, encoding="utf-8")
