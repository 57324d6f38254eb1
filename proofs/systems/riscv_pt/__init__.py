"""System `riscv-pt`: RISC-V hypervisor page tables (xen/arch/riscv/pt.c).

theorem.py   what must hold (read first)      contract.py  what callers may pass
machine.py   the machine the engine decides   versions.py  the modelled versions
vectors.py   counterexample vectors           show.py      their rendering
mutants.py   the mutation catalogue           trace.py     decoded traces
lookup.py    what vmap_to_mfn returns      refines.py   each version is what its C does
"""
from proofs.engine.callers import ANY, PRESETS
from proofs.systems.riscv_pt.lookup import VMAP_TO_MFN
from proofs.systems.riscv_pt.refines import REFINES
from proofs.systems.riscv_pt.theorem import OBLIGATIONS as THEOREM
from proofs.systems.riscv_pt.versions import VERSIONS

#: the theorem, what the lookup returns (lookup.py), and that each version refines its C (refines.py)
OBLIGATIONS = {**THEOREM, VMAP_TO_MFN.id: VMAP_TO_MFN, REFINES.id: REFINES}

ID = "riscv-pt"
TITLE = "RISC-V hypervisor page tables (pt.c)"
VECTORS = "proofs.systems.riscv_pt.plugin"



def callers(version: str) -> tuple[str, ...]:
    """The caller contracts a version is decided under (contract.py): both for a modelled
    version, presets only for a lifted pt.c (`callers_missing`)."""
    return (PRESETS,) if hasattr(VERSIONS.get(version), "spec") else (PRESETS, ANY)


def callers_missing(version: str, mode: str) -> str:
    return "the lifted C is cross-checked against its model under presets only (what make prove costs)"


__all__ = ["ID", "TITLE", "VECTORS", "VERSIONS", "OBLIGATIONS", "callers", "callers_missing"]
