"""The modelled versions of RISC-V's pt.c: name -> model class.

Adding a patch version is one class in `model/riscv/` that overrides what the
patch changed, and one line here."""
from __future__ import annotations

from typing import Optional

from proofs.systems import contracts

from model.riscv.pt_upstream import RiscvPtUpstream
from model.riscv.pt_v5 import RiscvPtV5
from model.riscv.pt_v9 import RiscvPtV9

VERSIONS: dict[str, type] = {cls.name: cls for cls in (RiscvPtV5, RiscvPtV9, RiscvPtUpstream)}


def model_class(name: str) -> Optional[type]:
    """The model class of a version name: a version's own, or `<version>@any`
    (`proofs/systems/contracts.py`)."""
    return contracts.model_class(VERSIONS, name)
