"""System `riscv-fixmap`: the RISC-V virtual layout, setup_fixmap_mappings and
set/clear_fixmap (xen/arch/riscv/mm.c, include/asm/fixmap.h, config.h).

theorem.py  what must hold (read first)       machine.py  the machine the engine decides
versions.py the modelled versions
vectors.py  vectors (boundary scenarios: regression.py) from the boot state
"""
from proofs.systems.riscv_fixmap.theorem import OBLIGATIONS
from proofs.systems.riscv_fixmap.versions import VERSIONS

ID = "riscv-fixmap"
TITLE = "RISC-V fixmap: layout, setup_fixmap_mappings, set/clear_fixmap"
VECTORS = "proofs.systems.riscv_fixmap.vectors"

__all__ = ["ID", "TITLE", "VECTORS", "VERSIONS", "OBLIGATIONS"]
