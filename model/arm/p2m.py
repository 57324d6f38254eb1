"""Arm's p2m (xen/arch/arm/mmu/p2m.c): the break-before-make design RISC-V's came from.

The same tree shape and the same algorithms as the RISC-V model, with Arm's
stage-2 descriptors (lpae_p2m_t: valid, table, mattr, read, write, sh, af,
base, xn, the p2m type in bits 58:55) and Arm's orderings.  Levels are
counted as RISC-V does (0 = 4 KiB pages; Arm's level is 3 minus it), and the
root is the same 4 concatenated pages.  No memaccess (default access rwx).
"""
from __future__ import annotations

from model.cite import follows
from model.memory import maddr_beyond
from model.riscv.p2m_state import ALL_HARTS, INVALID_MFN, MFN_BITS, NR_HARTS, TYPE_BITS, P2MState, frame_of_page
from model.riscv.p2m_upstream import MAP_NOMEM, MAP_NONE, RiscvP2MUpstream, rc
from model.term import FALSE, TRUE, Bool, Word, any_of, bv, ite

ARM_P2M = "xen-project/xen@c447b7308b xen/arch/arm/mmu/p2m.c"
ARM_LPAE_H = "xen-project/xen@c447b7308b xen/arch/arm/include/asm/lpae.h"

# lpae_p2m_t bits
VALID, TABLE = 1 << 0, 1 << 1
MATTR_SHIFT, READ, WRITE, SH_SHIFT, AF = 2, 1 << 6, 1 << 7, 8, 1 << 10
BASE_MASK = ((1 << 36) - 1) << 12  # bits 47:12
XN = 1 << 54
TYPE_SHIFT = 55
TYPE_MASK = 0xF << TYPE_SHIFT
MATTR_DEV, MATTR_MEM, MATTR_MEM_NC = 0x1, 0xF, 0x5
SH_OUTER, SH_INNER = 2, 3


class ArmP2MUpstream(RiscvP2MUpstream):
    source = "xen-project/xen@c447b7308b xen/arch/arm/mmu/p2m.c"
    arch = "arm"
    # p2m_type_t as xen/arch/arm/include/asm/p2m.h numbers it
    P2M_INVALID, RAM_RW, RAM_RO, MMIO_DIRECT_IO, MMIO_DIRECT_NC, MMIO_DIRECT_C = 0, 1, 2, 3, 4, 5
    FOREIGN_RW, FOREIGN_RO, GRANT_MAP_RW, GRANT_MAP_RO, IOMMU_MAP_RW, IOMMU_MAP_RO = 6, 7, 8, 9, 10, 11
    #: every value of p2m_type_t a caller can pass (the `any` contract): p2m_max_real_type (12)
    #: is BUG() in p2m_set_permission, so it is not one
    P2M_TYPE_VALUES = tuple(range(12))
    EXT_STORAGE = -1  # every type fits in the descriptor
    FIRST_EXTERNAL = 16
    metadata_pages = False

    def type_names(self) -> dict[int, str]:
        return {0: "p2m_invalid", 1: "p2m_ram_rw", 2: "p2m_ram_ro", 3: "p2m_mmio_direct_dev",
                4: "p2m_mmio_direct_nc", 5: "p2m_mmio_direct_c", 6: "p2m_map_foreign_rw",
                7: "p2m_map_foreign_ro", 8: "p2m_grant_map_rw", 9: "p2m_grant_map_ro",
                10: "p2m_iommu_map_rw", 11: "p2m_iommu_map_ro"}

    # -- descriptors ------------------------------------------------------------
    @follows(ARM_P2M, "p2m_is_valid", "the p2m type, not the valid bit: type != p2m_invalid")
    def p2m_is_valid(self, e: Word) -> Bool:
        return (e & TYPE_MASK).any()

    @follows(ARM_LPAE_H, "lpae_is_valid")
    def pte_is_valid(self, e: Word) -> Bool:
        return e.bit(0)

    @follows(ARM_P2M, "p2m_is_mapping", "p2m_is_valid && lpae_is_mapping (a block above "
             "level 3, a page at level 3); the valid bit is tested too, which is the same on "
             "every descriptor the code writes (mfn_to_p2m_entry sets valid=1, p2m_remove_pte "
             "clears the type with it) and keeps the step's arbitrary pre-states concrete-"
             "replayable")
    def pte_is_mapping(self, e: Word, level: int) -> Bool:
        return self.p2m_is_valid(e) & self.walk_is_mapping(e, level)

    @follows(ARM_LPAE_H, "lpae_is_mapping", "the table bit only (the valid bit is not read)")
    def lpae_is_mapping(self, e: Word, level: int) -> Bool:
        return e.bit(1) if level == 0 else ~e.bit(1)

    def walk_is_mapping(self, e: Word, level: int) -> Bool:
        """lpae_is_valid && lpae_is_mapping: the stage-2 walker reads the valid and table
        bits, not the p2m type (bits 58:55 are software bits), so a descriptor that
        mfn_to_p2m_entry built for p2m_invalid (valid=1, type 0) translates although
        p2m_is_valid says it is not there."""
        return self.pte_is_valid(e) & self.lpae_is_mapping(e, level)

    def pte_is_table(self, e: Word, level: int) -> Bool:
        return e.bit(0) & e.bit(1) & (level > 0)

    @follows(ARM_LPAE_H, "lpae_get_mfn")
    def pte_get_mfn(self, e: Word) -> Word:
        return ((e & BASE_MASK) >> 12).trunc(MFN_BITS)

    @follows(ARM_LPAE_H, "lpae_set_mfn")
    def pte_set_mfn(self, e: Word, mfn: Word) -> Word:
        return (e & ~BASE_MASK) | ((mfn.zext(64) << 12) & BASE_MASK)

    @follows(ARM_P2M, "p2m_set_permission", "the type switch; default access p2m_access_rwx")
    def p2m_set_permission(self, e: Word, t: Word) -> Word:
        xn = ite((t == self.RAM_RW) | (t == self.RAM_RO), bv(0, 64), bv(XN, 64))
        w = ite(any_of(t == x for x in (self.RAM_RW, self.IOMMU_MAP_RW, self.FOREIGN_RW, self.GRANT_MAP_RW,
                                        self.MMIO_DIRECT_IO, self.MMIO_DIRECT_NC, self.MMIO_DIRECT_C)),
                bv(WRITE, 64), bv(0, 64))
        return (e & ~(XN | WRITE)) | xn | w

    @follows(ARM_P2M, "mfn_to_p2m_entry", "with `pte.p2m.table = 0` above level 3 "
             "(__p2m_set_entry); the type goes into the descriptor")
    def p2m_pte_from_mfn(self, st: P2MState, g: Bool, mfn: Word, t: Word, level: int,
                         page: Word, idx: Word, oracle=None):
        e = bv(AF | READ | TABLE | VALID, 64) | (t.zext(64) << TYPE_SHIFT)
        e = e | ite(t == self.MMIO_DIRECT_IO, bv(MATTR_DEV << MATTR_SHIFT | SH_OUTER << SH_SHIFT, 64),
                    ite(t == self.MMIO_DIRECT_C, bv(MATTR_MEM << MATTR_SHIFT | SH_OUTER << SH_SHIFT, 64),
                        ite(t == self.MMIO_DIRECT_NC, bv(MATTR_MEM_NC << MATTR_SHIFT | SH_OUTER << SH_SHIFT, 64),
                            bv(MATTR_MEM << MATTR_SHIFT | SH_INNER << SH_SHIFT, 64))))
        e = self.pte_set_mfn(self.p2m_set_permission(e, t), mfn)
        if level > 0:
            e = e & ~TABLE
        return st, e

    @follows(ARM_P2M, "page_to_p2m_table", "typed p2m_ram_rw so p2m_is_valid holds for tables")
    def page_to_p2m_table(self, page: Word) -> Word:
        e = bv(AF | READ | WRITE | TABLE | VALID | (MATTR_MEM << MATTR_SHIFT)
               | (SH_INNER << SH_SHIFT) | (self.RAM_RW << TYPE_SHIFT), 64)
        return self.pte_set_mfn(e, frame_of_page(page))

    def p2m_get_type(self, st: P2MState, e: Word, page: Word, idx: Word) -> Word:
        """pte.p2m.type."""
        return ((e & TYPE_MASK) >> TYPE_SHIFT).trunc(TYPE_BITS)

    mfn_limit = 1 << 36  # a 48-bit PADDR_MASK
    PADDR_BITS = 48
    ASSERT_PADDR = "ASSERT(!(mfn_to_maddr(mfn) & ~PADDR_MASK))"

    @follows(ARM_P2M, "mfn_to_p2m_entry", "`ASSERT(!(mfn_to_maddr(mfn) & ~PADDR_MASK))` (mmu/p2m.c "
             "line 642): the caller's 64-bit mfn shifted by PAGE_SHIFT, any bit at PADDR_BITS (48) "
             "or above; only a mapping builds an entry (removing is p2m_remove_pte)")
    def paddr_assert(self, st: P2MState, g: Bool, mfn: Word) -> P2MState:
        return st.assert_fails(g & maddr_beyond(mfn, self.PADDR_BITS), self.ASSERT_PADDR)

    def get_type_assert(self, st: P2MState, g: Bool, e: Word, page: Word, idx: Word) -> P2MState:
        """pte.p2m.type: nothing to ASSERT."""
        return st

    def split_metadata(self, st: P2MState, g: Bool, page: Word, oracle):
        """Types live in the descriptor: no metadata page."""
        return st, bv(st.geo.entries, 16)

    def p2m_free_metadata_page(self, st: P2MState, g: Bool, page: Word) -> P2MState:
        return st

    def md_missing(self, st: P2MState, e: Word, page: Word) -> Bool:
        return FALSE

    def type_consistent(self, st: P2MState, e: Word, level: int, page: Word, idx: Word) -> Bool:
        """The valid bit and the type agree (p2m_is_valid reads the type, the walker the
        bit; tables are typed p2m_ram_rw), and a valid entry has a real type."""
        t = self.p2m_get_type(st, e, page, idx)
        real = (t != self.P2M_INVALID) & (t < len(self.P2M_TYPE_VALUES))
        return e.bit(0).iff(self.p2m_is_valid(e)) & (~e.bit(0) | real)

    def entry_attrs(self, e: Word) -> Word:
        """Without the output address and the table bit (a page at level 3 sets it)."""
        return e & ~(BASE_MASK | TABLE)

    def entry_reserved(self, e: Word, level: int) -> Bool:
        """Stage-2 faults: a valid level-3 descriptor without the table (page) bit,
        a misaligned block."""
        v = e.bit(0)
        block = ~e.bit(1) & (level > 0)
        return v & (((level == 0) & ~e.bit(1)) | (block & ~self.leaf_aligned(e, level)))

    # -- the algorithms -----------------------------------------------------------
    @follows(ARM_P2M, "p2m_next_level", "`if ( !p2m_is_valid(*entry) )` (p2m.c line 388): the "
             "p2m type, not the valid bit, so an entry a caller mapped as p2m_invalid (valid bit "
             "set, type 0) is replaced by a new table (p2m_create_table, no break-before-make, "
             "nothing freed) rather than walked into as a table")
    def next_level_present(self, e: Word) -> Bool:
        return self.p2m_is_valid(e)

    @follows(ARM_P2M, "p2m_next_level", "read_only = removing; a failed allocation is "
             "GUEST_TABLE_MAP_FAILED (-ENOENT)")
    def p2m_next_level(self, st: P2MState, g: Bool, alloc: Bool, level: int, page: Word,
                       idx: Word, oracle):
        st, res, nxt = super().p2m_next_level(st, g, alloc, level, page, idx, oracle)
        return st, ite(res == MAP_NOMEM, bv(MAP_NONE, 2), res), nxt

    @follows(ARM_P2M, "p2m_split_superpage", "`unsigned int i`; `pte.p2m.table = "
             "(next_level == 3)`; on allocation failure *entry is left as it is")
    def split_child(self, e: Word, mfn: Word, i: Word, order: int, next_level: int) -> Word:
        child = super().split_child(e, mfn, i, order, next_level)
        return child | TABLE if next_level == 0 else child & ~TABLE

    def split_index(self, i: Word) -> Word:
        return i.zext(32)

    def split_alloc_failed(self, e: Word) -> Word:
        return e

    @follows(ARM_P2M, "p2m_force_tlb_flush_sync", stmt="flush_guest_tlb();",
             note="TLBI VMALLS12E1IS: broadcast to every CPU of the inner shareable domain")
    def p2m_tlb_flush(self, st: P2MState, g: Bool) -> P2MState:
        return self.flush_ghost(st, g, bv(ALL_HARTS, NR_HARTS))

    @follows(ARM_P2M, "__p2m_set_entry", "break-before-make: p2m_remove_pte, "
             "p2m_force_tlb_flush_sync, then write the new table")
    def install_split(self, st: P2MState, g: Bool, page: Word, idx: Word, split_pte: Word):
        st = self.write_pte(st, g, page, idx, bv(0, 64))
        st = self.p2m_tlb_flush(st, g)
        return self.write_pte(st, g, page, idx, split_pte)

    @follows(ARM_P2M, "__p2m_set_entry", "after the walk: zero a valid entry first; removing "
             "defers the flush; replacing flushes before the write; free the old subtree if "
             "p2m_is_valid(orig) and the MFN in *entry differs")
    def set_entry_update(self, st: P2MState, g: Bool, level: int, page: Word, gfn: Word,
                         mfn: Word, t: Word, oracle=None):
        if g.is_concrete and not g.v:
            return st, rc(0)
        idx = self.offset(gfn, level)
        orig = st.read(page, idx)
        removing = mfn == INVALID_MFN
        was = self.pte_is_valid(orig)
        st = self.write_pte(st, g & (was | removing), page, idx, bv(0, 64))
        st = st.flag("need_flush", g & removing & was)
        st = self.paddr_assert(st, g & ~removing, mfn)
        st, new = self.p2m_pte_from_mfn(st, g & ~removing, self.mfn_arg(mfn), t, level, page, idx)
        st = self.p2m_tlb_flush(st, g & ~removing & was)
        st = self.write_pte(st, g & ~removing, page, idx, new)
        cur = st.read(page, idx)
        gone = self.pte_get_mfn(cur) != self.pte_get_mfn(orig)
        st = self.p2m_free_subtree(st, g & self.p2m_is_valid(orig) & gone, orig, level, page, idx)
        return st, rc(0)

    @follows(ARM_P2M, "p2m_free_entry", "for ( i = 0; i < XEN_PT_LPAE_ENTRIES; i++ ): the "
             "table's own entries at every level")
    def free_loop_entries(self, level: int) -> int:
        return self.geo.entries

    @follows(ARM_P2M, "p2m_free_entry", "leaf test `p2m_is_superpage(entry, level) || level == 3`")
    def p2m_free_subtree(self, st: P2MState, g: Bool, e: Word, level: int, page: Word,
                         idx: Word) -> P2MState:
        g = g & self.p2m_is_valid(e)
        if g.is_concrete and not g.v:
            return st
        leaf = self.pte_is_mapping(e, level) if level else TRUE
        t = self.p2m_get_type(st, e, page, idx)
        st = self.p2m_put_page(st, g & leaf, e, level, t)
        return self.free_table_below(st, g & ~leaf, e, level)

    @follows(ARM_P2M, "p2m_put_page", "p2m_put_l3_page (foreign: put_page; the xenheap GFN "
             "reset is not modelled) and p2m_put_l2_superpage (foreign only); a level-1 block "
             "puts nothing, and no ASSERT says so (`if ( level == 2 ) ... else if ( level == 3 )`)")
    def p2m_put_page(self, st: P2MState, g: Bool, e: Word, level: int, t: Word) -> P2MState:
        if level > 1:
            return st
        return self.put_refs(st, g & self.is_foreign(t), self.pte_get_mfn(e),
                             1 << st.geo.level_order(level))

    # -- the range (Arm's p2m_set_entry; each step is __p2m_set_entry) -------------------
    @follows(ARM_P2M, "p2m_set_entry", "the order: `mask = mfn (unless INVALID_MFN) | gfn | nr`, "
             "FIRST_ORDER if mask is aligned to it, else SECOND_ORDER, else THIRD_ORDER "
             "(mem_access is not modelled)")
    def mapping_order(self, gfn: Word, mfn: Word, nr: Word) -> Word:
        mask = ite(mfn != INVALID_MFN, mfn, bv(0, 64)) | gfn | nr
        order = bv(0, 64)
        for level in (1, 2):  # the larger order first in the C: it wins
            o = self.geo.level_order(level)
            order = ite((mask & ((1 << o) - 1)) == 0, bv(o, 64), order)
        return order

    @follows(ARM_P2M, "p2m_set_entry", "`return rc;`: the last __p2m_set_entry's rc, an errno "
             "after a failure part way (what was mapped before stays)")
    def set_range_result(self, left: Word, r: Word) -> Word:
        return r
