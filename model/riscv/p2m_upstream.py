"""RISC-V p2m (G-stage) as upstream Xen has it: set entry, split, free subtree, put page.

Each method follows one C function of xen/arch/riscv/p2m.c (or a helper of
asm/p2m.h, asm/page.h) and takes the state and a guard; both arms of a C `if`
run in sequence under disjoint guards.  `ASSERT`s do not stop the model (a release
build), so the model does what the code does when an assertion would fail.

The ASSERTs that can fail on the model's paths are recorded per call with the
C's text (`P2MState.assert_fails`), where the C checks them, so a replay on the
compiled C (also a release build) compares them with the notes the C makes.

Levels are counted as RISC-V does (0 = 4 KiB leaves); the table width is the
geometry's (`idx_bits`, 9 at full width), so P2M_LEVEL_ORDER(l) = idx_bits*l.
"""
from __future__ import annotations

from dataclasses import replace

from model.cite import follows
from model.memory import maddr_beyond
from model.riscv.p2m_state import (INVALID_MFN, MAX_SUPPORTED_LEVEL, MFN_BITS, NO_MD, RC_BITS,
                                   ROOT_PAGES, TYPE_BITS, Oracle, P2MGeometry, P2MState, count,
                                   frame_of_page, page_of_frame)
from model.riscv.pte import (PTE_ACCESS_MASK, PTE_ACCESSED, PTE_DIRTY,
                             PTE_PBMT_IO, PTE_PBMT_MASK, PTE_PPN_MASK, PTE_PPN_SHIFT,
                             PTE_READABLE, PTE_RESERVED_MASK, PTE_RSW, PTE_RSW_SHIFT, PTE_USER,
                             PTE_VALID, PTE_WRITABLE)
from model.term import FALSE, TRUE, Bool, Word, any_of, bv, ite

UPSTREAM = "xen-project/xen@c447b7308b xen/arch/riscv/p2m.c"
UPSTREAM_H = "xen-project/xen@c447b7308b xen/arch/riscv/include/asm/p2m.h"
#: sbi_remote_hfence_gvma (Xen's sbi.c, not in ../shared/xen): the SBI RFENCE extension's
#: remote HFENCE.GVMA on the harts of the mask, for [start, start + size) (0, 0: every GPA)
SBI_RFENCE = "RISC-V SBI v2.0, RFENCE extension: sbi_remote_hfence_gvma"

# errno values as the C code returns them (negated), in a 32-bit int (RC_BITS)
EINVAL, ENOMEM, ENOENT, EOVERFLOW = 22, 12, 2, 75
INT_MAX = (1 << 31) - 1

# p2m_next_level results
MAP_NONE, MAP_NOMEM, SUPER_PAGE, NORMAL = 0, 1, 2, 3

#: ASSERTs as p2m.c writes them (the C harness's notes carry the same text)
UNREACHABLE = "ASSERT_UNREACHABLE()"
ASSERT_LEVEL = "ASSERT(level <= P2M_MAX_SUPPORTED_LEVEL_MAPPING)"
ASSERT_EXT_TYPE = "ASSERT(type > p2m_first_external)"
ASSERT_TARGET = "ASSERT(level == target)"
#: an unsigned int level as p2m_free_subtree's `level - 1` below level 0 leaves it
UINT_BITS = 32


def rc(v: int) -> Word:
    return bv(v, RC_BITS)


class RiscvP2MUpstream:
    """The p2m of xen-project/xen c447b7308b (p2m.c last changed at a8606445b1)."""

    source = "xen-project/xen@c447b7308b (p2m.c at a8606445b1)"
    arch = "riscv"
    # p2m_type_t as asm/p2m.h numbers it
    P2M_INVALID, RAM_RW, MMIO_DIRECT_IO, EXT_STORAGE, FOREIGN_RW, FOREIGN_RO = 0, 1, 2, 3, 4, 5
    FIRST_EXTERNAL = 3
    #: every value of p2m_type_t a caller can pass (the `any` contract; p2m_first_external
    #: is p2m_ext_storage's alias)
    P2M_TYPE_VALUES = (0, 1, 2, 3, 4, 5)
    svade = True  # the hart has Svade: leaves get A and D set
    #: PADDR_BITS (asm/page-bits.h) and p2m_pte_from_mfn's ASSERT on the mfn
    PADDR_BITS = 56
    ASSERT_PADDR = "ASSERT(!(mfn_to_maddr(mfn) & ~PADDR_MASK) || mfn_eq(mfn, INVALID_MFN))"
    metadata_pages = True  # external types live in a metadata page per table page

    def __init__(self, geo: P2MGeometry):
        self.geo = geo

    # -- the caller's side --------------------------------------------------
    def types(self) -> tuple[int, ...]:
        """The p2m types a caller may map with this version."""
        return (self.RAM_RW, self.MMIO_DIRECT_IO, self.FOREIGN_RW, self.FOREIGN_RO)

    def foreign_types(self) -> tuple[int, ...]:
        return (self.FOREIGN_RW, self.FOREIGN_RO)

    def type_names(self) -> dict[int, str]:
        return {self.P2M_INVALID: "p2m_invalid", self.RAM_RW: "p2m_ram_rw",
                self.MMIO_DIRECT_IO: "p2m_mmio_direct_io", self.EXT_STORAGE: "p2m_ext_storage",
                self.FOREIGN_RW: "p2m_map_foreign_rw", self.FOREIGN_RO: "p2m_map_foreign_ro"}

    def is_foreign(self, t: Word) -> Bool:
        return any_of(t == f for f in self.foreign_types())

    # -- PTE helpers (asm/page.h) ---------------------------------------------
    @follows("xen-project/xen@c447b7308b xen/arch/riscv/include/asm/page.h", "pte_is_valid")
    def pte_is_valid(self, e: Word) -> Bool:
        return e.bit(0)

    @follows("xen-project/xen@c447b7308b xen/arch/riscv/include/asm/page.h", "pte_is_mapping",
             "the level does not matter on RISC-V: a leaf has R, W or X at every level")
    def pte_is_mapping(self, e: Word, level: int) -> Bool:
        return self.pte_is_valid(e) & (e & PTE_ACCESS_MASK).any()

    def walk_is_mapping(self, e: Word, level: int) -> Bool:
        """Does the hardware walk stop at `e` with a translation?  On RISC-V what the C
        tests (pte_is_mapping) is what the G-stage walker tests."""
        return self.pte_is_mapping(e, level)

    def pte_is_table(self, e: Word, level: int) -> Bool:
        """A pointer to the next level (pte_is_table)."""
        return self.pte_is_valid(e) & ~(e & PTE_ACCESS_MASK).any()

    @follows("xen-project/xen@c447b7308b xen/arch/riscv/include/asm/page.h", "pte_get_mfn")
    def pte_get_mfn(self, e: Word) -> Word:
        return ((e & PTE_PPN_MASK) >> PTE_PPN_SHIFT).trunc(MFN_BITS)

    @follows("xen-project/xen@c447b7308b xen/arch/riscv/include/asm/page.h", "pte_set_mfn")
    def pte_set_mfn(self, e: Word, mfn: Word) -> Word:
        return (e & ~PTE_PPN_MASK) | ((mfn.zext(64) << PTE_PPN_SHIFT) & PTE_PPN_MASK)

    def mfn_arg(self, mfn: Word) -> Word:
        """The 64-bit mfn_t argument as the PPN field keeps it."""
        return mfn.trunc(MFN_BITS)

    # -- types (PTE bits 8-9 and the metadata page) --------------------------
    @follows(UPSTREAM, "p2m_set_type", "an external type needs the table page's metadata page: "
             "allocated from the pool on first use (a failure is domain_crash and the PTE keeps "
             "its type bits as they were), used_entries counted per slot, the page freed when "
             "the count reaches 0")
    def p2m_set_type(self, st: P2MState, g: Bool, e: Word, t: Word, page: Word, idx: Word,
                     oracle: Oracle):
        if g.is_concrete and not g.v:
            return st, e
        ext = t >= self.FIRST_EXTERNAL
        has = st.md_of(page) != NO_MD
        need = g & ~has & ext
        st, got, mdp = self.p2m_alloc_page(st, need, oracle)
        failed = need & ~got
        st = st.set_md_page(got, page, mdp).clear_md_slots(got, page).flag("ev_crash", failed)
        go = g & ~failed
        present = has | got
        old = st.read_md(page, idx)
        used = st.used_of(page)
        inc = ext & (old == self.P2M_INVALID)
        dec = ~ext & present & (old != self.P2M_INVALID)
        used = ite(inc, used + 1, ite(dec, used - 1, used))
        st = st.set_used(go, page, used)
        st = st.set_md(go & ext, page, idx, t).set_md(go & ~ext & present, page, idx, bv(0, TYPE_BITS))
        _, bits = self.type_encoding(t)
        st = self.p2m_free_metadata_page(st, go & present & (used == 0), page)
        return st, ite(failed, e, e | bits)

    def type_encoding(self, t: Word) -> tuple[Word, Word]:
        """(the metadata slot, the PTE bits 8-9) p2m_set_type writes for type t."""
        ext = t >= self.FIRST_EXTERNAL
        bits = ite(ext, bv(self.EXT_STORAGE, 64), t.zext(64))
        return ite(ext, t, bv(0, TYPE_BITS)), (bits << PTE_RSW_SHIFT) & PTE_RSW

    #: frames a PTE can name (PADDR_BITS - PAGE_SHIFT)
    mfn_limit = 1 << MFN_BITS

    def ext_bits(self, e: Word) -> Bool:
        return ((e & PTE_RSW) >> PTE_RSW_SHIFT) == self.EXT_STORAGE

    def type_consistent(self, st: P2MState, e: Word, level: int, page: Word, idx: Word) -> Bool:
        """A leaf whose bits 8-9 say p2m_ext_storage has its table page's metadata page
        (what p2m_get_type maps) and an external type in its slot (what it asserts), at
        4K or 2M (the caller contract: p2m_put_page has no 1G path)."""
        return (~self.pte_is_mapping(e, level) | ~self.ext_bits(e)
                | (~self.md_missing(st, e, page) & self.is_foreign(st.read_md(page, idx))
                   & (level <= 1)))

    def md_missing(self, st: P2MState, e: Word, page: Word) -> Bool:
        """p2m_get_type would map a NULL metadata page (ctx->pt_page->v.md.pg)."""
        return self.ext_bits(e) & (st.md_of(page) == NO_MD)

    @follows(UPSTREAM, "p2m_get_type", "a missing metadata page reads as p2m_invalid here; "
             "the callers flag that the C maps a NULL page there (ev_md_missing)")
    def p2m_get_type(self, st: P2MState, e: Word, page: Word, idx: Word) -> Word:
        bits = ((e & PTE_RSW) >> PTE_RSW_SHIFT).trunc(TYPE_BITS)
        slot = ite(st.md_of(page) != NO_MD, st.read_md(page, idx), bv(0, TYPE_BITS))
        return ite(bits == self.EXT_STORAGE, slot, bits)

    @follows(UPSTREAM, "p2m_get_type", "`ASSERT(type > p2m_first_external)` (p2m.c line 559) "
             "on the metadata slot of an entry whose bits 8-9 say p2m_ext_storage (a missing "
             "metadata page: the C maps NULL first, ev_md_missing)")
    def get_type_assert(self, st: P2MState, g: Bool, e: Word, page: Word, idx: Word) -> P2MState:
        """The ASSERT of p2m_get_type where the C calls it (p2m_free_subtree, p2m_split_superpage)."""
        bad = self.ext_bits(e) & ~self.md_missing(st, e, page) & (st.read_md(page, idx) <= self.FIRST_EXTERNAL)
        return st.assert_fails(g & bad, ASSERT_EXT_TYPE)

    # -- PTE construction -----------------------------------------------------
    @follows(UPSTREAM, "p2m_set_permission")
    def p2m_set_permission(self, e: Word, t: Word) -> Word:
        e = (e & ~PTE_ACCESS_MASK) | PTE_USER
        if self.svade:
            e = e | PTE_ACCESSED | PTE_DIRTY
        rw = PTE_READABLE | PTE_WRITABLE
        e = ite((t == self.FOREIGN_RW) | (t == self.MMIO_DIRECT_IO), e | rw,
                ite(t == self.RAM_RW, e | PTE_ACCESS_MASK,
                    ite(t == self.P2M_INVALID, e & ~PTE_VALID,
                        ite(t == self.FOREIGN_RO, e | PTE_READABLE, e))))
        return e

    @follows(UPSTREAM, "p2m_set_permission", "`default: ASSERT_UNREACHABLE();` (p2m.c line 647): "
             "a type the switch has no case for (p2m_ext_storage, or no p2m_type_t at all)")
    def permission_unreachable(self, t: Word) -> Bool:
        return ~any_of(t == x for x in (self.FOREIGN_RW, self.MMIO_DIRECT_IO, self.RAM_RW,
                                         self.P2M_INVALID, self.FOREIGN_RO))

    @follows(UPSTREAM, "p2m_pte_from_mfn", "`ASSERT(!(mfn_to_maddr(mfn) & ~PADDR_MASK) || "
             "mfn_eq(mfn, INVALID_MFN))` (p2m.c line 665): the caller's 64-bit mfn shifted by "
             "PAGE_SHIFT in a 64-bit paddr_t, any bit at PADDR_BITS or above")
    def paddr_assert(self, st: P2MState, g: Bool, mfn: Word) -> P2MState:
        """The ASSERT on the mfn before the leaf is built (`mfn`: the 64-bit argument)."""
        high = maddr_beyond(mfn, self.PADDR_BITS)
        return st.assert_fails(g & high & (mfn != INVALID_MFN), self.ASSERT_PADDR)

    @follows(UPSTREAM, "p2m_pte_from_mfn", "a leaf (ctx != NULL): type bits through p2m_set_type")
    def p2m_pte_from_mfn(self, st: P2MState, g: Bool, mfn: Word, t: Word, level: int,
                         page: Word, idx: Word, oracle: Oracle):
        e = self.pte_set_mfn(bv(PTE_VALID, 64), mfn)
        e = ite(t == self.MMIO_DIRECT_IO, e | PTE_PBMT_IO, e)
        e = self.p2m_set_permission(e, t)
        st = st.assert_fails(g & self.permission_unreachable(t), UNREACHABLE)
        return self.p2m_set_type(st, g, e, t, page, idx, oracle)

    @follows(UPSTREAM, "page_to_p2m_table")
    def page_to_p2m_table(self, page: Word) -> Word:
        return self.pte_set_mfn(bv(PTE_VALID, 64), frame_of_page(page))

    # -- ghost-instrumented memory ----------------------------------------------
    def bbm_needed(self, old: Word, new: Word, stale: Bool) -> Bool:
        """Would Arm's rules require break-before-make for this write?  A valid
        entry replaced by a valid one with another output or another kind
        (table/leaf), or a valid entry written over one not yet invalidated
        in the TLB."""
        vo, vn = self.pte_is_valid(old), self.pte_is_valid(new)
        shape = (self.pte_get_mfn(old) != self.pte_get_mfn(new)) | (
            self.pte_is_mapping(old, 0) ^ self.pte_is_mapping(new, 0))
        return vn & ((vo & shape) | (~vo & stale))

    @follows(UPSTREAM, "p2m_write_pte", "with the ghost TLB automaton and walk reachability")
    def write_pte(self, st: P2MState, g: Bool, page: Word, idx: Word, v: Word) -> P2MState:
        if g.is_concrete and not g.v:
            return st
        if g.is_concrete and page.is_concrete and idx.is_concrete:
            if not (page.v < st.geo.pages and idx.v < st.geo.entries):
                return st
            c = st.cell(page.v, idx.v)
            old, s = st.cells[c], st.stale[c]
            seen = st.visible(page)  # a TLB can only hold what the walker could read
            st = st.noted(g, page, idx, v)
            st = st.with_cell(c, v, s | (seen & self.pte_is_valid(old) & (old != v)))
            st = st.flag("ev_bbm", seen & self.bbm_needed(old, v, s))
        else:
            seen = st.visible(page)
            st = st.noted(g, page, idx, v)
            hs = st.hits(g & seen, page, idx)
            stale, bbm = [], FALSE
            for h, old, s in zip(hs, st.cells, st.stale):
                if h.is_concrete and not h.v:
                    stale.append(s)
                    continue
                changed = self.pte_is_valid(old) & (old != v)
                bbm = bbm | (h & self.bbm_needed(old, v, s))
                stale.append(s | (h & changed))
            st = st.with_cells(st.hits(g, page, idx), [v] * len(hs), stale).flag("ev_bbm", bbm)
        links = self.pte_is_table(v, 1) & st.visible(page)  # only a visible link adds a walk
        if st.ghost and not (links.is_concrete and not links.v):
            reach = self.reachable(st)
            st = replace(st, walkable=tuple(w | r for w, r in zip(st.walkable, reach)))
        return st

    # -- hardware view ---------------------------------------------------------
    def reach_levels(self, st: P2MState) -> list:
        """reach[level][page]: table page reachable from the root as a level-`level` table."""
        geo = st.geo
        R = geo.root_level
        reach = [[FALSE] * geo.pages for _ in range(R + 1)]
        reach[R] = [TRUE if p < ROOT_PAGES else FALSE for p in range(geo.pages)]
        for level in range(R, 0, -1):
            nxt = [FALSE] * geo.pages
            for p in range(geo.pages):
                if reach[level][p].is_concrete and not reach[level][p].v:
                    continue
                for i in range(geo.entries):
                    e = st.cells[st.cell(p, i)]
                    tbl = reach[level][p] & self.pte_is_table(e, level)
                    if tbl.is_concrete and not tbl.v:
                        continue
                    tgt = self.pte_page(e)
                    for q in geo.pool_pages():
                        nxt[q] = nxt[q] | (tbl & (tgt == q))
            reach[level - 1] = nxt
        return reach

    def reachable(self, st: P2MState) -> list:
        """Per pool page: reachable from the root at some level."""
        reach = self.reach_levels(st)
        return [any_of(reach[lv][q] for lv in range(len(reach))) for q in st.geo.pool_pages()]

    def pte_page(self, e: Word) -> Word:
        return page_of_frame(self.pte_get_mfn(e))

    def offset(self, gfn: Word, level: int) -> Word:
        """calc_offset: the index of gfn at this level (within its 4 KiB page)."""
        b = self.geo.idx_bits
        return ((gfn >> (b * level)) & ((1 << b) - 1)).trunc(16)

    def root_index(self, gfn: Word) -> Word:
        return gfn >> (self.geo.idx_bits * self.geo.root_level)

    def entry_attrs(self, e: Word) -> Word:
        """What a guest access through this leaf gets besides the frame: V, R/W/X,
        U, A/D, PBMT and the type bits."""
        return e & ~PTE_PPN_MASK

    def leaf_aligned(self, e: Word, level: int) -> Bool:
        return (self.pte_get_mfn(e) & ((1 << self.geo.level_order(level)) - 1)) == 0

    def translate(self, st: P2MState, gfn: Word):
        """The G-stage walk of gfn: (ok, mfn, attrs, p2m type) of the leaf it uses.
        A missing entry, a misaligned superpage or a reserved encoding faults."""
        geo = st.geo
        ridx = self.root_index(gfn)
        page = (ridx >> geo.idx_bits).trunc(16)
        idx = self.offset(gfn, geo.root_level)
        ok, mfn, attrs, typ = self.translate_entry(st, st.read(page, idx), geo.root_level, page,
                                                   idx, gfn)
        return ok & (ridx < ROOT_PAGES * geo.entries), mfn, attrs, typ

    def translate_entry(self, st: P2MState, e: Word, level: int, page: Word, idx: Word,
                        gfn: Word):
        """The walk of gfn from entry `e` (at (page, idx)) of a level-`level` table."""
        ok, mfn, attrs, typ = FALSE, bv(0, MFN_BITS), bv(0, 64), bv(0, TYPE_BITS)
        live = TRUE
        for lv in range(level, -1, -1):
            if lv < level:
                page = self.pte_page(e)
                idx = self.offset(gfn, lv)
                e = st.read(page, idx, among=st.geo.pool_pages())
            usable = live & ~self.entry_reserved(e, lv)
            leaf = usable & self.walk_is_mapping(e, lv)
            low = (gfn & ((1 << st.geo.level_order(lv)) - 1)).trunc(MFN_BITS)
            ok = ok | leaf
            mfn = ite(leaf, self.pte_get_mfn(e) + low, mfn)
            attrs = ite(leaf, self.entry_attrs(e), attrs)
            typ = ite(leaf, self.p2m_get_type(st, e, page, idx), typ)
            live = usable & self.pte_is_table(e, lv) & (lv > 0)
            if live.is_concrete and not live.v:
                break
        return ok, mfn, attrs, typ

    def entry_reserved(self, e: Word, level: int) -> Bool:
        """The G-stage walk faults on this valid entry: W without R, reserved bits
        60:54, PBMT=3, N (no Svnapot), a leaf without U, a misaligned superpage, a
        pointer at level 0."""
        v = self.pte_is_valid(e)
        w_no_r = e.bit(2) & ~e.bit(1)
        rsvd = ((e & PTE_RESERVED_MASK).any() | ((e & PTE_PBMT_MASK) == PTE_PBMT_MASK)
                | e.bit(63))  # N without Svnapot
        leaf = self.pte_is_mapping(e, level)
        bad_leaf = leaf & (~e.bit(4) | ~self.leaf_aligned(e, level))
        bad_ptr = self.pte_is_table(e, level) & ((e & (PTE_USER | PTE_ACCESSED | PTE_DIRTY)).any()
                                                 | (e & PTE_PBMT_MASK).any() | (level == 0))
        return v & (w_no_r | rsvd | bad_leaf | bad_ptr)

    # -- flushing (hfence.gvma) ---------------------------------------------
    @follows(UPSTREAM, "p2m_tlb_flush", stmt="sbi_remote_hfence_gvma(d->dirty_cpumask, 0, 0);")
    def p2m_tlb_flush(self, st: P2MState, g: Bool) -> P2MState:
        return self.sbi_remote_hfence_gvma(st, g, self.flush_mask(st))

    @follows(UPSTREAM, "p2m_tlb_flush (the hart mask)", note="d->dirty_cpumask holds, by its definition, "
             "every hart the domain ran on (and maybe more): the model takes the least such mask, the "
             "harts that may hold its translations")
    def flush_mask(self, st: P2MState) -> Word:
        return st.harts

    @follows(SBI_RFENCE, note="start 0 and size 0: every guest physical address; the harts of the mask")
    def sbi_remote_hfence_gvma(self, st: P2MState, g: Bool, mask: Word) -> P2MState:
        return self.flush_ghost(st, g, mask)

    def flush_ghost(self, st: P2MState, g: Bool, mask: Word) -> P2MState:
        """The state after a flush of every GPA on the harts of `mask` (bits): the TLB ghost is
        clean when the mask reaches every hart that may hold the domain's translations, else
        as it was (see P2MState's doc)."""
        if g.is_concrete and not g.v:
            return st
        reach = self.reachable(st) if st.ghost else list(st.walkable)
        clean = g & ((st.harts & ~mask) == 0)
        return replace(st, need_flush=st.need_flush & ~g, flushed=st.flushed | g,
                       stale=tuple(s & ~clean for s in st.stale),
                       walkable=tuple(ite(clean, r, w) for r, w in zip(reach, st.walkable)))

    @follows(UPSTREAM, "p2m_tlb_flush_sync")
    def p2m_tlb_flush_sync(self, st: P2MState, g: Bool) -> P2MState:
        return self.p2m_tlb_flush(st, g & st.need_flush)

    # -- the pool -------------------------------------------------------------
    @follows(UPSTREAM, "p2m_alloc_page", "paging_alloc_page may fail (an empty domain pool: the "
             "oracle) and fails when every modelled page is in use; the page is cleared")
    def p2m_alloc_page(self, st: P2MState, g: Bool, oracle: Oracle):
        found, page = st.first_free()
        ok = g & found & ~oracle.next(g)
        st = st.set_free(ok, page, FALSE).clear_page(ok, page)
        return st, ok, page

    @follows(UPSTREAM, "p2m_free_table", "p2m_free_metadata_page + p2m_free_page (used_entries "
             "is left as it is); a root page (p2m_free_subtree below a table pointer at level 0 "
             "that names one) is one the walker always reads: freeing it frees a walkable page "
             "(the C puts it in the pool's free list, which the model's pool of `pool` pages "
             "cannot hold)")
    def p2m_free_table(self, st: P2MState, g: Bool, page: Word) -> P2MState:
        walk = any_of([g & (page < ROOT_PAGES)]
                      + [g & (page == q) & w for q, w in zip(st.geo.pool_pages(), st.walkable)])
        st = self.p2m_free_metadata_page(st, g, page)
        return st.flag("ev_free_walkable", walk).set_free(g, page, TRUE)

    @follows(UPSTREAM, "p2m_free_metadata_page", "if ( *md_pg ): p2m_free_page, *md_pg = NULL")
    def p2m_free_metadata_page(self, st: P2MState, g: Bool, page: Word) -> P2MState:
        md = st.md_of(page)
        g = g & (md != NO_MD)
        if g.is_concrete and not g.v:
            return st
        return st.set_free(g, md, TRUE).set_md_page(g, page, bv(NO_MD, 16))

    @follows(UPSTREAM, "p2m_create_table")
    def p2m_create_table(self, st: P2MState, g: Bool, page: Word, idx: Word, oracle: Oracle):
        st, ok, new = self.p2m_alloc_page(st, g, oracle)
        st = self.write_pte(st, ok, page, idx, self.page_to_p2m_table(new))
        return st, ok

    @follows(UPSTREAM, "p2m_next_level", "`if ( !pte_is_valid(*entry) )` (p2m.c line 761): "
             "the valid bit decides whether a table is created")
    def next_level_present(self, e: Word) -> Bool:
        """Does p2m_next_level take `*entry` as present (else it creates a table there)?"""
        return self.pte_is_valid(e)

    @follows(UPSTREAM, "p2m_next_level")
    def p2m_next_level(self, st: P2MState, g: Bool, alloc: Bool, level: int, page: Word,
                       idx: Word, oracle: Oracle):
        e = st.read(page, idx)
        invalid = ~self.next_level_present(e)
        res = ite(invalid & ~alloc, bv(MAP_NONE, 2), bv(NORMAL, 2))
        st, ok = self.p2m_create_table(st, g & invalid & alloc, page, idx, oracle)
        res = ite(invalid & alloc & ~ok, bv(MAP_NOMEM, 2), res)
        e = st.read(page, idx)
        res = ite((res == NORMAL) & self.pte_is_mapping(e, level), bv(SUPER_PAGE, 2), res)
        return st, res, self.pte_page(e)

    # -- putting references ---------------------------------------------------------
    def live_foreign_maps(self, st: P2MState) -> Word:
        """How many reachable leaves of a foreign type map the watched frame."""
        reach = self.reach_levels(st)
        hits = []
        for level in range(st.geo.root_level + 1):
            span = 1 << st.geo.level_order(level)
            for p in range(st.geo.pages):
                if reach[level][p].is_concrete and not reach[level][p].v:
                    continue
                for i in range(st.geo.entries):
                    e = st.cells[st.cell(p, i)]
                    base = self.pte_get_mfn(e)
                    t = self.p2m_get_type(st, e, bv(p, 16), bv(i, 16))
                    covers = (st.watch - base) < span
                    hits.append(reach[level][p] & self.pte_is_mapping(e, level)
                                & self.is_foreign(t) & covers)
        return count(hits)

    @follows(UPSTREAM, "p2m_put_2m_superpage", "for ( i = 0; i < PAGETABLE_ENTRIES; i++, pg++ ): "
             "the frames mfn + i as 64-bit numbers, which do not wrap at the 44-bit MFN width "
             "(found by the refinement of p2m_put_page, proofs/refine/p2m.py)")
    def put_refs(self, st: P2MState, g: Bool, first: Word, n: int) -> P2MState:
        """put_page on frames [first, first + n): the watched frame loses one reference."""
        hit = g & ((st.watch.zext(64) - first.zext(64)) < n)
        return replace(st, refs=ite(hit, st.refs - 1, st.refs))

    @follows(UPSTREAM, "p2m_put_page", "with p2m_put_4k_page and p2m_put_2m_superpage: "
             "foreign types only; any other level (2, or below 0 as an unsigned int) is "
             "`default: ASSERT_UNREACHABLE();` (p2m.c line 857) and puts nothing")
    def p2m_put_page(self, st: P2MState, g: Bool, e: Word, level: int, t: Word) -> P2MState:
        if level not in (0, 1):
            return st.assert_fails(g, UNREACHABLE)
        return self.put_refs(st, g & self.is_foreign(t), self.pte_get_mfn(e),
                             1 << st.geo.level_order(level))

    @follows(UPSTREAM, "p2m_free_subtree", "`ASSERT(level <= P2M_MAX_SUPPORTED_LEVEL_MAPPING)` "
             "(p2m.c line 886) on every entry, valid or not, before the `if ( !pte_is_valid(entry) "
             ")` return; `level` is an unsigned int, so below a level-0 table pointer (`.level = "
             "level - 1`) it is 2^32 - 1 and down")
    def free_level_assert(self, st: P2MState, g: Bool, level: int) -> P2MState:
        return st.assert_fails(g & Bool(level % (1 << UINT_BITS) > MAX_SUPPORTED_LEVEL), ASSERT_LEVEL)

    @follows(UPSTREAM, "p2m_free_subtree", "a leaf: p2m_get_type (its ASSERT) then p2m_put_page; "
             "a table pointer at any level, level 0 included (a valid entry without R/W/X, as "
             "p2m_set_permission leaves p2m_ext_storage): the table below is walked at level - 1")
    def p2m_free_subtree(self, st: P2MState, g: Bool, e: Word, level: int, page: Word,
                         idx: Word) -> P2MState:
        if g.is_concrete and not g.v:
            return st
        st = self.free_level_assert(st, g, level)
        g = g & self.pte_is_valid(e)
        if g.is_concrete and not g.v:
            return st
        leaf = self.pte_is_mapping(e, level)
        t = self.p2m_get_type(st, e, page, idx)
        st = st.flag("ev_md_missing", g & leaf & self.md_missing(st, e, page))
        st = self.get_type_assert(st, g & leaf, e, page, idx)
        st = self.p2m_put_page(st, g & leaf, e, level, t)
        return self.free_table_below(st, g & ~leaf, e, level)

    @follows(UPSTREAM_H, "P2M_PAGETABLE_ENTRIES", "PAGETABLE_ENTRIES << P2M_ROOT_EXTRA_BITS "
             "(2) at P2M_ROOT_LEVEL(p2m): the 4 pages of the root, PAGETABLE_ENTRIES below")
    def p2m_pagetable_entries(self, level: int) -> int:
        """P2M_PAGETABLE_ENTRIES(p2m, level): the entries of a level-`level` table."""
        return self.geo.entries * (ROOT_PAGES if level == self.geo.root_level else 1)

    def free_loop_entries(self, level: int) -> int:
        """How many entries of the table below a level-`level` entry p2m_free_subtree walks."""
        return self.p2m_pagetable_entries(level)

    @follows(UPSTREAM, "p2m_free_subtree", "`for ( i = 0; i < P2M_PAGETABLE_ENTRIES(p2m, level); "
             "i++ )` (p2m.c line 918): the bound of the *entry's* level, so below a root entry "
             "(level 2 in Sv39x4) 4 * PAGETABLE_ENTRIES of the level-1 table's PAGETABLE_ENTRIES; "
             "each entry past the page is flagged (ev_oob) and read as 0, the model keeping no "
             "memory past a table page (found by the refinement of p2m_free_subtree)")
    def free_table_below(self, st: P2MState, g: Bool, e: Word, level: int) -> P2MState:
        """The table half of p2m_free_subtree: children first, flush, then the page."""
        if g.is_concrete and not g.v:
            return st
        if level == 0:
            return self.free_below_zero(st, g, e)
        child = self.pte_page(e)
        for i in range(self.free_loop_entries(level)):
            if i >= st.geo.entries:  # past the table page: st.read gives 0, which frees nothing
                st = st.flag("ev_oob", g)
                break
            ci = bv(i, 16)
            st = self.p2m_free_subtree(st, g, st.read(child, ci), level - 1, child, ci)
        st = self.p2m_tlb_flush_sync(st, g)
        return self.p2m_free_table(st, g, child)

    @follows(UPSTREAM, "p2m_free_subtree", "below a table pointer at level 0 (p2m.c lines 913-940): "
             "`.level = level - 1` wraps the unsigned level, so every entry walked from there fails "
             "ASSERT(level <= P2M_MAX_SUPPORTED_LEVEL_MAPPING), a leaf's p2m_put_page is "
             "ASSERT_UNREACHABLE (no reference put), a table pointer is walked again, and every "
             "table walked is freed after a p2m_tlb_flush_sync (p2m_free_table)")
    def free_below_zero(self, st: P2MState, g: Bool, e: Word) -> P2MState:
        """The walk below a level-0 table pointer `e`, in closure form: the tables walked at
        each depth (pages, not entries^depth: the same terms at every table width).

        Nothing writes an entry during the walk, so its effects are the ASSERTs, the flags
        of the leaves (a NULL metadata page mapped), one flush (the first
        p2m_tlb_flush_sync, before the first table is freed; the later ones find need_flush
        clear) and a p2m_free_table per table walked (a page walked twice is freed once:
        the C frees it twice).  A path of more tables than there are table pages names one
        twice, and the pointers do not change, so the C recurses without end there
        (ev_endless).  A pointer to a frame no modelled table page holds reads as zeros
        (the C harness's guest frames): its entries fail the level ASSERT and end there.
        The ASSERTs come per depth, not in the C's depth-first order."""
        geo = st.geo
        pages = range(geo.pages)
        n = geo.entries  # P2M_PAGETABLE_ENTRIES(p2m, level): a wrapped level is never the root's

        def targets(guard: Bool, x: Word) -> tuple[list, Bool]:
            page = self.pte_page(x)
            hit = [guard & (page == p) for p in pages]
            return hit, guard & ~any_of(page == p for p in pages)

        walked, other = targets(g, e)
        ever = list(walked)
        for depth in range(1, geo.pages + 2):  # the entries of depth `depth` are at level -depth
            for _ in range(n):
                st = st.assert_fails(other, ASSERT_LEVEL)
            if depth > geo.pages:
                break
            nxt, nxt_other = [FALSE] * geo.pages, FALSE
            for p in pages:
                if walked[p].is_concrete and not walked[p].v:
                    continue
                for i in range(n):
                    x, page, idx = st.cells[st.cell(p, i)], bv(p, 16), bv(i, 16)
                    st = st.assert_fails(walked[p], ASSERT_LEVEL)
                    valid = walked[p] & self.pte_is_valid(x)
                    leaf = valid & self.pte_is_mapping(x, -depth)
                    st = st.flag("ev_md_missing", leaf & self.md_missing(st, x, page))
                    st = self.get_type_assert(st, leaf, x, page, idx)
                    st = self.p2m_put_page(st, leaf, x, -depth, bv(0, TYPE_BITS))
                    hit, out = targets(valid & ~self.pte_is_mapping(x, -depth), x)
                    nxt = [a | b for a, b in zip(nxt, hit)]
                    nxt_other = nxt_other | out
            walked, other = nxt, nxt_other
            ever = [a | b for a, b in zip(ever, walked)]
        st = st.flag("ev_endless", any_of(walked))
        st = self.p2m_tlb_flush_sync(st, g)  # before the first p2m_free_table (the C always has one)
        for p in pages:
            st = self.p2m_free_table(st, ever[p], bv(p, 16))
        return st

    # -- split ----------------------------------------------------------------------
    def split_index(self, i: Word) -> Word:
        """The loop counter `i` of p2m_split_superpage: unsigned long."""
        return i.zext(64)

    @follows(UPSTREAM, "p2m_split_superpage")
    def p2m_split_superpage(self, st: P2MState, g: Bool, e: Word, level: int, target: int,
                            gfn: Word, tbl_page: Word, oracle: Oracle):
        """Returns (state, ok, the new value of *entry)."""
        st, got, page = self.p2m_alloc_page(st, g, oracle)
        e_fail = self.split_alloc_failed(e)
        mfn = self.pte_get_mfn(e)
        order = self.geo.level_order(level - 1)
        ext = self.ext_bits(e)
        pidx = self.offset(gfn, level)
        old_type = self.p2m_get_type(st, e, tbl_page, pidx)
        st = st.flag("ev_md_missing", got & ext & self.md_missing(st, e, tbl_page))
        st = self.get_type_assert(st, got & ext, e, tbl_page, pidx)
        st, first = self.split_metadata(st, got & ext & (old_type >= self.FIRST_EXTERNAL), page, oracle)

        def child(i: Word):
            # p2m_set_type(&pte, old_type, ctx(i)): the copy keeps bits 8-9 (ext_storage)
            # and the slot gets old_type from the child whose attempt got the metadata page on
            pte = self.split_child(e, mfn, i, order, level - 1)
            return pte, ite(ext & (i >= first), old_type, bv(0, TYPE_BITS))

        st = st.fill(got, page, child)  # the new page is not linked yet: no TLB can hold it
        ok = got
        if level - 1 != target:
            ci = self.offset(gfn, level - 1)
            sub = st.read(page, ci)
            st, rv, sub = self.p2m_split_superpage(st, got, sub, level - 1, target, gfn, page,
                                                   oracle)
            st = self.write_pte(st, got, page, ci, sub)
            ok = got & rv
        return st, ok, ite(got, self.page_to_p2m_table(page), e_fail)

    @follows(UPSTREAM, "p2m_split_superpage", "`p2m_set_type(&pte, old_type, &p2m_pte_ctx)` for "
             "each child i in order (p2m.c lines 998-1017): while the new page has no metadata "
             "page each child's p2m_set_type tries p2m_alloc_page, a failure is domain_crash and "
             "that child's slot stays unset (p2m_set_type returns, lines 500-508); the first "
             "that succeeds gives every child from it on its slot, counted in used_entries")
    def split_metadata(self, st: P2MState, g: Bool, page: Word, oracle: Oracle):
        """Returns (state, the first child with a metadata page: entries when none has).

        Failed attempts take no page, so the pool is the same for every retry: when it is
        empty all `entries` attempts fail; else an attempt fails only where the oracle says
        so, which it can for its first `oracle.failable()` attempt numbers only (found by
        the C harness: a 1G superpage split in a root page, whose metadata page is the
        only other pool page in use, gets its metadata page at the second child's attempt)."""
        n = st.geo.entries
        if g.is_concrete and not g.v:
            return st, bv(n, 16)
        first, missing = bv(n, 16), g
        for k in range(min(n, oracle.failable() + 1)):  # the attempt after those cannot fail
            st, ok, mdp = self.p2m_alloc_page(st, missing, oracle)
            st = st.set_md_page(ok, page, mdp)
            first = ite(ok, bv(k, 16), first)
            missing = missing & ~ok
        # an empty pool: every later child's p2m_set_type tries again, counted as the C counts
        # them, so a later allocation of the call reads the outcome the C's does (found by
        # refining p2m_split_superpage, proofs/refine/p2m.py)
        rest = n - min(n, oracle.failable() + 1)
        if rest:
            oracle.made = ite(missing, oracle.made + rest, oracle.made)
        st = st.flag("ev_crash", g & (first != 0))
        st = st.set_used(g & (first != n), page, st.used_of(page) + (bv(n, 16) - first).zext(64))
        return st, first

    def split_child(self, e: Word, mfn: Word, i: Word, order: int, next_level: int) -> Word:
        """child[i]: a copy of the superpage entry with mfn + (i << level_order)."""
        return self.pte_set_mfn(e, mfn + (self.split_index(i) << order).zext(64).trunc(MFN_BITS))

    def split_alloc_failed(self, e: Word) -> Word:
        """*entry after the first allocation failed: zeroed, so the caller frees nothing."""
        return bv(0, 64)

    # -- set entry --------------------------------------------------------------------
    @follows(UPSTREAM, "p2m_set_entry")
    def p2m_set_entry(self, st: P2MState, g: Bool, gfn: Word, target: int, mfn: Word,
                      t: Word, oracle: Oracle):
        geo = st.geo
        removing = mfn == INVALID_MFN
        einval = self.root_index(gfn) >= ROOT_PAGES * geo.entries
        ret = ite(einval, rc(-EINVAL), rc(0))
        go = g & ~einval
        page = (self.root_index(gfn) >> geo.idx_bits).trunc(16)
        for level in range(geo.root_level, target, -1):
            st, res, nxt = self.p2m_next_level(st, go, ~removing, level, page,
                                               self.offset(gfn, level), oracle)
            failed = (res == MAP_NONE) | (res == MAP_NOMEM)
            ret = ite(go & failed, ite(removing, rc(0),
                                       ite(res == MAP_NONE, rc(-ENOENT), rc(-ENOMEM))), ret)
            sup = go & (res == SUPER_PAGE)
            st, r = self.set_entry_split(st, sup, level, target, page, gfn, mfn, t, oracle)
            ret = ite(sup, r, ret)
            go = go & (res == NORMAL)
            page = ite(res == NORMAL, nxt, page)
        st, r = self.set_entry_update(st, go, target, page, gfn, mfn, t, oracle)
        return st, ite(go, r, ret)

    @follows(UPSTREAM, "p2m_set_entry", "the split branch: split a copy, free it on failure, "
             "else write the new table straight over the superpage (no break-before-make)")
    def set_entry_split(self, st: P2MState, g: Bool, level: int, target: int, page: Word,
                        gfn: Word, mfn: Word, t: Word, oracle: Oracle):
        if g.is_concrete and not g.v:
            return st, rc(0)
        idx = self.offset(gfn, level)
        e = st.read(page, idx)
        st, ok, split_pte = self.p2m_split_superpage(st, g, e, level, target, gfn, page, oracle)
        st = self.p2m_free_subtree(st, g & ~ok, split_pte, level, page, idx)
        good = g & ok
        st = self.install_split(st, good, page, idx, split_pte)
        st, lvl, page = self.descend_after_split(st, good, level, target, page, gfn, oracle)
        st = self.target_assert(st, good, lvl, target)
        st, r = self.set_entry_update(st, good, lvl, page, gfn, mfn, t, oracle)
        return st, ite(ok, r, rc(-ENOMEM))

    @follows(UPSTREAM, "p2m_set_entry", "`ASSERT(level == target);` before the entry is "
             "written: the walk and the descent after a split end at the target (a version "
             "whose descent does not, v2's, fails it and writes at the level it stopped at)")
    def target_assert(self, st: P2MState, g: Bool, level: int, target: int) -> P2MState:
        return st.assert_fails(g, ASSERT_TARGET) if level != target else st

    def install_split(self, st: P2MState, g: Bool, page: Word, idx: Word, split_pte: Word):
        """p2m_write_pte(entry, split_pte); need_flush = true."""
        st = self.write_pte(st, g, page, idx, split_pte)
        return st.flag("need_flush", g)

    @follows(UPSTREAM, "p2m_set_entry", "the loop after a split: for (; level > target; level--)")
    def descend_after_split(self, st: P2MState, g: Bool, level: int, target: int, page: Word,
                            gfn: Word, oracle: Oracle):
        while level > target:
            st, res, nxt = self.p2m_next_level(st, g, TRUE, level, page,
                                               self.offset(gfn, level), oracle)
            page = ite(res == NORMAL, nxt, page)
            level -= 1
        return st, level, page

    @follows(UPSTREAM, "p2m_set_entry", "after the walk: write (or clear) the entry, set "
             "need_flush, free the old subtree if the MFN changed or the entry went invalid")
    def set_entry_update(self, st: P2MState, g: Bool, level: int, page: Word, gfn: Word,
                         mfn: Word, t: Word, oracle: Oracle):
        if g.is_concrete and not g.v:
            return st, rc(0)
        idx = self.offset(gfn, level)
        orig = st.read(page, idx)
        removing = mfn == INVALID_MFN
        st = self.paddr_assert(st, g & ~removing, mfn)
        st, new = self.p2m_pte_from_mfn(st, g & ~removing, self.mfn_arg(mfn), t, level, page, idx,
                                        oracle)
        cur = ite(removing, bv(0, 64), new)
        st = self.write_pte(st, g, page, idx, cur).flag("need_flush", g)
        gone = ~self.pte_is_valid(cur) | (self.pte_get_mfn(cur) != self.pte_get_mfn(orig))
        st = self.p2m_free_subtree(st, g & self.pte_is_valid(orig) & gone, orig, level, page, idx)
        return st, rc(0)

    # -- the calls ----------------------------------------------------------------
    @follows(UPSTREAM, "map_regions_p2mt", "one p2m_set_entry under the write lock; the "
             "caller took one reference per foreign page it maps (get_page) and drops it "
             "if the call fails; p2m_write_unlock flushes")
    def call(self, st: P2MState, gfn: Word, target: int, mfn: Word, t: Word, oracle: Oracle):
        st = st.clear_events()
        span = 1 << self.geo.level_order(target)
        takes = (mfn != INVALID_MFN) & self.is_foreign(t) & ((st.watch - self.mfn_arg(mfn)) < span)
        st = replace(st, refs=ite(takes, st.refs + 1, st.refs))
        st, r = self.p2m_set_entry(st, TRUE, gfn, target, mfn, t, oracle)
        st = replace(st, refs=ite(takes & (r != 0), st.refs - 1, st.refs), rc=r)  # put_page on failure
        return self.p2m_write_unlock(st), r

    @follows(UPSTREAM, "p2m_write_unlock", "p2m_tlb_flush_sync before write_unlock")
    def p2m_write_unlock(self, st: P2MState) -> P2MState:
        return self.p2m_tlb_flush_sync(st, TRUE)

    @follows(UPSTREAM, "p2m_mapping_order", "p2m.c lines 1220-1242, on 64-bit words (the range "
             "refinement runs it symbolically)")
    def mapping_order(self, gfn: Word, mfn: Word, nr: Word) -> Word:
        """The order (64-bit) p2m_mapping_order picks for the next chunk: the largest of
        1G, 2M (min(P2M_ROOT_LEVEL, P2M_MAX_SUPPORTED_LEVEL_MAPPING)) both frames are
        aligned to and nr covers, else 4K."""
        mask = ite(mfn != INVALID_MFN, mfn, bv(0, 64)) | gfn
        order = bv(0, 64)
        for level in range(1, min(self.geo.root_level, MAX_SUPPORTED_LEVEL) + 1):
            o = self.geo.level_order(level)
            order = ite(((mask & ((1 << o) - 1)) == 0) & (nr >= (1 << o)), bv(o, 64), order)
        return order

    def p2m_mapping_order(self, gfn: int, mfn: int, nr: int) -> int:
        """mapping_order on concrete frames."""
        return int(self.mapping_order(bv(gfn, 64), bv(mfn, 64), bv(nr, 64)))

    @follows(UPSTREAM, "p2m_set_range", "after a p2m_set_entry that returned 0: "
             "sgfn = gfn_add(sgfn, BIT(order, UL)); smfn advanced unless INVALID_MFN; "
             "left -= BIT(order, UL) (p2m.c lines 1270-1274; all unsigned long: they wrap at 2^64)")
    def set_range_advance(self, gfn: Word, mfn: Word, left: Word, order: Word) -> tuple[Word, Word, Word]:
        """The loop variables (sgfn, smfn, left) after a chunk of `order` was mapped."""
        step = bv(1, 64) << order
        return gfn + step, ite(mfn != INVALID_MFN, mfn + step, mfn), left - step

    @follows(UPSTREAM, "p2m_set_range", "the loop of p2m_set_entry calls, each at the order "
             "p2m_mapping_order picks, stopping at the first nonzero rc; what it returns is "
             "set_range_result's (the is_dying check, -EACCES, is not modelled)")
    def p2m_set_range(self, st: P2MState, gfn: int, nr: int, mfn: int, t: int,
                      oracle: Oracle):
        g, m, left, r = bv(gfn, 64), bv(mfn, 64), bv(nr, 64), rc(0)
        while int(left):
            order = self.mapping_order(g, m, left)
            st, r = self.p2m_set_entry(st, TRUE, g, int(order) // self.geo.idx_bits, m,
                                       bv(t, TYPE_BITS), oracle)
            if int(r):
                break
            g, m, left = self.set_range_advance(g, m, left, order)
        out = int(self.set_range_result(left, r))
        return st, out - (1 << RC_BITS) if out >> (RC_BITS - 1) else out

    @follows(UPSTREAM, "p2m_set_range", "after the loop: `if ( left > INT_MAX ) rc = -EOVERFLOW; "
             "return !left ? rc : left;` in an int: a failure part way (or at the first call) "
             "returns the count of frames left, converted to int (modulo 2^32), so -EOVERFLOW is "
             "never returned and a count that is a multiple of 2^32 returns 0")
    def set_range_result(self, left: Word, r: Word) -> Word:
        """What p2m_set_range returns when its loop stops with `left` (unsigned long) frames
        not done and `r` the last p2m_set_entry's rc (an int)."""
        r = ite(left > INT_MAX, rc(-EOVERFLOW), r)
        return ite(left == 0, r, left.trunc(RC_BITS))
