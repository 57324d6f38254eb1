"""`refine(version, c_source)`: every refinement obligation of one version's pt.c."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from model.riscv.machine import Geometry
from model.riscv.pte import SV39
from proofs.systems.riscv_pt.versions import VERSIONS as MODELS
from proofs.errors import require_known
from proofs.refine import obligations as ob
from proofs.refine.check import prove
from proofs.refine.sources import (
    DEFAULT_XEN,
    HEADER_PREFIX,
    PREDICATES,
    SEED_000,
    lift_c,
    lift_header,
    versions_at_hand,
)
from proofs.engine.result import Result


VERSIONS = ("riscv-pt-v5", "riscv-pt-v9", "riscv-pt-upstream")


def setup_for(version: str, c_source: Path, cc: Optional[str] = None, geo: Optional[Geometry] = None,
              against: Optional[str] = None) -> ob.Setup:
    """`c_source` compiled with `version`'s shim flavour, against the model `against`
    (default: the same version; another one asks what the C does differently)."""
    require_known("variant", [version, against or version], VERSIONS)
    geo = geo or Geometry(SV39)
    model = MODELS[against or version]()
    model.geo = geo
    header = lift_header(version, c_source, cc)
    return ob.Setup(against or version, lift_c(c_source, version, cc), model, geo, c_version=version,
                    header=header[0] if header else None)


def obligations(setup: ob.Setup) -> list[ob.Obligation]:
    """Per function, then pt_update's loop step and the entry points' prologues."""
    from proofs.refine import steps
    own = [ob.pte_predicate(n, setup) for n in PREDICATES
           if setup.header is not None and f"{HEADER_PREFIX}{n}" in setup.header.module.functions]
    return [*(ob.pte_predicate(n) for n in PREDICATES), *own, ob.check_entry(setup), ob.mapping_level(setup),
            ob.next_level(setup), ob.create_table(setup), ob.update_entry(setup),
            *steps.step_obligations(setup)]


def refine(version: str, c_source: Path, *, solver: str = "z3", timeout_ms: int = 60_000,
           cc: Optional[str] = None, only: Optional[Sequence[str]] = None,
           rlimit: Optional[int] = None, against: Optional[str] = None,
           drop: Sequence[str] = (), minimize: bool = False) -> list[Result]:
    """Prove, obligation by obligation, that `c_source` (a pt.c) does what `version`'s model
    does (or the model `against`)."""
    setup = setup_for(version, Path(c_source), cc, against=against)
    obs = obligations(setup)
    if only:
        require_known("operation", only, [o.operation for o in obs])
        obs = [o for o in obs if o.operation in only]
    return [prove(setup, o, solver, timeout_ms, rlimit, drop=drop, minimize=minimize) for o in obs]


def at_hand(xen: Path = DEFAULT_XEN, seed: Path = SEED_000, scratch: Optional[Path] = None) -> dict[str, Path]:
    """version -> pt.c for each riscv-pt version whose C is on this machine."""
    return versions_at_hand(xen, seed, scratch)
