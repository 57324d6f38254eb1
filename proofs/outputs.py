"""Output paths: checked before any work starts, written with one-line errors.

A run that would fail to write its report only after 15 minutes of proving
loses the work; so every output a command names (`--json`, `--junit`,
`--vectors`, `--out`, `--svg`, ...) is probed first: its directory is created,
and a file that does not exist yet is created and removed again (a file that
exists is opened for appending, which leaves it unchanged).  Any `OSError`,
then or later, is a `UsageError` naming the option and the path.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional

from proofs.errors import UsageError


def cannot(flag: str, path: str | Path, e: OSError) -> UsageError:
    """The one-line error for an output that cannot be written."""
    return UsageError(f"{flag} {path}: cannot write: {e.strerror or e}")


def check_file(path: Optional[str], flag: str) -> None:
    """Raise UsageError unless `path` (if given) can be created or overwritten."""
    if not path:
        return
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{flag} {path}: is a directory, a file is expected")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.exists():
            with open(p, "a", encoding="utf-8"):
                pass
        else:
            with open(p, "x", encoding="utf-8"):
                pass
            p.unlink()
    except OSError as e:
        raise cannot(flag, path, e) from None


def check_dir(path: Optional[str], flag: str) -> None:
    """Raise UsageError unless `path` (if given) is, or can be made, a directory
    in which files can be created."""
    if not path:
        return
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{flag} {path}: not a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=p, prefix=".ptprove-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise cannot(flag, path, e) from None


def write_text(path: str | Path, text: str, flag: str) -> None:
    """Write `text` to `path` (its directory created); an OSError is one UsageError line."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    except OSError as e:
        raise cannot(flag, path, e) from None
