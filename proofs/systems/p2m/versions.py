"""The modelled p2m versions: name -> model class (one line each)."""
from typing import Optional

from model.arm.p2m import ArmP2MUpstream
from model.riscv.p2m_upstream import RiscvP2MUpstream
from model.riscv.p2m_v2 import RiscvP2MV2
from model.riscv.p2m_v5 import RiscvP2MV5
from proofs.engine import callers

VERSIONS: dict[str, type] = {
    "riscv-p2m-v2": RiscvP2MV2,
    "riscv-p2m-v5": RiscvP2MV5,
    "riscv-p2m-upstream": RiscvP2MUpstream,
    "arm-p2m-upstream": ArmP2MUpstream,
}


def model_class(name: str) -> Optional[type]:
    """A version's model class, or for `<version>@any` the same model under the `any`
    caller contract (`proofs/engine/callers.py`)."""
    return callers.model_class(VERSIONS, name)


def version_name(model) -> str:
    """The name a model instance is decided under (`<version>@any` for the any subclass)."""
    named = getattr(model, "name", None)
    if named:
        return named
    return next(n for n, cls in VERSIONS.items() if type(model) is cls)
