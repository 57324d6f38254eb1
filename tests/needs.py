"""What a test needs from the machine, and what happens when it is missing.

Outside CI a missing prerequisite (the `../shared` folder, a C compiler, a
solver, a C source file) skips the test with a reason naming it.  Under the
CI switch `PTPROVE_REQUIRE_ALL=1` (set by `.ci/run`) the same absence is a
test failure, so a CI run can never go green by skipping.

C sources are read from `../shared/` next to the project (`xen/upstream/`,
`xen/v9/`, `seeds/`), or from the folder the user names in `PTPROVE_SHARED`.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
SWITCH = "PTPROVE_REQUIRE_ALL"
SHARED_VAR = "PTPROVE_SHARED"
#: the Xen tree each version's C comes from, under the shared folder (see ../shared/xen/README.md)
XEN_TREES = {"riscv-pt-upstream": "xen/upstream", "riscv-pt-v9": "xen/v9"}


def strict() -> bool:
    """True under the CI switch: a missing prerequisite fails instead of skipping."""
    return os.environ.get(SWITCH, "") not in ("", "0")


def require(present: object, missing: str) -> None:
    """Go on if `present` is truthy; otherwise skip (or, under the CI switch, fail) saying `missing`."""
    if present:
        return
    if strict():
        pytest.fail(f"{missing} ({SWITCH} is set: a missing prerequisite fails the run)", pytrace=False)
    pytest.skip(missing)


def shared_dir() -> Path:
    """The shared folder: `$PTPROVE_SHARED`, else `../shared` beside the project."""
    given = os.environ.get(SHARED_VAR)
    return Path(given) if given else ROOT.parent / "shared"


def shared_file(relative: str) -> Path:
    """A file of the shared folder, required to exist."""
    p = shared_dir() / relative
    require(p.is_file(), f"{p} is not on this machine (set {SHARED_VAR} to a folder holding {relative})")
    return p


def xen_file(version: str, path: str) -> Path:
    """`path` (e.g. xen/arch/riscv/pt.c) of the Xen tree `version` follows, required to exist."""
    return shared_file(f"{XEN_TREES[version]}/{path}")


def c_compiler(cc: Optional[str] = None) -> Optional[str]:
    """The C compiler the harness uses (`$CC`, required on PATH; else None: zig's, from PyPI)."""
    name = cc or os.environ.get("CC")
    if name is None:
        require(importlib.util.find_spec("ziglang"), "ziglang not installed")
        return None
    require(shutil.which(name), f"no C compiler {name!r} on PATH")
    return name


def solver(name: str) -> str:
    """A solver (z3, cvc5, bitwuzla), required to be importable and, for those pysmt drives, usable."""
    from proofs.engine.solver import SOLVERS, available

    usable = available(name) if name in SOLVERS else importlib.util.find_spec(name) is not None
    require(usable, f"solver {name} is not installed (its pip extra: cvc5, or bench for bitwuzla)")
    return name
