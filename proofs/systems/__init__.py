"""The registry of modelled systems: one package per piece of Xen code ptprove checks.

Every system package has the same files, so a reader opens the same file in
each to find the same thing:

    theorem.py    what must hold: the obligations and the lemmas (read first)
    contract.py   what callers may pass
    machine.py    the machine the engine decides (`machine(version, settings)`)
    versions.py   the modelled versions: `VERSIONS`, name -> model class
    vectors.py    counterexample vectors (and show.py, their rendering)
    mutants.py    the mutation catalogue

and exports `ID`, `TITLE`, `VERSIONS`, `OBLIGATIONS` (and `machine`, `VECTORS`
where it has them) from its `__init__.py`.  Adding a version is one class in
`model/` and one line in its system's `versions.py`; adding a system is a
package and one line below: the engine (`proofs/engine/`) never changes.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Callable, Optional, Sequence

from proofs.errors import UsageError, require_known


@dataclass(frozen=True)
class System:
    id: str
    module: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    @property
    def title(self) -> str:
        return self.load().TITLE

    @property
    def variants(self) -> dict[str, type]:
        return self.load().VERSIONS

    @property
    def obligations(self) -> dict:
        return self.load().OBLIGATIONS

    def run(self, variants: Sequence[str], obligations: Sequence[str], settings,
            progress: Optional[Callable[[int, int, str], None]] = None) -> list:
        from proofs.engine.decide import decide

        require_known("variant", variants, self.variants)
        require_known("invariant", obligations, self.obligations)
        return decide(self.module, list(variants), list(obligations), settings, progress)

    def decision(self, variants: Sequence[str], obligations: Sequence[str], settings, pool, rank: int = 0):
        """`run`'s work submitted to a pool shared with other systems; `.results(progress)` waits for it."""
        from proofs.engine.decide import Decision

        require_known("variant", variants, self.variants)
        require_known("invariant", obligations, self.obligations)
        return Decision(self.module, list(variants), list(obligations), settings, pool, rank)


#: report order; a version may belong to several systems (encodings + its state machine)
SYSTEMS: list[System] = [
    System("encodings", "proofs.systems.encodings"),
    System("riscv-pt", "proofs.systems.riscv_pt"),
    System("arm-pt", "proofs.systems.arm_pt"),
    System("riscv-fixmap", "proofs.systems.riscv_fixmap"),
    System("p2m", "proofs.systems.p2m"),
]


def system(sid: str) -> System:
    for s in SYSTEMS:
        if s.id == sid:
            return s
    raise UsageError(f"unknown system {sid!r} (known: {', '.join(s.id for s in SYSTEMS)})")


@lru_cache(maxsize=None)
def all_variants() -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for s in SYSTEMS for v in s.variants))


@lru_cache(maxsize=None)
def all_obligations() -> tuple[str, ...]:
    return tuple(dict.fromkeys(o for s in SYSTEMS for o in s.obligations))


def home(variant: str) -> str:
    """The system whose report table shows this version: its own model, not the
    shared encoding checks, unless the encodings are all there is."""
    owners = [s.id for s in SYSTEMS if variant in s.variants]
    rest = [o for o in owners if o != "encodings"]
    return (rest or owners or ["?"])[0]


def obligation(oid: str, variant: str):
    """The obligation object `oid` means for this version."""
    for s in SYSTEMS:
        if variant in s.variants and oid in s.obligations:
            return s.obligations[oid]
    return None
