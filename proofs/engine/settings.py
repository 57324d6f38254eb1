"""The knobs of one run, as `ptprove prove` takes them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Settings:
    """What every system is decided with.  `mode` and `pool` are the page-table
    systems' geometry; a system that fixes its own says so in its bounds."""

    solver: str = "z3"  # step, initial-state and query obligations (and the models a CTI needs)
    search_solver: str = "bitwuzla"  # the BMC search from the initial state: it wins there (make bench)
    timeout_ms: int = 300_000
    depth: int = 6  # BMC bound, in atomic steps (a call's prologue or one loop iteration)
    mode: str = "sv39"
    pool: int = 4
    jobs: int = 0  # 0: one per core; 1: in this process (no pool)
    rlimit: Optional[int] = None  # z3's deterministic resource limit per query
    xen_src: Optional[str] = None  # a Xen tree with the C the models follow (default ../shared/xen)
    c_source: Optional[str] = None  # one C file, for the one version selected
    certificates: Optional[str] = None  # a vectors directory whose committed traces are replayed first
    scheduler: Optional[str] = None  # a dask.distributed scheduler address, or "local" (a LocalCluster)
    by_case: bool = True  # False: every step query asked whole (the bench's baseline)
    # lifted C files that are versions of their own: (path, name, base) each, the base being the
    # version whose header, contract and expected verdicts the C takes (`prove --c-source`, `--lifted-c`)
    c_versions: tuple[tuple[str, str, str], ...] = ()
    # the caller contracts each version is decided under (`proofs/engine/callers.py`): presets is
    # each system's own contract, any every value the entry points' C signatures admit
    callers: tuple[str, ...] = ("presets",)
    # a previous JSON report whose per-obligation times order the jobs, longest first
    # (`proofs/engine/estimates.py`; `prove --json FILE` reads FILE before overwriting it)
    estimates: Optional[str] = None
    # entries per p2m table in its state-machine obligations (0: the system's reduced default,
    # 2; Xen has 512: `make sweep`'s p2m-wide configuration, proofs/systems/p2m/machine.py)
    p2m_entries: int = 0
    # also the refinement units make prove leaves out for their time (p2m_set_entry at levels 1
    # and 0, a superpage split on the way: proofs/refine/p2m.py SLOW_LEVELS; make sweep's
    # p2m-refines-deep configuration)
    deep_refines: bool = False
