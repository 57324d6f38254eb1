"""RISC-V p2m as seed 003 posts it: `[for 4.22 v5 11/18] p2m_free_subtree() and helpers`.

The seed adds p2m_free_subtree, p2m_put_page and p2m_get_type; everything it
does not show is taken from upstream (the nearest version).  This version keeps
only the types that fit in PTE bits 8-9 (p2m_get_type panics on
p2m_ext_storage), so its callers map RAM and MMIO only.
"""
from __future__ import annotations

from model.cite import follows
from model.riscv.p2m_state import TYPE_BITS, P2MState
from model.riscv.p2m_upstream import RiscvP2MUpstream
from model.riscv.pte import PTE_RSW, PTE_RSW_SHIFT
from model.term import FALSE, Bool, Word, bv

SEED_003 = "seed 003_531ac80e977a3b1a.txt"


class RiscvP2MV5(RiscvP2MUpstream):
    source = "seed 003: [for 4.22 v5 11/18] xen/riscv: Implement p2m_free_subtree() (rest upstream)"

    metadata_pages = False

    def types(self) -> tuple[int, ...]:
        return (self.RAM_RW, self.MMIO_DIRECT_IO)

    @follows(SEED_003, "p2m_set_type", "not in the seed: its p2m_get_type reads PTE bits 8-9 "
             "only, so this version has no metadata page (none allocated, counted or freed)")
    def p2m_set_type(self, st: P2MState, g: Bool, e: Word, t: Word, page: Word, idx: Word, oracle):
        return st, e | self.type_encoding(t)[1]

    def p2m_free_metadata_page(self, st: P2MState, g: Bool, page: Word) -> P2MState:
        return st

    def split_metadata(self, st: P2MState, g: Bool, page: Word, oracle):
        return st, bv(st.geo.entries, 16)

    def md_missing(self, st: P2MState, e: Word, page: Word) -> Bool:
        return FALSE

    def type_consistent(self, st: P2MState, e: Word, level: int, page: Word, idx: Word) -> Bool:
        """No leaf says p2m_ext_storage: this version stores no external type."""
        return ~self.pte_is_mapping(e, level) | ~self.ext_bits(e)

    @follows(SEED_003, "p2m_get_type", "PTE bits 8-9 only; p2m_ext_storage panics (no caller "
             "of this version stores it)")
    def p2m_get_type(self, st: P2MState, e: Word, page: Word, idx: Word) -> Word:
        return ((e & PTE_RSW) >> PTE_RSW_SHIFT).trunc(TYPE_BITS)

    @follows(SEED_003, "p2m_free_subtree", "`for ( i = 0; i < P2M_PAGETABLE_ENTRIES(level); i++ )` "
             "as upstream: the changes in V4 say P2M_PAGETABLE_ENTRIES is used because "
             "XEN_PT_ENTRIES does not count the root's 2 extra bits, so below a root entry the "
             "loop runs 4 times the table's entries")
    def free_loop_entries(self, level: int) -> int:
        return self.p2m_pagetable_entries(level)

    @follows(SEED_003, "p2m_free_subtree", "leaf test `(level == 0) || pte_is_superpage(entry, "
             "level)`; no ctx; p2m_free_page without a metadata page")
    def p2m_free_subtree(self, st: P2MState, g: Bool, e: Word, level: int, page: Word,
                         idx: Word) -> P2MState:
        g = g & self.pte_is_valid(e)
        if g.is_concrete and not g.v:
            return st
        leaf = self.pte_is_mapping(e, level) if level else self.pte_is_valid(e)
        t = self.p2m_get_type(st, e, page, idx)
        st = self.p2m_put_page(st, g & leaf, e, level, t)
        return self.free_table_below(st, g & ~leaf, e, level)
