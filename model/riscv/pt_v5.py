"""`riscv-pt-v5`: `[PATCH v5 6/7] xen/riscv: page table handling` as posted.

Seed 000_8afac2f4e5276757 (2024-08-21).  Overrides of the merged version
(`pt_v9.py`) are exactly the functions the v5 -> v9 review changed.
"""
from __future__ import annotations

from model.cite import follows
from model.riscv.machine import ENOENT, INVALID_MFN, Exec, rc_word
from model.riscv.pt_v9 import RiscvPtV9
from model.riscv.pte import PTE_EXECUTABLE, PTE_POPULATE, PTE_VALID, PTE_WRITABLE
from model.term import TRUE, Bool, Word, bv, ite

SEED = "seed 000_8afac2f4e5276757"
PAGE_H = f"{SEED} xen/arch/riscv/include/asm/page.h"
PT_C = f"{SEED} xen/arch/riscv/pt.c"


class RiscvPtV5(RiscvPtV9):
    name = "riscv-pt-v5"
    source = f"{SEED}: [PATCH v5 6/7] xen/riscv: page table handling (2024-08-21)"

    @follows(PAGE_H, note="v5 tests W|X, not R|W|X: a read-only leaf is not a mapping")
    def pte_is_mapping(self, pte: Word) -> Bool:
        return (pte & PTE_VALID).any() & (pte & (PTE_WRITABLE | PTE_EXECUTABLE)).any()

    @follows(PAGE_H, "ASSERT in pte_is_table/pte_is_mapping", note="v5 has no ASSERT")
    def pte_assert(self, pte: Word) -> Bool:
        return TRUE

    @follows(PT_C, "pt_update_entry (alloc_tbl)", note="inverted: true means 'do not allocate'")
    def alloc_tbl(self, mfn: Word, flags: Word) -> Bool:
        return (mfn == INVALID_MFN) & ~(flags & PTE_POPULATE).any()

    @follows(PT_C, "pt_next_level",
             note="`if (alloc_tbl) return MAP_FAILED` (inverted sense); one MAP_FAILED for no "
                  "table and for a failed allocation (modelled as MAP_NONE)")
    def pt_next_level(self, x: Exec, g: Bool, alloc_tbl: Bool, table: Word, offset: Word,
                      level: int) -> tuple[Word, Word]:
        ret, nxt = super().pt_next_level(x, g, ~alloc_tbl, table, offset, level)
        failed = ret == self.XEN_TABLE_MAP_NOMEM
        return ite(failed, bv(self.XEN_TABLE_MAP_NONE, 2), ret), nxt

    @follows(PT_C, "pt_update_entry (MAP_FAILED handling)",
             note="rc 0, or -ENOENT when flags has PTE_VALID: an allocation failure is -ENOENT")
    def next_level_rc(self, ret: Word, flags: Word) -> tuple[Bool, Word]:
        failed = ret == self.XEN_TABLE_MAP_NONE
        return failed, ite((flags & PTE_VALID).any(), rc_word(-ENOENT), rc_word(0))

    @follows(PT_C, "pt_update_entry (modify: `pte = *entry`, then OR in the flags)", stmt="pte = *entry;")
    def modified_base(self, entry: Word) -> Word:
        return entry

    @follows(PT_C, "map_pages_to_xen", note="ASSERT(!mfn_eq(mfn, INVALID_MFN) || (flags & PTE_VALID))")
    def map_pages_to_xen(self, virt: Word, mfn: Word, nr: Word, flags: Word):
        ok = (mfn != INVALID_MFN) | (flags & PTE_VALID).any()
        return ok, None, (virt, mfn, nr, flags)
