"""System `p2m`: the RISC-V p2m / G-stage (xen/arch/riscv/p2m.c) and Arm's p2m
(xen/arch/arm/mmu/p2m.c).

theorem.py   what must hold (read first)      contract.py  what callers may pass
machine.py   the machine the engine decides   versions.py  the modelled versions
split.py     p2m_split_superpage at full width
mutants.py   the mutation catalogue           differential.py  random runs judged concretely
vectors.py   counterexample vectors           regression.py    boundary scenarios
c_harness.py p2m.c compiled with the shim, vectors replayed on it
refines.py   the version is what its p2m.c does (proofs/refine/p2m.py, model/c/)
"""
from proofs.engine.callers import ANY, PRESETS
from proofs.systems.p2m.refines import REFINES
from proofs.systems.p2m.theorem import OBLIGATIONS as THEOREM
from proofs.systems.p2m.versions import VERSIONS

ID = "p2m"
TITLE = "RISC-V p2m / G-stage and Arm p2m"
VECTORS = "proofs.systems.p2m.vectors"

OBLIGATIONS = {**THEOREM, REFINES.id: REFINES}



def callers(version: str) -> tuple[str, ...]:
    """The caller contracts every modelled p2m version is decided under (contract.py)."""
    return (PRESETS, ANY)


__all__ = ["ID", "TITLE", "VECTORS", "VERSIONS", "OBLIGATIONS", "callers"]
