"""System `arm-pt`: Arm's xen_pt_update (xen/arch/arm/mmu/pt.c) with block mappings
and the contiguous hint.

theorem.py  what must hold (read first)       contract.py  what callers may pass
machine.py  the machine the engine decides    versions.py  the modelled versions
vectors.py  counterexample vectors            regression.py  boundary scenarios
c_harness.py mmu/pt.c compiled with the shim, vectors replayed on it
mutants.py  the mutation catalogue (flush range mutants of arm-pt-rfc)
"""
from proofs.engine.callers import ANY, PRESETS
from proofs.systems.arm_pt.theorem import OBLIGATIONS
from proofs.systems.arm_pt.versions import VERSIONS

ID = "arm-pt"
TITLE = "Arm hypervisor page tables (mmu/pt.c xen_pt_update)"
VECTORS = "proofs.systems.arm_pt.vectors"



def callers(version: str) -> tuple[str, ...]:
    """Every version is decided under both caller contracts (contract.py)."""
    return (PRESETS, ANY)


__all__ = ["ID", "TITLE", "VECTORS", "VERSIONS", "OBLIGATIONS", "callers"]
