"""`refines`: each riscv-pt model version is what its C does, unit by unit.

The C of the version (v5 from seed 000, v9 and upstream from `../shared/xen/`
or `--xen-src DIR`) is lifted from LLVM IR into `model.term` (`model/c/`) and
each unit (the PTE predicates, pt_check_entry, pt_mapping_level, pt_next_level,
create_table, pt_update_entry, one iteration of pt_update's loop, each entry
point's prologue) is proved equal to the model's (`proofs/refine/`).  Each unit
is a member of one query obligation, so it is a result like any other: its
bounds name the C file, its sha256, the compiler and the target; every
assumption is in `extra.assumptions`; a difference is a counterexample decoded
and replayed on both sides.  A version whose C is not at hand has no member.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from proofs.engine.obligation import Member
from proofs.engine.settings import Settings
from proofs.refine.query import member, refines_query, say_missing


@lru_cache(maxsize=8)
def _setup(version: str, c_source: str):
    from proofs.refine.run import obligations, setup_for

    setup = setup_for(version, Path(c_source))
    return setup, obligations(setup)


def c_at_hand(version: str, settings: Settings) -> Optional[Path]:
    """The version's pt.c: `--c-source`, else under the Xen tree (or seed 000 for v5), or None."""
    from proofs.refine.run import VERSIONS, at_hand
    from proofs.refine.sources import DEFAULT_XEN

    if version not in VERSIONS:
        return None
    if settings.c_source:
        return Path(settings.c_source)
    return at_hand(Path(settings.xen_src) if settings.xen_src else DEFAULT_XEN).get(version)


def members(cls, settings: Settings) -> list[Member]:
    spec = getattr(cls, "spec", None)  # the lifted C as a version: its C against its base's model
    if spec is not None:
        setup, obs = _setup(spec.base, spec.path)
        return [_member(setup, ob, settings) for ob in obs]
    c = c_at_hand(cls.name, settings)
    if c is None:
        _say_missing(cls.name, settings)
        return []
    setup, obs = _setup(cls.name, str(c))
    return [_member(setup, ob, settings) for ob in obs]


def _say_missing(version: str, settings: Settings) -> None:
    where = settings.xen_src or "../shared/xen (and seeds/ for v5)"
    say_missing(version, f"no C of {version} at hand under {where}")


def _member(setup, ob, settings: Settings) -> Member:
    return member(setup, ob, settings)


REFINES = refines_query(members)
