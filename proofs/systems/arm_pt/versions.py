"""The modelled versions of Arm's mmu/pt.c: name -> model class (one line each);
`<version>@any`, the same model under the `any` caller contract (`proofs/systems/contracts.py`)."""
from __future__ import annotations

from typing import Optional

from model.arm.pt import ArmPtRfc, ArmPtUpstream
from proofs.systems import contracts

VERSIONS: dict[str, type] = {c.name: c for c in (ArmPtRfc, ArmPtUpstream)}


def model_class(name: str) -> Optional[type]:
    """A version's model class, or `<version>@any`'s."""
    return contracts.model_class(VERSIONS, name)
