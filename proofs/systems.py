"""The modelled systems: one entry per piece of Xen code ptprove checks.

A system is a module that says which versions it models, which obligations it
checks, and how it decides them.  `ptprove prove`, `list`, the expectations
file and the reports all go through this table, so a new model (the p2m, Arm's
xen_pt_update, the fixmap layout) is one line here plus its own module.

A system module exposes:
  VARIANT_CLASSES: dict[str, type]   version name -> model class (with `.source`,
                                     methods cited with `@follows`)
  SYSTEM_OBLIGATIONS: dict[str, O]   obligation id -> object with `.statement`,
                                     `.where` (file:line) and `.informative`
  run_system(variants, obligations, settings, progress) -> list[Result]
                                     decide each (version, obligation) pair;
                                     `progress(done, total, label)` may be None
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Callable, Optional, Sequence

from proofs.errors import UsageError


@dataclass(frozen=True)
class System:
    id: str
    title: str
    module: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    @property
    def variants(self) -> dict[str, type]:
        return self.load().VARIANT_CLASSES

    @property
    def obligations(self) -> dict:
        return self.load().SYSTEM_OBLIGATIONS

    def run(self, variants: Sequence[str], obligations: Sequence[str], settings,
            progress: Optional[Callable[[int, int, str], None]] = None) -> list:
        return self.load().run_system(list(variants), list(obligations), settings, progress)


#: report order; a version may belong to several systems (encodings + its state machine)
SYSTEMS: tuple[System, ...] = (
    System("encodings", "PTE predicates against the architecture's encodings", "proofs.encodings"),
    System("riscv-pt", "RISC-V hypervisor page tables (pt.c)", "proofs.engine"),
    System("arm-pt", "Arm hypervisor page tables (mmu/pt.c xen_pt_update)", "proofs.arm_pt"),
    System("riscv-fixmap", "RISC-V fixmap: layout, setup_fixmap_mappings, set/clear_fixmap", "proofs.fixmap"),
    System("p2m", "RISC-V p2m / G-stage and Arm p2m", "proofs.p2m.system"),
)


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
