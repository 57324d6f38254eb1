"""`refines`: the p2m model version is what its p2m.c does, unit by unit.

riscv-p2m-upstream's p2m.c (`../shared/xen/upstream/`, or under `--xen-src DIR`) is
lifted from LLVM IR at the bounded model's table width (`proofs/refine/p2m.py`) and
each unit (the PTE and type helpers, p2m_set_type with its metadata page,
p2m_put_page per level, ...) is proved equal to the model's, as riscv-pt's versions
are (`proofs/refine/query.py`).  riscv-p2m-v5 and -v2 are partial patches of p2m.c
(seeds 003, 004: no whole file to compile) and Arm's mmu/p2m.c has no lifter: each
says so in one line and has no member.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from proofs.engine.obligation import Member
from proofs.engine.settings import Settings
from proofs.refine.query import member, refines_query, say_missing
from proofs.systems.p2m.versions import VERSIONS

#: why a version has no C to lift
NO_C = {
    "riscv-p2m-v5": "riscv-p2m-v5's p2m.c is a partial patch (seed 003), not a file to compile",
    "riscv-p2m-v2": "riscv-p2m-v2's p2m.c is a partial patch (seed 004), not a file to compile",
    "arm-p2m-upstream": "Arm's mmu/p2m.c is not lifted (the lifter has RISC-V p2m.c's environment only)",
}
TREE_PATH = Path("upstream") / "xen" / "arch" / "riscv" / "p2m.c"


@lru_cache(maxsize=4)
def _setup(version: str, c_source: str, deep: bool = False):
    from proofs.refine.p2m import obligations, setup_for, slow_obligations

    setup = setup_for(version, Path(c_source))
    return setup, obligations(setup) + (slow_obligations(setup) if deep else [])


def c_at_hand(version: str, settings: Settings) -> Optional[Path]:
    """riscv-p2m-upstream's p2m.c: `--c-source` if it is a p2m.c, else under the Xen tree."""
    from proofs.refine.sources import DEFAULT_XEN

    if version in NO_C:
        return None
    if settings.c_source and Path(settings.c_source).name == "p2m.c":
        return Path(settings.c_source)
    p = (Path(settings.xen_src) if settings.xen_src else DEFAULT_XEN) / TREE_PATH
    return p if p.is_file() else None


def members(cls, settings: Settings) -> list[Member]:
    version = next(n for n, c in VERSIONS.items() if c is cls)
    c = c_at_hand(version, settings)
    if c is None:
        where = settings.xen_src or "../shared/xen"
        say_missing(version, NO_C.get(version, f"no C of {version} at hand under {where}"))
        return []
    setup, obs = _setup(version, str(c), settings.deep_refines)
    return [member(setup, ob, settings) for ob in obs]


REFINES = refines_query(members)
