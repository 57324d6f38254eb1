"""`riscv-pt-v9`: the first merged version, xen-project/xen commit 557b7f1b9a.

Differs from upstream only where later commits changed the code (see each
override's citation).
"""
from __future__ import annotations

from model.riscv.pt_upstream import RiscvPtUpstream

V9 = "xen-project/xen@557b7f1b9a xen/arch/riscv/pt.c"


class RiscvPtV9(RiscvPtUpstream):
    name = "riscv-pt-v9"
    source = "xen-project/xen@557b7f1b9a (v9 of 'xen/riscv: page table handling', as merged)"
