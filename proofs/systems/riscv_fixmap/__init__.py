"""System `riscv-fixmap`: the RISC-V virtual layout, setup_fixmap_mappings and
set/clear_fixmap (xen/arch/riscv/mm.c, include/asm/fixmap.h, config.h).

theorem.py  what must hold (read first)       machine.py  the machine the engine decides
versions.py the modelled versions (and `<version>@any`: every value the C signatures admit)
vectors.py  vectors (boundary scenarios: regression.py) from the boot state
"""
from proofs.engine.callers import ANY, PRESETS
from proofs.systems.riscv_fixmap.theorem import OBLIGATIONS
from proofs.systems.riscv_fixmap.versions import VERSIONS

ID = "riscv-fixmap"
TITLE = "RISC-V fixmap: layout, setup_fixmap_mappings, set/clear_fixmap"
VECTORS = "proofs.systems.riscv_fixmap.vectors"


def callers(version: str) -> tuple[str, ...]:
    """Every version is decided under both caller contracts (machine.py `call_ok`)."""
    return (PRESETS, ANY)


__all__ = ["ID", "TITLE", "VECTORS", "VERSIONS", "OBLIGATIONS", "callers"]
