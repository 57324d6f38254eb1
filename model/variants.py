"""The registry of modelled versions: name -> class."""
from __future__ import annotations

from model.riscv.pt_upstream import RiscvPtUpstream
from model.riscv.pt_v5 import RiscvPtV5
from model.riscv.pt_v9 import RiscvPtV9

VARIANTS: dict[str, type] = {
    cls.name: cls for cls in (RiscvPtV5, RiscvPtV9, RiscvPtUpstream)
}


class UnknownVariant(ValueError):
    pass


def get_variant(name: str):
    try:
        return VARIANTS[name]()
    except KeyError:
        raise UnknownVariant(
            f"unknown variant {name!r} (known: {', '.join(sorted(VARIANTS))})"
        ) from None
