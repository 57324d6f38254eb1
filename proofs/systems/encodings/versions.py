"""The versions whose PTE predicates are checked: every riscv-pt version, and Arm's LPAE."""
from model.arm.lpae import ArmLpae
from proofs.systems.riscv_pt.versions import VERSIONS as RISCV_PT

VERSIONS: dict[str, type] = {**RISCV_PT, ArmLpae.name: ArmLpae}
