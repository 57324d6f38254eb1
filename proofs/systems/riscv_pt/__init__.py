"""System `riscv-pt`: RISC-V hypervisor page tables (xen/arch/riscv/pt.c).

theorem.py   what must hold (read first)      contract.py  what callers may pass
machine.py   the machine the engine decides   versions.py  the modelled versions
vectors.py   counterexample vectors           show.py      their rendering
mutants.py   the mutation catalogue           trace.py     decoded traces
"""
from proofs.systems.riscv_pt.theorem import OBLIGATIONS
from proofs.systems.riscv_pt.versions import VERSIONS

ID = "riscv-pt"
TITLE = "RISC-V hypervisor page tables (pt.c)"
VECTORS = "proofs.systems.riscv_pt.plugin"

__all__ = ["ID", "TITLE", "VECTORS", "VERSIONS", "OBLIGATIONS"]
