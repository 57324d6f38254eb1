"""The modelled p2m versions: name -> model class (one line each)."""
from model.arm.p2m import ArmP2MUpstream
from model.riscv.p2m_upstream import RiscvP2MUpstream
from model.riscv.p2m_v2 import RiscvP2MV2
from model.riscv.p2m_v5 import RiscvP2MV5

VERSIONS: dict[str, type] = {
    "riscv-p2m-v2": RiscvP2MV2,
    "riscv-p2m-v5": RiscvP2MV5,
    "riscv-p2m-upstream": RiscvP2MUpstream,
    "arm-p2m-upstream": ArmP2MUpstream,
}
