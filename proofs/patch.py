"""A patch as posted: the unified diffs in an mbox, `git format-patch` output or a
mailing-list archive page's text, and their application to a copy of a tree.

Pure Python (nothing outside the standard library): `read(text)` finds each
message's subject and every file's hunks; `apply(patch, base, dest)` copies the
base tree and applies the hunks file by file, the way `patch` does without fuzz
(each hunk at its line, or the nearest place where its old lines are, ignoring
trailing blanks, which archive pages drop).  A hunk that applies nowhere is kept
as a `Rejected` for the caller to judge; nothing is guessed.
"""
from __future__ import annotations

import email
import email.header
import email.policy
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from proofs.errors import UsageError

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
GIT_DIFF = re.compile(r"^diff --git (\S+) (\S+)\s*$")
MBOX_FROM = re.compile(r"^From \S+ .*\d{4}\s*$")


@dataclass
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: list[str]  # each with its ' ', '-' or '+'
    header: str  # the @@ line, as written

    @property
    def old(self) -> list[str]:
        return [ln[1:] for ln in self.lines if ln[0] in " -"]

    @property
    def new(self) -> list[str]:
        return [ln[1:] for ln in self.lines if ln[0] in " +"]


@dataclass
class FileDiff:
    old_path: Optional[str]  # None: a new file (--- /dev/null)
    new_path: Optional[str]  # None: a deleted file
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or "?"


@dataclass
class Patch:
    subject: str
    files: list[FileDiff]

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(f.path for f in self.files))


@dataclass
class Rejected:
    """A hunk that applies nowhere in the base file (or a file the base tree lacks)."""

    path: str
    number: int  # 1-based, in the file's diff
    header: str
    why: str

    def line(self) -> str:
        return f"{self.path}: hunk {self.number} ({self.header.strip()}) {self.why}"


@dataclass
class Applied:
    """What `apply` did: the files written (path -> how), and the hunks rejected."""

    root: Path
    written: dict[str, str] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)

    def rejected_in(self, path: str) -> list[Rejected]:
        return [r for r in self.rejected if r.path == path]


# ---------------------------------------------------------------------------
# reading

def _strip(path: str) -> Optional[str]:
    """`a/xen/x.c` -> `xen/x.c`; `/dev/null` -> None."""
    path = path.split("\t")[0].strip()
    if path == "/dev/null":
        return None
    return path[2:] if path[:2] in ("a/", "b/") else path


def _decode_header(value: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (email.errors.HeaderParseError, LookupError, UnicodeDecodeError):
        return value


def _messages(text: str) -> list[tuple[str, str]]:
    """(subject, body text) of each message of an mbox / format-patch file; a text
    that is not mail (an archive page) is one message whose subject is its title."""
    lines = text.splitlines(keepends=True)
    head = next((ln for ln in lines if ln.strip()), "")
    is_mail = MBOX_FROM.match(head.rstrip("\n")) or re.match(r"^[\w-]+: ", head)
    if not is_mail:
        return [(_page_title(text), text)]
    chunks, cur = [], []
    for ln in lines:
        if MBOX_FROM.match(ln.rstrip("\n")) and cur:
            chunks.append("".join(cur))
            cur = []
        cur.append(ln)
    chunks.append("".join(cur))
    out = []
    for chunk in chunks:
        if MBOX_FROM.match(chunk.split("\n", 1)[0]):
            chunk = chunk.split("\n", 1)[1] if "\n" in chunk else ""
        msg = email.message_from_string(chunk, policy=email.policy.compat32)
        subject = " ".join(_decode_header(msg.get("Subject", "")).split())
        parts = [p for p in msg.walk() if not p.is_multipart()
                 and p.get_content_type() in ("text/plain", "text/x-patch", "text/x-diff")]
        bodies = []
        for p in parts:
            raw = p.get_payload(decode=True)
            if raw is None:
                bodies.append(str(p.get_payload()))
                continue
            charset = p.get_content_charset() or "utf-8"
            try:
                bodies.append(raw.decode(charset, errors="replace"))
            except LookupError:
                bodies.append(raw.decode("utf-8", errors="replace"))
        out.append((subject, "\n".join(bodies)))
    return out


def _page_title(text: str) -> str:
    """An archive page's patch title: its first `[...]`-tagged line, else its first line
    that is not the archive's own furniture."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    tagged = next((ln for ln in lines[:20] if ln.startswith("[") and "]" in ln), None)
    if tagged:
        return tagged
    return next((ln for ln in lines if ln.lower() not in ("diff mbox series", "patch")), "")


def _diffs(body: str, where: str) -> list[FileDiff]:
    """Every file diff in `body`, hunks counted out by their headers' lengths."""
    lines = body.splitlines()
    files: list[FileDiff] = []
    i = 0
    pending: Optional[FileDiff] = None  # after `diff --git`, before its ---/+++ lines
    while i < len(lines):
        ln = lines[i]
        m = GIT_DIFF.match(ln)
        if m:
            pending = FileDiff(_strip(m.group(1)), _strip(m.group(2)))
            files.append(pending)
            i += 1
            continue
        if ln.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old, new = _strip(ln[4:]), _strip(lines[i + 1][4:])
            if pending is not None and not pending.hunks:
                pending.old_path, pending.new_path = old, new
            else:
                pending = FileDiff(old, new)
                files.append(pending)
            i += 2
            continue
        m = HUNK.match(ln)
        if m and pending is not None:
            i = _hunk(lines, i, m, pending, where)
            continue
        if pending is not None and pending.hunks and not ln.startswith(("new file mode", "deleted file mode",
                                                                         "index ", "similarity", "rename ")):
            pending = None  # the diff is over (a signature, the thread's text)
        i += 1
    return files


def _hunk(lines: list[str], i: int, m: re.Match, f: FileDiff, where: str) -> int:
    old_len = int(m.group(2)) if m.group(2) is not None else 1
    new_len = int(m.group(4)) if m.group(4) is not None else 1
    hunk = Hunk(int(m.group(1)), old_len, int(m.group(3)), new_len, [], lines[i])
    olds = news = 0
    j = i + 1
    while olds < old_len or news < new_len:
        if j >= len(lines):
            raise UsageError(f"{where}: {f.path}: hunk {len(f.hunks) + 1} ({lines[i].strip()}) is cut "
                             f"short: the patch ends after {olds} of {old_len} old and {news} of "
                             f"{new_len} new lines")
        ln = lines[j]
        tag = ln[:1] or " "  # an archive page drops a blank context line's space
        if tag == "\\":  # "\ No newline at end of file"
            j += 1
            continue
        if tag not in " +-":
            raise UsageError(f"{where}: {f.path}: hunk {len(f.hunks) + 1} ({lines[i].strip()}): line "
                             f"{j + 1} of the patch is not a diff line after {olds} of {old_len} old and "
                             f"{news} of {new_len} new lines: {ln[:40]!r}")
        olds += tag in " -"
        news += tag in " +"
        if olds > old_len or news > new_len:
            raise UsageError(f"{where}: {f.path}: hunk {len(f.hunks) + 1} ({lines[i].strip()}) has more "
                             f"lines than its header counts (line {j + 1} of the patch)")
        hunk.lines.append(tag + ln[1:])
        j += 1
    while j < len(lines) and lines[j].startswith("\\"):
        j += 1
    f.hunks.append(hunk)
    return j


def read(text: str, where: str = "PATCH") -> Patch:
    """The subject and the file diffs of a patch as posted; no diff at all is a UsageError."""
    subject, files = "", []
    for subj, body in _messages(text):
        found = _diffs(body, where)
        if found and not subject:
            subject = subj
        files += found
    if not files or not any(f.hunks for f in files):
        raise UsageError(f"{where}: no unified diff found (no `@@ -a,b +c,d @@` hunk under a ---/+++ pair)")
    return Patch(subject or "(no subject)", files)


# ---------------------------------------------------------------------------
# applying

def _same(a: str, b: str) -> bool:
    return a.rstrip() == b.rstrip()


def _find(lines: list[str], old: list[str], at: int) -> Optional[int]:
    """Where `old` occurs in `lines`, nearest to `at` first (None: nowhere)."""
    n = len(old)
    limit = len(lines) - n
    for d in range(0, max(at, limit - at) + 1):
        for k in ((at,) if d == 0 else (at - d, at + d)):
            if 0 <= k <= limit and all(_same(lines[k + t], old[t]) for t in range(n)):
                return k
    return None


def apply_file(text: str, f: FileDiff) -> tuple[list[str], list[Rejected]]:
    """`text` with f's hunks applied (each where its old lines are, offset carried
    forward); the hunks that apply nowhere are returned, the others applied."""
    lines = text.splitlines()
    out_rejected = []
    offset = 0
    floor = 0  # hunks apply in order: never before the end of the previous one
    for n, h in enumerate(f.hunks, 1):
        old = h.old
        at = max(floor, h.old_start - 1 + offset) if h.old_len else max(floor, h.old_start + offset)
        k = _find(lines[floor:], old, at - floor) if old else min(at, len(lines)) - floor
        if k is None:
            out_rejected.append(Rejected(f.path, n, h.header, "does not apply: its old lines are not in "
                                         "the base file"))
            continue
        k += floor
        lines[k:k + len(old)] = h.new
        offset = k - (h.old_start - 1) + len(h.new) - len(old) if old else offset + len(h.new)
        floor = k + len(h.new)
    return lines, out_rejected


def apply(patch: Patch, base: Optional[Path], dest: Path) -> Applied:
    """Copy `base` (a Xen tree; None: start empty) to `dest` and apply every file diff there.
    A new file is written from the patch whatever the base has; a file the base lacks
    rejects all its hunks."""
    if base is not None:
        shutil.copytree(base, dest, dirs_exist_ok=True, symlinks=True)
    dest.mkdir(parents=True, exist_ok=True)
    done = Applied(dest)
    for f in patch.files:
        target = dest / f.path
        if f.new_path is None:  # deleted
            if target.is_file():
                target.unlink()
                done.written[f.path] = "deleted"
            else:
                done.rejected += [Rejected(f.path, n, h.header, "deletes a file the base tree lacks")
                                  for n, h in enumerate(f.hunks, 1)]
            continue
        if f.old_path is None:  # a new file: the patch's own lines
            existed = target.is_file()
            target.parent.mkdir(parents=True, exist_ok=True)
            body = [ln for h in f.hunks for ln in h.new]
            target.write_text("\n".join(body) + "\n", encoding="utf-8")
            done.written[f.path] = "new file (replaces the base tree's)" if existed else "new file"
            continue
        source = dest / f.old_path
        if not source.is_file():
            done.rejected += [Rejected(f.path, n, h.header, "is to a file the base tree lacks")
                              for n, h in enumerate(f.hunks, 1)]
            continue
        text = source.read_text(encoding="utf-8", errors="replace")
        lines, rejected = apply_file(text, f)
        done.rejected += rejected
        if len(rejected) < len(f.hunks):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(lines) + ("\n" if text.endswith("\n") or not text else ""),
                              encoding="utf-8")
            done.written[f.path] = ("patched" if not rejected else
                                    f"patched but for {len(rejected)} of {len(f.hunks)} hunks")
    return done
