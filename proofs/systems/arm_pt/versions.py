"""The modelled versions of Arm's mmu/pt.c: name -> model class (one line each)."""
from model.arm.pt import ArmPtRfc, ArmPtUpstream

VERSIONS: dict[str, type] = {c.name: c for c in (ArmPtRfc, ArmPtUpstream)}
