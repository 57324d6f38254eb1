"""Xen's Arm hypervisor page tables: `xen_pt_update` with block mappings (`arm-pt-upstream`).

Follows xen-project/xen c447b7308b `xen/arch/arm/mmu/pt.c` (last changed by
0b61063c6e) and `asm/page.h`.  The RFC of seed 001 (`arm-pt-rfc`) subclasses
this and overrides what differs.  The machine is RISC-V's (`model/riscv/machine.py`:
memory, allocator, a call in progress, ghost state) with three more loop
variables: one atomic step is a call's prologue or ONE `xen_pt_update_entry`
call, so the contiguous-hint loop (`for ( ; nr_contig > 0; nr_contig-- )`)
keeps its count, level and flag as state.

Levels are Arm's: 0 is the root (arm64 HYP_PT_ROOT_LEVEL), 3 the 4 KiB level.
TLB ghost state, per address: Arm TLBs do not hold invalid (faulting) entries, so
only a change to a valid entry makes the TLB stale, and only for the VAs that entry
translates (a contiguous-group conflict: the group's VAs).  The ghost is the set of
stale pages since the last flush, kept as its hull [stale_lo, stale_hi] (vfns,
inclusive; `tlb_stale` says it is not empty).  `flush_xen_tlb_range_va(virt,
PAGE_SIZE * nr_mfns)` at the end of xen_pt_update (asm/flushtlb.h: one TLBI VAE2IS
per page of [va, va + size), none when va + size wraps) clears it only when its
pages cover the hull; a flush that covers part of it leaves the hull as it was (a
narrower flush leaves some stale page: the verdict is the same, `tlb` at that return).
The rule is stricter than the TLBI in one case: a TLBI of any page of a block
drops the block's entry, while the hull asks for all its pages; xen_pt_update
never flushes part of a block it changed (a partial request is -EOPNOTSUPP).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from model.arm.lpae import ArmLpae
from model.arm.walk import agree, claims, desc_frame, group_members, offset
from model.cite import follows
from model.memory import FRAME_BITS, Memory, maddr_beyond
from model.riscv.machine import (
    ALL_PAGES,
    EINVAL,
    ENOENT,
    EOPNOTSUPP,
    INVALID_MFN,
    LEVEL_BITS,
    OP_DESTROY,
    OP_MODIFY,
    OP_POPULATE,
    PC_HALTED,
    PC_IDLE,
    PC_LOOP,
    W64,
    Call,
    Exec,
    Geometry,
    State,
    Step,
    entry_span,
    flush_covers,
    rc_word,
)
from model.riscv.pte import Mode
from model.term import FALSE, TRUE, Bool, Word, any_of, bv, ite

LPAE_4K = Mode("lpae-4k", 4)  # 4 levels of 9 bits: a 48-bit VA
ROOT_LEVEL = 0
THIRD = 3  # the 4 KiB level

# request flags (asm/page.h)
PAGE_AI_MASK = 0x7
_PAGE_XN = 1 << 3
_PAGE_RO = 1 << 4
_PAGE_PRESENT = 1 << 5
_PAGE_POPULATE = 1 << 6
_PAGE_BLOCK = 1 << 7
_PAGE_CONTIG = 1 << 8
MT_DEVICE_nGnRnE, MT_NORMAL_NC, MT_DEVICE_nGnRE, MT_NORMAL = 0x0, 0x1, 0x4, 0x7
_PAGE_DEVICE = _PAGE_XN | _PAGE_PRESENT
_PAGE_NORMAL = MT_NORMAL | _PAGE_PRESENT
PAGE_HYPERVISOR_RO = _PAGE_NORMAL | _PAGE_RO | _PAGE_XN
PAGE_HYPERVISOR_RX = _PAGE_NORMAL | _PAGE_RO
PAGE_HYPERVISOR_RW = _PAGE_NORMAL | _PAGE_XN
PAGE_HYPERVISOR_NOCACHE = _PAGE_DEVICE | MT_DEVICE_nGnRE
PAGE_HYPERVISOR_WC = _PAGE_DEVICE | MT_NORMAL_NC

# descriptor bits (lpae_pt_t)
PTE_VALID, PTE_TABLE = 1 << 0, 1 << 1
PTE_AI_SHIFT = 2
PTE_NS, PTE_UP, PTE_RO = 1 << 5, 1 << 6, 1 << 7
PTE_SH_SHIFT = 8
PTE_AF, PTE_NG = 1 << 10, 1 << 11
PTE_CONTIG, PTE_XN = 1 << 52, 1 << 54
LPAE_SH_OUTER, LPAE_SH_INNER = 0x2, 0x3

XEN_PT_4K_NR_CONTIG = 16
CONTIG_BITS = 5  # nr_contig is 1..16

UPSTREAM = "xen-project/xen@c447b7308b"
PT_C = f"{UPSTREAM} xen/arch/arm/mmu/pt.c"
PAGE_H = f"{UPSTREAM} xen/arch/arm/include/asm/page.h"
FLUSHTLB_H = f"{UPSTREAM} xen/arch/arm/include/asm/flushtlb.h"

# pt_next_level() return values
XEN_TABLE_MAP_FAILED, XEN_TABLE_SUPER_PAGE, XEN_TABLE_NORMAL_PAGE = 0, 1, 2


def level_order(level: int) -> int:
    """XEN_PT_LEVEL_ORDER: log2 of the 4 KiB pages an entry at `level` maps."""
    return 9 * (THIRD - level)


def level_pages_arm(level: Word) -> Word:
    """1 << XEN_PT_LEVEL_ORDER(level) for a symbolic level 1..3 (level 0 maps 512 GiB)."""
    pages = bv(1, 64)
    for lvl in range(THIRD):
        pages = ite(level == lvl, bv(1 << level_order(lvl), 64), pages)
    return pages


@dataclass(frozen=True)
class ArmState(State):
    """RISC-V's machine state plus xen_pt_update's contiguous-group loop variables."""

    group_left: Word  # nr_contig still to write in this group (0: choose a new level)
    group_level: Word  # the group's level
    group_contig: Bool  # the group is written with _PAGE_CONTIG


def arm_geometry(pool: int = 4) -> Geometry:
    return Geometry(LPAE_4K, pool=pool)


def arm_initial_state(geo: Geometry) -> ArmState:
    """The root table allocated and empty (TTBR0_EL2), nothing else."""
    z64 = bv(0, W64)
    return ArmState(
        mem=Memory.zero(), next_free=bv(0, 8),
        pool_level=tuple(bv(0, LEVEL_BITS) for _ in range(geo.pool)),
        pool_parent=tuple((bv(0, FRAME_BITS), bv(0, 9)) for _ in range(geo.pool)),
        pc=bv(PC_IDLE, 2), op=bv(0, 3), start=z64, nr=z64, vfn=z64, mfn=z64, flags=z64,
        rc=rc_word(0), tlb_stale=FALSE, applied=FALSE, stale_lo=z64, stale_hi=z64,
        group_left=bv(0, CONTIG_BITS), group_level=bv(THIRD, LEVEL_BITS), group_contig=FALSE)


class ArmExec(Exec):
    """An Exec whose TLB ghost follows Arm: only a change to a valid entry can be cached
    stale, or a new entry with the contiguous bit written into a group with a live member
    it disagrees with (that member's own TLB entry and the group's may both match: the
    lookup may return either, or a TLB conflict abort; D8.7.1, D8.15.1.6)."""

    def write(self, g: Bool, frame: Word, idx: Word, level, value: Word, why: str,
              vfn: Word | None = None) -> None:
        """`vfn`: a page the entry translates (None: any, the whole address space is
        counted stale); the stale pages are the entry's (a conflict: its group's)."""
        old = self.read(frame, idx)
        members = group_members(self.read, frame, idx)
        conflict = any_of(_level_is(level, lvl) & claims(value, lvl)
                          & any_of((pos != idx) & ~agree(value, idx, e, pos, lvl) for pos, e in members)
                          for lvl in range(1, THIRD + 1))
        super().write(g, frame, idx, level, value, why, span=stale_span(level, vfn, conflict),
                      stale=old.bit(0) | conflict)

    def flush_range(self, g: Bool, va: Word, size: Word) -> None:
        """The TLB ghost under `flush_xen_tlb_range_va(va, size)`: the stale pages are
        gone when [va, va + size) covers them all (see the module doc)."""
        s = self.state
        self.flush(g, flush_covers(s.stale_lo, s.stale_hi, va, size))


def stale_span(level, vfn: Word | None, conflict: Bool) -> tuple[Word, Word]:
    """(first, last) page a changed entry at `level` may be cached stale for: the pages it
    translates, its contiguous group's on a conflict; every page when `vfn` is None."""
    if vfn is None:
        return ALL_PAGES
    lvl_w = level if isinstance(level, Word) else bv(level, LEVEL_BITS)
    return entry_span(vfn, ite(conflict, level_pages_arm(lvl_w) << 4, level_pages_arm(lvl_w)))


def _level_is(level, lvl: int) -> Bool:
    """level == lvl, for a write's level (a Python int or a symbolic Word)."""
    return Bool(level == lvl) if isinstance(level, int) else level == lvl


def _by_level(level: Word, pred) -> Bool:
    """pred(l) for the symbolic `level` (levels 0..3)."""
    return any_of((level == lvl) & pred(lvl) for lvl in range(THIRD + 1))


class ArmPtUpstream(ArmLpae):
    name = "arm-pt-upstream"
    arch = "arm"
    source = f"{UPSTREAM}: xen/arch/arm/mmu/pt.c @ 0b61063c6e, asm/page.h, asm/lpae.h"

    #: the PAGE_HYPERVISOR_* values callers pass (each may be | _PAGE_BLOCK)
    FLAG_PRESETS = (PAGE_HYPERVISOR_RO, PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RX,
                    PAGE_HYPERVISOR_NOCACHE, PAGE_HYPERVISOR_WC)
    #: the width of the flags the entry points pass on (xen_pt_update's `unsigned int flags`;
    #: pte_attr_t is unsigned int on Arm): what the `any` caller contract lets callers pass
    FLAGS_BITS = 32
    #: xen_pt_update refuses the internal _PAGE_CONTIG flag before the loop (d1459136f3)
    REFUSES_CONTIG = True

    def __init__(self, geo: Geometry | None = None):
        self.geo = geo or arm_geometry()

    @property
    def root(self) -> Word:
        return bv(self.geo.root, FRAME_BITS)

    def initial_state(self) -> ArmState:
        return arm_initial_state(self.geo)

    # -- descriptors ---------------------------------------------------------
    #: CONFIG_PADDR_BITS (arch/arm/Kconfig: 48 on ARM_64); PADDR_MASK is xen/page-size.h's
    PADDR_BITS = 48
    ASSERT_PADDR = "mfn_to_xen_entry: ASSERT(!(mfn_to_maddr(mfn) & ~PADDR_MASK))"

    @follows(PT_C, "mfn_to_xen_entry", stmt="ASSERT(!(mfn_to_maddr(mfn) & ~PADDR_MASK));",
             note="the caller's 64-bit mfn_t shifted into a 64-bit paddr_t; the entry is built after it")
    def mfn_paddr_assert(self, x: Exec, g: Bool, mfn: Word) -> None:
        x.assert_(g, ~maddr_beyond(mfn, self.PADDR_BITS), self.ASSERT_PADDR)

    @follows(PT_C, "mfn_to_xen_entry", note="lpae_set_mfn: the 36-bit base field keeps the mfn's low bits")
    def mfn_to_xen_entry(self, mfn: Word, attr: Word) -> Word:
        sh = ite((attr == MT_NORMAL_NC) | (attr == MT_DEVICE_nGnRnE) | (attr == MT_DEVICE_nGnRE),
                 bv(LPAE_SH_OUTER, 64), bv(LPAE_SH_INNER, 64))
        return (PTE_VALID | (attr.zext(64) << PTE_AI_SHIFT) | PTE_NS | PTE_UP | PTE_AF | PTE_NG | PTE_XN
                | (sh << PTE_SH_SHIFT) | ((mfn & ((1 << 36) - 1)) << 12))

    @follows(PT_C, "create_xen_table", note="alloc_domheap_page; clear_page; MT_NORMAL entry with table=1",
             stmt="write_pte(entry, pte);")
    def create_xen_table(self, x: Exec, g: Bool, table: Word, off: Word, level: int) -> Bool:
        ok, mfn = x.alloc(g, level + 1, (table, off))
        x.map_table(g & ok)  # p = xen_map_table(mfn); clear_page(p); xen_unmap_table(p);
        x.clear(g & ok, mfn)
        x.unmap_table(g & ok)
        self.mfn_paddr_assert(x, g & ok, mfn)
        pte = self.mfn_to_xen_entry(mfn.zext(64), bv(MT_NORMAL, 3)) | PTE_TABLE
        x.write(g & ok, table, off, level, pte, "create_table")
        return ok

    @follows(PT_C, "xen_pt_next_level")
    def xen_pt_next_level(self, x: Exec, g: Bool, read_only: Bool, table: Word, off: Word,
                          level: int) -> tuple[Word, Word]:
        """(XEN_TABLE_* code, next table's frame)."""
        entry = x.read(table, off)
        invalid = ~self.lpae_is_valid(entry)
        created = self.create_xen_table(x, g & invalid & ~read_only, table, off, level)
        failed = invalid & (read_only | ~created)
        entry = x.read(table, off)
        ret = ite(failed, bv(XEN_TABLE_MAP_FAILED, 2),
                  ite(self.lpae_is_mapping(entry, level), bv(XEN_TABLE_SUPER_PAGE, 2),
                      bv(XEN_TABLE_NORMAL_PAGE, 2)))
        normal = g & (ret == XEN_TABLE_NORMAL_PAGE)
        x.descend(normal, table, off, level, entry)
        x.unmap_table(normal)  # xen_unmap_table(*table); *table = xen_map_table(mfn);
        x.map_table(normal)
        return ret, desc_frame(entry)

    def is_mapping_at(self, entry: Word, level: Word) -> Bool:
        return _by_level(level, lambda lvl: self.lpae_is_mapping(entry, lvl))

    def is_table_at(self, entry: Word, level: Word) -> Bool:
        return _by_level(level, lambda lvl: self.lpae_is_table(entry, lvl))

    @follows(PT_C, "xen_pt_check_entry", note="ASSERTs halt the machine")
    def xen_pt_check_entry(self, x: Exec, g: Bool, entry: Word, mfn: Word, level: Word,
                           flags: Word) -> Bool:
        present = (flags & _PAGE_PRESENT).any()
        invalid_mfn = mfn == INVALID_MFN
        modify = present & invalid_mfn
        insert = present & ~invalid_mfn
        remove = ~present & ~(flags & _PAGE_POPULATE).any()
        populate = ~present & ~remove
        x.assert_(g & (remove | populate), invalid_mfn, "xen_pt_check_entry: ASSERT(mfn_eq(mfn, INVALID_MFN))")
        valid = self.lpae_is_valid(entry)
        contig = entry.bit(52)
        modify_ok = (valid & self.is_mapping_at(entry, level)
                     & (entry.bits(4, 2) == flags.bits(2, 0)) & ~contig)
        remove_ok = ~self.is_table_at(entry, level) & ~contig
        return ite(modify, modify_ok, ite(insert, ~valid, ite(remove, remove_ok, TRUE)))

    # -- the entry xen_pt_update_entry writes, one method per branch
    @follows(PT_C, "xen_pt_update_entry (remove: no _PAGE_PRESENT)", stmt="memset(&pte, 0x00, sizeof(pte));")
    def entry_remove(self, entry: Word, mfn: Word, level: Word, flags: Word) -> Word:
        return bv(0, 64)

    @follows(PT_C, "xen_pt_update_entry (insert: a valid MFN)",
             stmt="pte = mfn_to_xen_entry(mfn, PAGE_AI_MASK(flags)); pte.pt.table = (level == 3);")
    def entry_insert(self, entry: Word, mfn: Word, level: Word, flags: Word) -> Word:
        return self.mfn_to_xen_entry(mfn, flags.bits(2, 0)) | ite(level == THIRD, bv(PTE_TABLE, 64), bv(0, 64))

    @follows(PT_C, "xen_pt_update_entry (modify: copy the current entry)", stmt="pte = *entry;")
    def entry_modify(self, entry: Word, mfn: Word, level: Word, flags: Word) -> Word:
        return entry

    @follows(PT_C, "xen_pt_update_entry (new entry)")
    def new_entry(self, entry: Word, mfn: Word, level: Word, flags: Word) -> Word:
        inserted = self.entry_insert(entry, mfn, level, flags)
        pte = ite(mfn != INVALID_MFN, inserted, self.entry_modify(entry, mfn, level, flags))
        pte = self.set_permissions(pte, flags)
        return ite((flags & _PAGE_PRESENT).any(), pte, self.entry_remove(entry, mfn, level, flags))

    #: the methods whose statements build the entry each branch writes, in C order
    WRITE_PATHS = {"remove": ("entry_remove",), "insert": ("entry_insert", "set_permissions"),
                   "modify": ("entry_modify", "set_permissions")}

    def write_path(self, mfn: int, flags: int) -> tuple[str, tuple[str, ...]]:
        """The branch of xen_pt_update_entry a concrete request takes, and the
        methods that build the entry it writes (then `write_pte(entry, pte)`)."""
        branch = ("remove" if not flags & _PAGE_PRESENT else "insert" if mfn != INVALID_MFN else "modify")
        return branch, self.WRITE_PATHS[branch]

    @follows(PT_C, "xen_pt_update_entry: pte.pt.ro, pte.pt.xn, pte.pt.contig from the flags",
             stmt="pte.pt.ro = PAGE_RO_MASK(flags); pte.pt.xn = PAGE_XN_MASK(flags); "
                  "pte.pt.contig = !!(flags & _PAGE_CONTIG);")
    def set_permissions(self, pte: Word, flags: Word) -> Word:
        pte = pte & ~(PTE_RO | PTE_XN | PTE_CONTIG)
        return (pte | ite((flags & _PAGE_RO).any(), bv(PTE_RO, 64), bv(0, 64))
                | ite((flags & _PAGE_XN).any(), bv(PTE_XN, 64), bv(0, 64))
                | ite((flags & _PAGE_CONTIG).any(), bv(PTE_CONTIG, 64), bv(0, 64)))

    def offset_at(self, va: Word, level: Word) -> Word:
        """offsets[level] for a symbolic level."""
        idx = offset(va, THIRD)
        for lvl in range(THIRD):
            idx = ite(level == lvl, offset(va, lvl), idx)
        return idx

    @follows(PT_C, "xen_pt_update_entry", stmt="write_pte(entry, pte);")
    def xen_pt_update_entry(self, x: Exec, g: Bool, virt: Word, mfn: Word, target: Word,
                            flags: Word) -> Word:
        present = (flags & _PAGE_PRESENT).any()
        populate = (flags & _PAGE_POPULATE).any()
        x.assert_(g, ~(present & populate), "xen_pt_update_entry: ASSERT(!(POPULATE && PRESENT))")
        read_only = (mfn == INVALID_MFN) & ~populate
        table, level = self.root, bv(ROOT_LEVEL, LEVEL_BITS)
        x.map_table(g)  # table = xen_map_table(root);
        out, broke, rc = FALSE, FALSE, rc_word(0)
        for lvl in range(ROOT_LEVEL, THIRD):
            active = g & ~out & ~broke & (target > lvl)
            ret, nxt = self.xen_pt_next_level(x, active, read_only, table, offset(virt, lvl), lvl)
            failed = active & (ret == XEN_TABLE_MAP_FAILED)
            rc = ite(failed, ite(present | populate, rc_word(-ENOENT), rc_word(0)), rc)
            out = out | failed
            normal = active & (ret == XEN_TABLE_NORMAL_PAGE)
            broke = broke | (active & (ret == XEN_TABLE_SUPER_PAGE))
            table = ite(normal, nxt, table)
            level = ite(normal, bv(lvl + 1, LEVEL_BITS), level)
        shatter = g & ~out & (level != target)
        rc = ite(shatter, rc_word(-EOPNOTSUPP), rc)
        out = out | shatter
        idx = self.offset_at(virt, level)
        entry = x.read(table, idx)
        ok = self.xen_pt_check_entry(x, g & ~out, entry, mfn, level, flags)
        rc = ite(out, rc, ite(ok, rc_word(0), rc_word(-EINVAL)))
        self.mfn_paddr_assert(x, g & ~out & ok & ~populate & present & (mfn != INVALID_MFN), mfn)
        x.write(g & ~out & ok & ~populate, table, idx, level, self.new_entry(entry, mfn, level, flags),
                "pt_update_entry", vfn=virt >> 12)
        x.unmap_table(g)  # out: xen_unmap_table(table);
        return rc

    @follows(PT_C, "xen_pt_mapping_level")
    def xen_pt_mapping_level(self, vfn: Word, mfn: Word, nr: Word, flags: Word) -> Word:
        mask = ite(mfn != INVALID_MFN, mfn, bv(0, 64)) | vfn
        level = bv(THIRD, LEVEL_BITS)
        for lvl in (2, 1):  # the C if/else runs 1 then 2: the last assignment here wins
            order = level_order(lvl)
            fits = ((mask & ((1 << order) - 1)) == 0) & (nr >= (1 << order))
            level = ite(fits, bv(lvl, LEVEL_BITS), level)
        return ite((flags & _PAGE_BLOCK).any(), level, bv(THIRD, LEVEL_BITS))

    @follows(PT_C, "xen_pt_check_contig")
    def xen_pt_check_contig(self, vfn: Word, mfn: Word, level: Word, left: Word, flags: Word) -> Word:
        nr_contig = level_pages_arm(level) << 4  # * XEN_PT_4K_NR_CONTIG (16)
        allowed = ((flags & _PAGE_BLOCK).any() & (mfn != INVALID_MFN) & (left >= nr_contig)
                   & (((mfn | vfn) & (nr_contig - 1)) == 0))
        return ite(allowed, bv(XEN_PT_4K_NR_CONTIG, CONTIG_BITS), bv(1, CONTIG_BITS))

    @follows(PT_C, "xen_pt_update (ASSERT(left >= BIT(order, UL)), from 677b3f8f7b)")
    def assert_order(self, x: Exec, g: Bool, left: Word, level: Word) -> None:
        x.assert_(g, left >= level_pages_arm(level), "xen_pt_update: ASSERT(left >= BIT(order, UL))")

    @follows(PT_C, "xen_pt_update (loop body: one xen_pt_update_entry of the nr_contig loop)")
    def xen_pt_update_iteration(self, x: Exec, g: Bool) -> tuple[Word, Word]:
        """Returns (rc, level of the entry updated)."""
        s = x.state
        new_group = s.group_left == 0
        level = self.xen_pt_mapping_level(s.vfn, s.mfn, s.left, s.flags)
        self.assert_order(x, g & new_group, s.left, level)
        nr_contig = self.xen_pt_check_contig(s.vfn, s.mfn, level, s.left, s.flags)
        level = ite(new_group, level, s.group_level)
        count = ite(new_group, nr_contig, s.group_left)
        contig = ite(new_group, nr_contig > 1, s.group_contig)
        new_flags = s.flags | ite(contig, bv(_PAGE_CONTIG, 64), bv(0, 64))
        rc = self.xen_pt_update_entry(x, g, s.vfn << 12, s.mfn, level, new_flags)
        step = level_pages_arm(level)
        x.set(g & (rc == 0), vfn=s.vfn + step, mfn=ite(s.mfn != INVALID_MFN, s.mfn + step, s.mfn),
              group_left=count - 1, group_level=level, group_contig=contig)
        return rc, level

    @follows(PT_C, "xen_pt_update (checks before the loop)", note="flags_has_rwx since 0b61063c6e")
    def xen_pt_update_prologue(self, virt: Word, flags: Word) -> Word:
        rwx = (flags & _PAGE_PRESENT).any() & ~(flags & _PAGE_RO).any() & ~(flags & _PAGE_XN).any()
        return ite(rwx, rc_word(-EINVAL),
                   ite((flags & _PAGE_CONTIG).any(), rc_word(-EINVAL),
                       ite((virt & 0xFFF) != 0, rc_word(-EINVAL), rc_word(0))))

    @follows(FLUSHTLB_H, "flush_xen_tlb_range_va",
             note="not in ../shared/xen: dsb; __flush_xen_tlb_one (TLBI VAE2IS) for each page of "
                  "va..va+size while va < end; dsb; isb")
    def flush_xen_tlb_range_va(self, x: Exec, g: Bool, va: Word, size: Word) -> None:
        x.flush_range(g, va, size)

    def flush_args(self, s: ArmState) -> tuple[Word, Word]:
        """xen_pt_update's flush_xen_tlb_range_va(virt, PAGE_SIZE * nr_mfns): the call's
        own virt and its const nr_mfns (seed 001: "nr_mfns is now marked const as it is
        used for flushing the TLBs")."""
        return s.start << 12, s.nr << 12

    @follows(PT_C, "xen_pt_update (after the loop)",
             note="flush_xen_tlb_range_va unless an insert (mfn valid and PRESENT): then only isb()",
             stmt="flush_xen_tlb_range_va(virt, PAGE_SIZE * nr_mfns);")
    def xen_pt_update_epilogue(self, x: Exec, g: Bool, rc: Word) -> None:
        s = x.state
        insert = (s.flags & _PAGE_PRESENT).any() & (s.mfn != INVALID_MFN)
        x.set(g, pc=bv(PC_IDLE, 2), rc=rc, group_left=bv(0, CONTIG_BITS))
        self.flush_xen_tlb_range_va(x, g & ~insert, *self.flush_args(s))

    # -- the public wrappers: (ASSERT condition, xen_pt_update args) -----------
    @follows(PT_C)
    def map_pages_to_xen(self, virt: Word, mfn: Word, nr: Word, flags: Word):
        return TRUE, (virt, mfn, nr, flags)

    @follows(PT_C)
    def populate_pt_range(self, virt: Word, nr: Word):
        return TRUE, (virt, bv(INVALID_MFN, 64), nr, bv(_PAGE_POPULATE, 64))

    @follows(PT_C, note="ASSERTs s and e aligned (d2cc5633e2) and s <= e")
    def destroy_xen_mappings(self, s: Word, e: Word):
        ok = ((s & 0xFFF) == 0) & ((e & 0xFFF) == 0) & (s <= e)
        return ok, (s, bv(INVALID_MFN, 64), (e - s) >> 12, bv(0, 64))

    @follows(PT_C, note="ASSERTs s and e aligned (d2cc5633e2) and s <= e")
    def modify_xen_mappings(self, s: Word, e: Word, nf: Word):
        ok = ((s & 0xFFF) == 0) & ((e & 0xFFF) == 0) & (s <= e)
        return ok, (s, bv(INVALID_MFN, 64), (e - s) >> 12, nf)

    def wrapper(self, call: Call):
        a = call.a
        ok, args = self.map_pages_to_xen(a[0], a[1], a[2], a[3])
        for op, (o_ok, o_args) in ((OP_DESTROY, self.destroy_xen_mappings(a[0], a[1])),
                                   (OP_POPULATE, self.populate_pt_range(a[0], a[1])),
                                   (OP_MODIFY, self.modify_xen_mappings(a[0], a[1], a[2]))):
            sel = call.op == op
            ok, args = ite(sel, o_ok, ok), ite(sel, o_args, args)
        return ok, args

    @follows(PT_C, "xen_pt_update (prologue) and the public wrappers")
    def call_prologue(self, x: Exec, g: Bool, call: Call) -> None:
        ok, (virt, mfn, nr, flags) = self.wrapper(call)
        x.assert_(g, ok, "entry point ASSERT (destroy/modify_xen_mappings)")
        rc = self.xen_pt_update_prologue(virt, flags)
        start = virt >> 12
        x.set(g, op=call.op, start=start, nr=nr, vfn=start, mfn=mfn, flags=flags, rc=rc,
              applied=FALSE, group_left=bv(0, CONTIG_BITS))
        loop = g & (rc == 0)
        self.xen_pt_update_epilogue(x, loop & (nr == 0), rc)  # empty loop: straight to the flush
        x.set(loop & (nr != 0), pc=bv(PC_LOOP, 2))

    def step(self, s: ArmState, call: Call) -> Step:
        """One atomic step from `s`: one xen_pt_update_entry, or a call's prologue when idle."""
        x = ArmExec(self.geo, s)
        g_loop, g_call = s.pc == PC_LOOP, s.pc == PC_IDLE
        rc, level = self.xen_pt_update_iteration(x, g_loop)
        leaf_change = any_of(w.guard & (w.old != w.new) for w in x.writes if w.why == "pt_update_entry")
        x.set(g_loop, applied=s.applied | leaf_change, rc=rc)
        post = x.state
        ended = g_loop & ((rc != 0) | ((post.group_left == 0) & (post.left == 0)))
        self.xen_pt_update_epilogue(x, ended, rc)
        self.call_prologue(x, g_call, call)
        x.set(x.halted, pc=bv(PC_HALTED, 2))
        return Step(pre=s, post=x.state, kind=g_call, call=call, writes=x.writes,
                    descents=x.descents, asserts=x.asserts, level=level, chunk_vfn=s.vfn,
                    chunk_mfn=s.mfn, ended=ended | (g_call & (x.state.pc == PC_IDLE)), mapped=x.mapped)


RFC = "seed 001 [PATCH RFC 4/6] xen/arm: mm: Allow other mapping size in xen_pt_update_entry()"
C677 = "xen-project/xen@677b3f8f7b xen/arch/arm/mm.c"


class ArmPtRfc(ArmPtUpstream):
    """The 2020 RFC as posted; what the seed does not show is from 677b3f8f7b, the commit it became."""

    name = "arm-pt-rfc"
    REFUSES_CONTIG = False  # no _PAGE_CONTIG before d1459136f3: bit 8 is not checked
    source = (f"{RFC} (as posted, Nov 2020); the rest of mm.c from {C677} "
              "(before the contiguous bit d1459136f3 and the insert flush skip 07d11f63d0)")

    @follows(RFC, "xen_pt_update (order choice inline)",
             note="mask = mfn | vfn | left: a superpage only if left is aligned too; no nr check")
    def xen_pt_mapping_level(self, vfn: Word, mfn: Word, nr: Word, flags: Word) -> Word:
        mask = ite(mfn != INVALID_MFN, mfn, bv(0, 64)) | vfn | nr
        level = bv(THIRD, LEVEL_BITS)
        for lvl in (2, 1):
            level = ite((mask & ((1 << level_order(lvl)) - 1)) == 0, bv(lvl, LEVEL_BITS), level)
        return ite((flags & _PAGE_BLOCK).any(), level, bv(THIRD, LEVEL_BITS))

    @follows(RFC, "xen_pt_update (no ASSERT on left: added by 677b3f8f7b)")
    def assert_order(self, x: Exec, g: Bool, left: Word, level: Word) -> None:
        return None

    @follows(C677, "xen_pt_update (no contiguous hint before d1459136f3)")
    def xen_pt_check_contig(self, vfn: Word, mfn: Word, level: Word, left: Word, flags: Word) -> Word:
        return bv(1, CONTIG_BITS)

    @follows(C677, "xen_pt_update_entry (ro and xn from the flags; contig untouched)",
             stmt="pte.pt.ro = PAGE_RO_MASK(flags); pte.pt.xn = PAGE_XN_MASK(flags);")
    def set_permissions(self, pte: Word, flags: Word) -> Word:
        pte = pte & ~(PTE_RO | PTE_XN)
        return (pte | ite((flags & _PAGE_RO).any(), bv(PTE_RO, 64), bv(0, 64))
                | ite((flags & _PAGE_XN).any(), bv(PTE_XN, 64), bv(0, 64)))

    @follows(C677, "xen_pt_update (checks before the loop)",
             note="W^X inline (9cc0618eb0); no _PAGE_CONTIG check (the flag came with d1459136f3)")
    def xen_pt_update_prologue(self, virt: Word, flags: Word) -> Word:
        rwx = (flags & _PAGE_PRESENT).any() & ~(flags & _PAGE_RO).any() & ~(flags & _PAGE_XN).any()
        return ite(rwx | ((virt & 0xFFF) != 0), rc_word(-EINVAL), rc_word(0))

    @follows(C677, "xen_pt_update (after the loop)", note="flush_xen_tlb_range_va always, even for an insert",
             stmt="flush_xen_tlb_range_va(virt, PAGE_SIZE * nr_mfns);")
    def xen_pt_update_epilogue(self, x: Exec, g: Bool, rc: Word) -> None:
        s = x.state
        x.set(g, pc=bv(PC_IDLE, 2), rc=rc, group_left=bv(0, CONTIG_BITS))
        self.flush_xen_tlb_range_va(x, g, *self.flush_args(s))

    @follows(C677, "destroy_xen_mappings", note="ASSERT(v <= e) only (alignment ASSERTs came with d2cc5633e2)")
    def destroy_xen_mappings(self, s: Word, e: Word):
        return s <= e, (s, bv(INVALID_MFN, 64), (e - s) >> 12, bv(0, 64))

    @follows(C677, "modify_xen_mappings", note="ASSERT(s <= e) only")
    def modify_xen_mappings(self, s: Word, e: Word, nf: Word):
        return s <= e, (s, bv(INVALID_MFN, 64), (e - s) >> 12, nf)


