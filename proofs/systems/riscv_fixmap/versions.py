"""The modelled versions of the RISC-V fixmap: name -> model class (one line each)."""
from model.riscv.fixmap import RiscvFixmapUpstream, RiscvFixmapV5

VERSIONS: dict[str, type] = {c.name: c for c in (RiscvFixmapV5, RiscvFixmapUpstream)}
