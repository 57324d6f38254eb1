"""`riscv-pt-v5`: `[PATCH v5 6/7] xen/riscv: page table handling` as posted.

Seed 000_8afac2f4e5276757 (2024-08-21).  Overrides of the merged version
(`pt_v9.py`) are exactly the functions the v5 -> v9 review changed.
"""
from __future__ import annotations

from model.cite import follows
from model.riscv.pt_v9 import RiscvPtV9
from model.riscv.pte import PTE_EXECUTABLE, PTE_VALID, PTE_WRITABLE
from model.term import TRUE, Bool, Word

SEED = "seed 000_8afac2f4e5276757"
PAGE_H = f"{SEED} xen/arch/riscv/include/asm/page.h"


class RiscvPtV5(RiscvPtV9):
    name = "riscv-pt-v5"
    source = f"{SEED}: [PATCH v5 6/7] xen/riscv: page table handling (2024-08-21)"

    @follows(PAGE_H, note="v5 tests W|X, not R|W|X: a read-only leaf is not a mapping")
    def pte_is_mapping(self, pte: Word) -> Bool:
        return (pte & PTE_VALID).any() & (pte & (PTE_WRITABLE | PTE_EXECUTABLE)).any()

    @follows(PAGE_H, "ASSERT in pte_is_table/pte_is_mapping", note="v5 has no ASSERT")
    def pte_assert(self, pte: Word) -> Bool:
        return TRUE
