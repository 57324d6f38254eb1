"""Xen's RISC-V hypervisor page tables, newest upstream (`riscv-pt-upstream`).

Follows xen-project/xen master c447b7308b: `xen/arch/riscv/pt.c` as last
changed by b3d5fad63a and `asm/page.h` by 72a516613f.  Older versions
(`pt_v9.py`, `pt_v5.py`) subclass this and override only what differs.
"""
from __future__ import annotations

from model.cite import follows
from model.memory import FRAME_BITS
from model.riscv.machine import (
    OP_DESTROY,
    OP_MAP,
    OP_MODIFY,
    OP_POPULATE,
    PC_HALTED,
    PC_IDLE,
    PC_LOOP,
    Call,
    State,
    Step,
    EINVAL,
    ENOMEM,
    EOPNOTSUPP,
    INVALID_MFN,
    LEVEL_BITS,
    Exec,
    entry_span,
    flush_covers,
    level_pages,
    Geometry,
    rc_word,
)
from model.riscv.pte import (
    PAGE_HYPERVISOR_NOCACHE,
    PAGE_HYPERVISOR_RO,
    PAGE_HYPERVISOR_RW,
    PAGE_HYPERVISOR_RX,
    PAGE_HYPERVISOR_WC,
    PAGE_SHIFT,
    PAGETABLE_ORDER,
    PTE_ACCESS_MASK,
    PTE_ACCESSED,
    PTE_DIRTY,
    PTE_EXECUTABLE,
    PTE_PBMT_MASK,
    PTE_POPULATE,
    PTE_PPN_SHIFT,
    PTE_READABLE,
    PTE_SMALL,
    PTE_TABLE,
    PTE_VALID,
    PTE_WRITABLE,
    SV39,
)
from model.riscv.walk import vpn
from model.term import FALSE, TRUE, Bool, Word, any_of, bv, ite

PAGE_SIZE = 1 << PAGE_SHIFT

UPSTREAM = "xen-project/xen@c447b7308b"
PAGE_H = f"{UPSTREAM} xen/arch/riscv/include/asm/page.h (72a516613f)"
PT_C = f"{UPSTREAM} xen/arch/riscv/pt.c (b3d5fad63a)"
MM_H = f"{UPSTREAM} xen/arch/riscv/include/asm/mm.h"
FLUSHTLB_H = f"{UPSTREAM} xen/arch/riscv/include/asm/flushtlb.h"
#: sbi_remote_sfence_vma's rule (the SBI spec's RFENCE extension, FID 1; pt.c's comment above
#: the flush): the whole address space when start and size are both 0 or size is 2^XLEN - 1,
#: else [start, start + size); a NULL hart mask (Xen's sbi.c, not in ../shared/xen) is every online hart
SBI_RFENCE = "RISC-V SBI v2.0, RFENCE extension: sbi_remote_sfence_vma"

#: the ASSERTs pt_check_entry runs (a debug build stops when one fails)
MFN_ASSERT = "pt_check_entry: ASSERT(mfn_eq(mfn, INVALID_MFN))"
PTE_ASSERT = "pte_is_table/pte_is_mapping: ASSERT((pte & (V|R|W)) != (V|W))"


class RiscvPtUpstream:
    name = "riscv-pt-upstream"
    arch = "riscv"
    source = f"{UPSTREAM}: xen/arch/riscv/pt.c @ b3d5fad63a, asm/page.h @ 72a516613f"

    #: the width of the entry points' `flags` (pt.c: `pte_attr_t flags`; the copy of the tree at
    #: hand does not define pte_attr_t, the C harness's header has it unsigned long,
    #: proofs/c/ptprove_riscv_page.h): what the `any` caller contract lets callers pass
    FLAGS_BITS = 64

    #: the PAGE_HYPERVISOR_* flag values callers use (asm/page.h)
    FLAG_PRESETS = (PAGE_HYPERVISOR_RO, PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RX,
                    PAGE_HYPERVISOR_NOCACHE, PAGE_HYPERVISOR_WC)

    # -- PTE predicates (asm/page.h) --------------------------------------
    @follows(PAGE_H)
    def pte_is_valid(self, pte: Word) -> Bool:
        return (pte & PTE_VALID).any()

    @follows(PAGE_H, note="ASSERTs (pte & (V|R|W)) != (V|W); see pte_assert")
    def pte_is_table(self, pte: Word) -> Bool:
        return (pte & (PTE_VALID | PTE_ACCESS_MASK)) == PTE_VALID

    @follows(PAGE_H, note="ASSERTs (pte & (V|R|W)) != (V|W); see pte_assert")
    def pte_is_mapping(self, pte: Word) -> Bool:
        return (pte & PTE_VALID).any() & (pte & PTE_ACCESS_MASK).any()

    @follows(PAGE_H, "pte_is_superpage")
    def pte_is_superpage(self, pte: Word, level: int) -> Bool:
        return Bool(level > 0) & self.pte_is_mapping(pte)

    @follows(PAGE_H, "ASSERT in pte_is_table/pte_is_mapping")
    def pte_assert(self, pte: Word) -> Bool:
        """The condition the predicates ASSERT (debug builds stop when it fails)."""
        return (pte & (PTE_VALID | PTE_READABLE | PTE_WRITABLE)) != (PTE_VALID | PTE_WRITABLE)

    # ======================================================================
    # pt.c: the update state machine.  Each method runs under a guard `g`
    # on an `Exec` (see machine.py); its C counterpart is cited.
    # ======================================================================

    # pt_next_level() return values
    XEN_TABLE_MAP_NONE, XEN_TABLE_MAP_NOMEM, XEN_TABLE_SUPER_PAGE, XEN_TABLE_NORMAL = 0, 1, 2, 3

    def __init__(self, geo: Geometry | None = None):
        self.geo = geo or Geometry(SV39)

    @property
    def LEVELS(self) -> int:  # CONFIG_PAGING_LEVELS
        return self.geo.levels

    @property
    def ROOT_LEVEL(self) -> int:  # HYP_PT_ROOT_LEVEL
        return self.geo.top

    @follows(PAGE_H, "pte_from_mfn")
    def pte_from_mfn(self, mfn: Word, flags: int) -> Word:
        return (mfn << PTE_PPN_SHIFT) | flags

    @follows(PAGE_H, "mfn_from_pte", note="C does not mask bits 63:54; frames are 44 bits here")
    def mfn_from_pte(self, pte: Word) -> Word:
        return pte.bits(PTE_PPN_SHIFT + FRAME_BITS - 1, PTE_PPN_SHIFT)

    # -- pt_check_entry: one method per branch of its if / else-if chain, so a
    # patch to one check is a one-method override
    @follows(PT_C, "pt_check_entry (the if / else-if chain: which check a request gets)")
    def pt_request(self, mfn: Word, flags: Word) -> tuple[Bool, Bool, Bool, Bool]:
        """(modify, insert, remove, populate): the branch of pt_check_entry a request takes."""
        V = (flags & PTE_VALID).any()
        invalid_mfn = mfn == INVALID_MFN
        modify = V & invalid_mfn
        insert = V & ~invalid_mfn
        remove = ~V & ~(flags & PTE_POPULATE).any()
        populate = ~V & ~remove
        return modify, insert, remove, populate

    @follows(PT_C, "pt_check_entry (modify: PTE_VALID and INVALID_MFN)",
             stmt="if ( !pte_is_valid(entry) ) return false; if ( pte_is_table(entry) ) return false;")
    def pt_check_modify(self, x: Exec, g: Bool, entry: Word, mfn: Word, flags: Word) -> Bool:
        valid = self.pte_is_valid(entry)
        x.assert_(g & valid, self.pte_assert(entry), PTE_ASSERT)  # pte_is_table(entry)
        return valid & ~self.pte_is_table(entry)

    @follows(PT_C, "pt_check_entry (insert: PTE_VALID and a valid MFN)",
             stmt="if ( pte_is_valid(entry) ) return false;")
    def pt_check_insert(self, x: Exec, g: Bool, entry: Word, mfn: Word, flags: Word) -> Bool:
        valid = self.pte_is_valid(entry)
        x.assert_(g & valid, self.pte_assert(entry), PTE_ASSERT)  # pte_is_mapping(entry), for the message
        return ~valid

    @follows(PT_C, "pt_check_entry (remove: neither PTE_VALID nor PTE_POPULATE)",
             stmt="if ( pte_is_table(entry) ) return false;")
    def pt_check_remove(self, x: Exec, g: Bool, entry: Word, mfn: Word, flags: Word) -> Bool:
        x.assert_(g, mfn == INVALID_MFN, MFN_ASSERT)
        x.assert_(g, self.pte_assert(entry), PTE_ASSERT)
        return ~self.pte_is_table(entry)

    @follows(PT_C, "pt_check_entry (populate: PTE_POPULATE)", note="no check so far",
             stmt="ASSERT(mfn_eq(mfn, INVALID_MFN));")
    def pt_check_populate(self, x: Exec, g: Bool, entry: Word, mfn: Word, flags: Word) -> Bool:
        x.assert_(g, mfn == INVALID_MFN, MFN_ASSERT)
        return TRUE

    @follows(PT_C)
    def pt_check_entry(self, x: Exec, g: Bool, entry: Word, mfn: Word, flags: Word) -> Bool:
        modify, insert, remove, populate = self.pt_request(mfn, flags)
        return ite(modify, self.pt_check_modify(x, g & modify, entry, mfn, flags),
                   ite(insert, self.pt_check_insert(x, g & insert, entry, mfn, flags),
                       ite(remove, self.pt_check_remove(x, g & remove, entry, mfn, flags),
                           self.pt_check_populate(x, g & populate, entry, mfn, flags))))

    @follows(PT_C, stmt="write_pte(entry, pte_from_mfn(mfn, PTE_TABLE));")
    def create_table(self, x: Exec, g: Bool, table: Word, offset: Word, level: int) -> Bool:
        ok, mfn = x.alloc(g, level - 1, (table, offset))
        x.map_table(g & ok)  # p = map_table(mfn); clear_page(p); unmap_table(p);
        x.clear(g & ok, mfn)
        x.unmap_table(g & ok)
        x.write(g & ok, table, offset, level, self.pte_from_mfn(mfn.zext(64), PTE_TABLE), "create_table")
        return ok

    @follows(PT_C)
    def alloc_tbl(self, mfn: Word, flags: Word) -> Bool:
        """pt_update_entry's `alloc_tbl`: may missing tables be created?"""
        return (mfn != INVALID_MFN) | (flags & PTE_POPULATE).any()

    @follows(PT_C, "pt_next_level (a missing entry)",
             stmt="if ( !alloc_tbl ) return XEN_TABLE_MAP_NONE; if ( !create_table(entry) ) "
                  "return XEN_TABLE_MAP_NOMEM;")
    def pt_next_level_missing(self, x: Exec, g: Bool, alloc_tbl: Bool, table: Word, offset: Word,
                              level: int) -> tuple[Bool, Bool]:
        """(MAP_NONE, MAP_NOMEM) for the entry at `offset`: an invalid entry gets a
        new table when `alloc_tbl` allows it."""
        entry = x.read(table, offset)
        invalid = ~self.pte_is_valid(entry)
        none = invalid & ~alloc_tbl
        created = self.create_table(x, g & invalid & alloc_tbl, table, offset, level)
        nomem = invalid & alloc_tbl & ~created
        return none, nomem

    @follows(PT_C)
    def pt_next_level(self, x: Exec, g: Bool, alloc_tbl: Bool, table: Word, offset: Word,
                      level: int) -> tuple[Word, Word]:
        """Returns (XEN_TABLE_* code, next table's frame)."""
        none, nomem = self.pt_next_level_missing(x, g, alloc_tbl, table, offset, level)
        entry = x.read(table, offset)
        x.assert_(g & ~none & ~nomem, self.pte_assert(entry), "pte_is_mapping: ASSERT((pte & (V|R|W)) != (V|W))")
        ret = ite(none, bv(self.XEN_TABLE_MAP_NONE, 2),
                  ite(nomem, bv(self.XEN_TABLE_MAP_NOMEM, 2),
                      ite(self.pte_is_mapping(entry), bv(self.XEN_TABLE_SUPER_PAGE, 2),
                          bv(self.XEN_TABLE_NORMAL, 2))))
        normal = g & (ret == self.XEN_TABLE_NORMAL)
        x.descend(normal, table, offset, level, entry)
        x.unmap_table(normal)  # unmap_table(*table); *table = map_table(mfn);
        x.map_table(normal)
        return ret, self.mfn_from_pte(entry)

    @follows(PT_C, "pt_update_entry (MAP_NOMEM/MAP_NONE handling)")
    def next_level_rc(self, ret: Word, flags: Word) -> tuple[Bool, Word]:
        """(leave the walk, rc) for a pt_next_level result inside pt_update_entry."""
        nomem = ret == self.XEN_TABLE_MAP_NOMEM
        none = ret == self.XEN_TABLE_MAP_NONE
        return nomem | none, ite(nomem, rc_word(-ENOMEM), rc_word(0))

    @follows(PT_C, "_pt_walk")
    def _pt_walk(self, x: Exec, g: Bool, va: Word) -> tuple[Word, Word, Word]:
        """(table frame, offset, level) of the leaf or of the leaf-most missing entry."""
        table = x.root
        x.map_table(g)  # table = map_table(root);
        done = FALSE
        res = (table, vpn(va, self.ROOT_LEVEL), bv(self.ROOT_LEVEL, LEVEL_BITS))
        for level in range(self.ROOT_LEVEL, -1, -1):
            active = g & ~done
            ret, nxt = self.pt_next_level(x, active, FALSE, table, vpn(va, level), level)
            stop = (ret == self.XEN_TABLE_MAP_NONE) | (ret == self.XEN_TABLE_SUPER_PAGE)
            res = ite(active & stop, (table, vpn(va, level), bv(level, LEVEL_BITS)), res)
            if level == 0:
                x.assert_(active, stop, "_pt_walk: ASSERT(level)")
            table = ite(active & ~stop, nxt, table)
            done = done | stop
        return res

    # -- the lookups: pt_walk (pt.c) and vmap_to_mfn (asm/mm.h)
    HAS_PT_WALK = True  # pt_walk came with the _pt_walk refactor (v9 and v5 have neither)

    @follows(PT_C, "pt_walk", stmt="pte_t *ptep = _pt_walk(va, pte_level); pte_t pte = *ptep; "
                                   "unmap_table(ptep);")
    def pt_walk(self, x: Exec, g: Bool, va: Word) -> tuple[Word, Word]:
        """(the entry _pt_walk stops at: the leaf, or the leaf-most missing entry; its level)."""
        frame, idx, level = self._pt_walk(x, g, va)
        entry = x.read(frame, idx)
        x.unmap_table(g)
        return entry, level

    @follows(MM_H, "pte_to_paddr", note="pfn_to_paddr(pte.pte >> PTE_PPN_SHIFT) in 64 bits: PTE bits "
             "61:54 (PBMT's low bit, reserved bits) land in paddr bits 63:56, bits 63:62 shift out")
    def pte_to_paddr(self, pte: Word) -> Word:
        return (pte >> PTE_PPN_SHIFT) << PAGE_SHIFT

    @follows(MM_H, "vmap_to_mfn", stmt="BUG_ON(!pte_is_mapping(__entry)); maddr_to_mfn(pte_to_paddr(__entry));")
    def vmap_to_mfn(self, x: Exec, g: Bool, va: Word) -> tuple[Bool, Word]:
        """(BUG_ON fires, the MFN returned, 64 bits) for `va`."""
        entry, _ = self.pt_walk(x, g, va)
        return ~self.pte_is_mapping(entry), self.pte_to_paddr(entry) >> PAGE_SHIFT

    @follows(PT_C, "pt_update_entry (explicit target level)")
    def walk_to_target(self, x: Exec, g: Bool, va: Word, target: Word, alloc_tbl: Bool,
                       flags: Word) -> tuple[Bool, Word, tuple]:
        """The `for ( ; level > *target; level-- )` loop.  Returns (out, rc, ptep)."""
        table = x.root
        x.map_table(g)  # table = map_table(root);
        level = bv(self.ROOT_LEVEL, LEVEL_BITS)
        out, rc, broke = FALSE, rc_word(0), FALSE
        for lvl in range(self.ROOT_LEVEL, 0, -1):
            active = g & ~out & ~broke & (target < lvl)
            ret, nxt = self.pt_next_level(x, active, alloc_tbl, table, vpn(va, lvl), lvl)
            leave, leave_rc = self.next_level_rc(ret, flags)
            rc = ite(active & leave, leave_rc, rc)
            out = out | (active & leave)
            normal = active & ~leave & (ret == self.XEN_TABLE_NORMAL)
            broke = broke | (active & ~leave & ~normal)
            table = ite(normal, nxt, table)
            level = ite(normal, bv(lvl - 1, LEVEL_BITS), level)
        shatter = g & ~out & (level != target)
        rc = ite(shatter, rc_word(-EOPNOTSUPP), rc)
        out = out | shatter
        return out, rc, (table, self.offset_at(va, level), level)

    def offset_at(self, va: Word, level: Word) -> Word:
        """offsets[level] for a symbolic level."""
        idx = vpn(va, 0)
        for lvl in range(1, self.LEVELS):
            idx = ite(level == lvl, vpn(va, lvl), idx)
        return idx

    #: the attribute bits pt_update_entry takes from `flags` (b3d5fad63a: PBMT too)
    UPDATE_ATTRS = PTE_ACCESS_MASK | PTE_PBMT_MASK

    # -- the entry pt_update_entry writes, one method per branch
    @follows(PT_C, "pt_update_entry (remove: no PTE_VALID)", stmt="pte.pte = 0;")
    def pte_remove(self, entry: Word, mfn: Word, flags: Word) -> Word:
        return bv(0, 64)

    @follows(PT_C, "pt_update_entry (insert: a valid MFN)", stmt="pte = pte_from_mfn(mfn, PTE_VALID);")
    def pte_insert(self, entry: Word, mfn: Word, flags: Word) -> Word:
        return self.pte_from_mfn(mfn, PTE_VALID)

    @follows(PT_C, "pt_update_entry (modify: copy the current pte, clear the attributes)",
             stmt="pte = *ptep; pte.pte &= ~attrs;")
    def modified_base(self, entry: Word) -> Word:
        return entry & ~self.UPDATE_ATTRS

    @follows(PT_C, "pt_update_entry (insert and modify: the attributes from the flags)",
             stmt="pte.pte |= (flags & attrs) | PTE_ACCESSED | PTE_DIRTY;")
    def pte_attributes(self, pte: Word, flags: Word) -> Word:
        return pte | (flags & self.UPDATE_ATTRS) | PTE_ACCESSED | PTE_DIRTY

    @follows(PT_C, "pt_update_entry (new PTE)")
    def pt_update_entry_pte(self, entry: Word, mfn: Word, flags: Word) -> Word:
        pte = self.pte_attributes(ite(mfn != INVALID_MFN, self.pte_insert(entry, mfn, flags),
                                      self.modified_base(entry)), flags)
        return ite((flags & PTE_VALID).any(), pte, self.pte_remove(entry, mfn, flags))

    #: the methods whose statements build the entry each branch of pt_update_entry
    #: writes (`write_path`), in the order the C runs them
    WRITE_PATHS = {"remove": ("pte_remove",), "insert": ("pte_insert", "pte_attributes"),
                   "modify": ("modified_base", "pte_attributes")}

    def write_path(self, mfn: int, flags: int) -> tuple[str, tuple[str, ...]]:
        """The branch of pt_update_entry a concrete request takes, and the methods
        that build the entry it writes (then `write_pte(ptep, pte)`)."""
        branch = ("remove" if not flags & PTE_VALID else "insert" if mfn != INVALID_MFN else "modify")
        return branch, self.WRITE_PATHS[branch]

    @follows(PT_C, "pt_update_entry (ptep: _pt_walk, or the walk down to *target)")
    def pt_update_entry_ptep(self, x: Exec, g: Bool, virt: Word, mfn: Word, target: Word,
                             flags: Word) -> tuple[Bool, Word, tuple, Word]:
        """(leave early, its rc, (table frame, offset, level) of ptep, the level
        pt_update_entry returns in *target)."""
        alloc_tbl = self.alloc_tbl(mfn, flags)
        to_leaf = target == self.LEVELS
        frame, idx, leaf_level = self._pt_walk(x, g & to_leaf, virt)
        out, rc, (tframe, tidx, tlevel) = self.walk_to_target(x, g & ~to_leaf, virt, target, alloc_tbl, flags)
        out = ~to_leaf & out
        ptep = ite(to_leaf, (frame, idx, leaf_level), (tframe, tidx, tlevel))
        return out, rc, ptep, ite(to_leaf, leaf_level, target)

    @follows(PT_C, stmt="write_pte(ptep, pte);")
    def pt_update_entry(self, x: Exec, g: Bool, virt: Word, mfn: Word, target: Word,
                        flags: Word) -> tuple[Word, Word]:
        """Returns (rc, level); the level is the one found when walking to the leaf."""
        out, rc, (frame, idx, level), found = self.pt_update_entry_ptep(x, g, virt, mfn, target, flags)
        entry = x.read(frame, idx)
        ok = self.pt_check_entry(x, g & ~out, entry, mfn, flags)
        rc = ite(out, rc, ite(ok, rc_word(0), rc_word(-EINVAL)))
        new = self.pt_update_entry_pte(entry, mfn, flags)
        x.write(g & ~out & ok, frame, idx, level, new, "pt_update_entry",
                span=self.stale_span(virt, level, entry, new))
        self.pt_update_entry_out(x, g, out)
        return rc, found

    @follows(PT_C, "pt_update_entry (out: unmap_table(ptep))",
             note="ptep is still NULL when the walk to an explicit target leaves early "
                  "(-ENOMEM, MAP_NONE, -EOPNOTSUPP): unmap_table(NULL) does nothing and the "
                  "table the walk had mapped stays mapped",
             stmt="out: unmap_table(ptep);")
    def pt_update_entry_out(self, x: Exec, g: Bool, out: Bool) -> None:
        """pt_update_entry's exit: unmap the table it mapped.  `out`: it left before
        `ptep = table + offsets[level]` (only the explicit-target walk does)."""
        x.unmap_table(g, null=out)

    @follows(PT_C)
    def pt_mapping_level(self, vfn: Word, mfn: Word, nr: Word, flags: Word) -> Word:
        mask = ite(mfn != INVALID_MFN, mfn, bv(0, 64)) | vfn
        level = bv(0, LEVEL_BITS)
        for i in range(1, self.ROOT_LEVEL + 1):  # the C loop runs top-down and breaks: last wins here
            order = PAGETABLE_ORDER * i
            fits = ((mask & ((1 << order) - 1)) == 0) & (nr >= (1 << order))
            level = ite(fits, bv(i, LEVEL_BITS), level)
        return ite((flags & PTE_SMALL).any(), bv(0, LEVEL_BITS), level)

    @follows(f"{UPSTREAM} xen/arch/riscv/pt.c (96a86ebcf5)", "pt_update (level of an iteration)",
             note="modify and remove walk to the leaf (level = CONFIG_PAGING_LEVELS)")
    def iteration_target(self, x: Exec, g: Bool) -> Word:
        s = x.state
        return ite((s.mfn != INVALID_MFN) | (s.flags & PTE_POPULATE).any(),
                   self.pt_mapping_level(s.vfn, s.mfn, s.left, s.flags), bv(self.LEVELS, LEVEL_BITS))

    @follows(PT_C, "pt_update (loop body)")
    def pt_update_iteration(self, x: Exec, g: Bool) -> tuple[Word, Word]:
        """One iteration of pt_update's `while ( left )`.  Returns (rc, level)."""
        s = x.state
        level = self.iteration_target(x, g)
        rc, level = self.pt_update_entry(x, g, s.vfn << PAGE_SHIFT, s.mfn, level, s.flags)
        self.advance(x, g & (rc == 0), level)
        return rc, level

    @follows(PT_C, "pt_update (loop advance)")
    def advance(self, x: Exec, g: Bool, level: Word) -> None:
        s = x.state
        step = level_pages(level, self.LEVELS)
        x.set(g, vfn=s.vfn + step,  # and left -= step: State.left is derived
              mfn=ite(s.mfn != INVALID_MFN, s.mfn + step, s.mfn))

    @follows(PT_C, "pt_update (checks before the loop)")
    def pt_update_prologue(self, virt: Word, flags: Word) -> Word:
        """rc of the early returns (0: go on to the loop)."""
        V, W, X = (flags & PTE_VALID).any(), (flags & PTE_WRITABLE).any(), (flags & PTE_EXECUTABLE).any()
        return ite(V & W & X, rc_word(-EINVAL),
                   ite((virt & (PAGE_SIZE - 1)) != 0, rc_word(-EINVAL), rc_word(0)))

    # -- the public wrappers: (ASSERT condition, early rc or None, pt_update args)
    @follows(PT_C)
    def map_pages_to_xen(self, virt: Word, mfn: Word, nr: Word, flags: Word):
        ok = (mfn != INVALID_MFN) & (flags & PTE_VALID).any()
        return ok, None, (virt, mfn, nr, flags)

    @follows(f"{UPSTREAM} xen/arch/riscv/pt.c (0eb8b71604)")
    def destroy_xen_mappings(self, s: Word, e: Word):
        aligned = ((s & (PAGE_SIZE - 1)) == 0) & ((e & (PAGE_SIZE - 1)) == 0)
        early = ite(s < e, rc_word(0), rc_word(-EINVAL))
        return aligned, early, (s, bv(INVALID_MFN, 64), (e - s) >> PAGE_SHIFT, bv(0, 64))

    @follows(f"{UPSTREAM} xen/arch/riscv/pt.c (6b71d4f849)")
    def populate_pt_range(self, virt: Word, nr: Word):
        return TRUE, None, (virt, bv(INVALID_MFN, 64), nr, bv(PTE_POPULATE, 64))

    @follows(PT_C, "pt_update with INVALID_MFN and PTE_VALID (no modify_xen_mappings on RISC-V)")
    def modify(self, virt: Word, nr: Word, flags: Word):
        return TRUE, None, (virt, bv(INVALID_MFN, 64), nr, flags)

    # ======================================================================
    # The machine's step: a call's prologue (from idle) or one loop iteration
    # (in a call).  Both run under exclusive guards in one Exec, so the same
    # code serves a concrete replay and a symbolic unrolling.
    # ======================================================================

    def wrapper(self, call: Call):
        """(ASSERT condition, early rc, pt_update arguments) of the called entry point."""
        a = call.a
        by_op = {
            OP_MAP: self.map_pages_to_xen(a[0], a[1], a[2], a[3]),
            OP_DESTROY: self.destroy_xen_mappings(a[0], a[1]),
            OP_POPULATE: self.populate_pt_range(a[0], a[1]),
            OP_MODIFY: self.modify(a[0], a[1], a[2]),
        }
        ok, early, args = by_op[OP_MAP]
        early = early if early is not None else rc_word(0)
        for op in (OP_DESTROY, OP_POPULATE, OP_MODIFY):
            o_ok, o_early, o_args = by_op[op]
            sel = call.op == op
            ok = ite(sel, o_ok, ok)
            early = ite(sel, o_early if o_early is not None else rc_word(0), early)
            args = ite(sel, o_args, args)
        return ok, early, args

    @follows(PT_C, "pt_update (prologue) and the public wrappers")
    def call_prologue(self, x: Exec, g: Bool, call: Call) -> None:
        ok, early, (virt, mfn, nr, flags) = self.wrapper(call)
        x.assert_(g, ok, "entry point ASSERT (map_pages_to_xen / destroy_xen_mappings)")
        rc = ite(early != 0, early, self.pt_update_prologue(virt, flags))
        start = virt >> PAGE_SHIFT
        x.set(g, op=call.op, start=start, nr=nr, vfn=start, mfn=mfn, flags=flags, rc=rc,
              applied=FALSE)
        loop = g & (rc == 0)
        self.flush_tlb_range_va(x, loop & (nr == 0), *self.flush_args(x.state))  # empty loop: straight to the flush
        x.set(loop & (nr != 0), pc=bv(PC_LOOP, 2))

    @follows(PT_C, "pt_update (after the loop: RISCV_FENCE, unlock, flush_tlb_range_va(0, 0))",
             stmt="RISCV_FENCE(rw, rw); spin_unlock(&pt_lock); flush_tlb_range_va(...);")
    def pt_update_epilogue(self, x: Exec, g: Bool, rc: Word) -> None:
        x.set(g, pc=bv(PC_IDLE, 2), rc=rc)
        self.flush_tlb_range_va(x, g, *self.flush_args(x.state))

    @follows(PT_C, "pt_update (the flush's arguments: the whole address space)", stmt="flush_tlb_range_va(0, 0);")
    def flush_args(self, s: State) -> tuple[Word, Word]:
        """(va, size) pt_update flushes; `s` is the call's state (virt = start << PAGE_SHIFT)."""
        return bv(0, 64), bv(0, 64)

    @follows(FLUSHTLB_H, "flush_tlb_range_va", stmt="sbi_remote_sfence_vma(NULL, va, size);")
    def flush_tlb_range_va(self, x: Exec, g: Bool, va: Word, size: Word) -> None:
        x.flushes.append((g & ~x.halted, va, size))
        self.sbi_remote_sfence_vma(x, g, va, size)

    @follows(SBI_RFENCE, note="hart mask NULL: every online hart; Xen's page tables are the same on "
             "every hart, so one stale hull stands for all of them")
    def sbi_remote_sfence_vma(self, x: Exec, g: Bool, start: Word, size: Word) -> None:
        s = x.state
        whole = ((start == 0) & (size == 0)) | (size == (1 << 64) - 1)
        x.flush(g, whole | flush_covers(s.stale_lo, s.stale_hi, start, size))

    def stale_span(self, virt: Word, level: Word, old: Word, new: Word) -> tuple[Word, Word]:
        """The pages a changed entry at `level` may be cached stale for: those it translates
        (RISC-V may cache invalid entries too); every page when the entry is or becomes a
        table, since an SFENCE.VMA with an address orders only the leaf entries of that
        address (privileged spec, SFENCE.VMA): only a whole-space fence covers a table."""
        table = self.pte_is_table(old) | self.pte_is_table(new)
        lo, hi = entry_span(virt >> PAGE_SHIFT, level_pages(level, self.LEVELS))
        return ite(table, bv(0, 64), lo), ite(table, bv((1 << 64) - 1, 64), hi)

    def step(self, s: State, call: Call) -> Step:
        """One atomic step from `s`; `call` is used only when the machine is idle."""
        x = Exec(self.geo, s)
        g_loop, g_call = s.pc == PC_LOOP, s.pc == PC_IDLE
        rc, level = self.pt_update_iteration(x, g_loop)
        leaf_change = any_of(w.guard & (w.old != w.new) for w in x.writes if w.why == "pt_update_entry")
        x.set(g_loop, applied=s.applied | leaf_change, rc=rc)
        ended = g_loop & ((rc != 0) | (x.state.left == 0))
        self.pt_update_epilogue(x, ended, rc)
        self.call_prologue(x, g_call, call)
        x.set(x.halted, pc=bv(PC_HALTED, 2))
        return Step(pre=s, post=x.state, kind=g_call, call=call, writes=x.writes,
                    descents=x.descents, asserts=x.asserts, level=level, chunk_vfn=s.vfn,
                    chunk_mfn=s.mfn, ended=ended | (g_call & (x.state.pc == PC_IDLE)), mapped=x.mapped,
                    flushes=x.flushes)
