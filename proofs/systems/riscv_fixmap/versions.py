"""The modelled versions of the RISC-V fixmap: name -> model class (one line each);
`<version>@any`, the same model under the `any` caller contract (`proofs/systems/contracts.py`)."""
from __future__ import annotations

from typing import Optional

from model.riscv.fixmap import RiscvFixmapUpstream, RiscvFixmapV5
from proofs.systems import contracts

VERSIONS: dict[str, type] = {c.name: c for c in (RiscvFixmapV5, RiscvFixmapUpstream)}


def model_class(name: str) -> Optional[type]:
    """A version's model class, or `<version>@any`'s."""
    return contracts.model_class(VERSIONS, name)
