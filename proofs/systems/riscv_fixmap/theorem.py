"""The riscv-fixmap system: the fixmap's virtual layout and its page-table updates.

Layout obligations (`layout-*`) are facts about the constants of
`model/riscv/fixmap.py` checked by the solver over a free address or slot:
sat gives the address that breaks them.  State-machine obligations run the
riscv-pt upstream machine restricted to the fixmap's entry points
(setup_fixmap_mappings, then set_fixmap / clear_fixmap on slots 0..FIX_LAST)
from the boot state (`machine.py`).  Read this file first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from model.memory import FRAME_BITS
from model.riscv.fixmap import (BOOT_L1_FRAME, OP_CLEAR_FIXMAP, OP_SET_FIXMAP, OP_SETUP_FIXMAP, PAGE_INFO_SIZE,
                                XEN_FIXMAP_FRAME, RiscvFixmapUpstream)
from model.riscv.machine import INVALID_MFN, PC_IDLE, PC_LOOP, Geometry, rc_word
from model.riscv.pte import (PAGE_SHIFT, PAGETABLE_ENTRIES, PTE_EXECUTABLE, PTE_SMALL, PTE_VALID, PTE_WRITABLE,
                             SV39, classify)
from model.riscv.walk import vpn
from model.term import FALSE, TRUE, Bool, Word, all_of, any_of, bv, evaluate, ite, sym_word
from proofs.engine.decide import standard_decide
from proofs.engine.obligation import Member, Query, StepObligation
from proofs.engine.step import ReplayError
from proofs.systems.contracts import fits, flags_fit, is_any
from proofs.systems.shared import MAX_ERRNO, PPN_LIMIT, flags_ok, no_overwrite, tlb, wx, wx_flags
from proofs.systems.walk import View

LAYOUT_GAP = 2 << 20  # "( 2 MB gap )" in the layout comment
LAYOUT_BOUNDS = {"mode": "sv39", "what": "the constants of config.h/fixmap.h, a free 64-bit address or slot"}


# ---------------------------------------------------------------------------
# layout obligations: `claim(variant, x)` over a free 64-bit x; `domain` makes it meaningful


def _in(x: Word, start: int, end: int) -> Bool:
    """start <= x < end (end exclusive)."""
    return (x >= start) & (x < end)


def _pairs(v):
    regions = list(v.layout().regions().values())
    return [(a, b) for i, a in enumerate(regions) for b in regions[i + 1:]]


def disjoint_domain(v, x: Word) -> Bool:
    return any_of(_in(x, r.start, r.end) for r in v.layout().regions().values())


def disjoint_claim(v, x: Word) -> Bool:
    # No address lies in two of Xen, FDT, fixmap, nor in the 2 MB gap the layout
    # comment promises after one of them and in the next.
    gap = LAYOUT_GAP
    return all_of(~(_in(x, a.start, a.end + gap) & _in(x, b.start - gap, b.end)) for a, b in _pairs(v))


def slots_claim(v, x: Word) -> Bool:
    # Every address of each region lies inside its row of the layout comment,
    # and in the root-table slot that row names.
    rows = v.layout_comment()
    ok = TRUE
    for name, r in v.layout().regions().items():
        row = rows[name]
        slot = vpn(x, v.ROOT_LEVEL)
        inside = (x >= row.start) & (x <= row.end) & (slot >= row.slots[0]) & (slot <= row.slots[-1])
        ok = ok & _in(x, r.start, r.end).implies(inside)
    return ok


def canonical_claim(v, x: Word) -> Bool:
    # Every address of every region is a valid Sv39 virtual address: bits 63:39 equal
    # bit 38, else a fetch, load or store through it page-faults (privileged spec,
    # "Sv39", and pte-encodings.md 1.5 step 1); SLOTN() does not sign-extend.
    sign = SV39.va_bits - 1  # bit 38
    top = x >> sign
    return (top == 0) | (top == (1 << (64 - sign)) - 1)


def frametable_domain(v, n: Word) -> Bool:
    # n: a page of the directmap (a frame the directmap can map)
    regions = v.layout().regions()
    return Bool("frametable" in regions) & (n < regions["directmap"].size >> PAGE_SHIFT)


def frametable_claim(v, n: Word) -> Bool:
    # The frametable holds the struct page_info of every page the directmap can map
    # (setup_frametable_mappings panics past FRAMETABLE_SIZE).
    ft = v.layout().regions()["frametable"]
    return ft.start + (n + 1) * PAGE_INFO_SIZE <= ft.end


def slot_domain(v, n: Word) -> Bool:
    return n <= v.layout().fix_last


def fixmap_l0_claim(v, n: Word) -> Bool:
    # Every fixmap slot fits the 512 entries of xen_fixmap[], and its address
    # is translated through the one level-0 table FIXMAP_ADDR(0) uses.
    a, a0 = v.fixmap_addr(n), v.fixmap_addr(bv(0, 64))
    same_table = all_of(vpn(a, lvl) == vpn(a0, lvl) for lvl in range(1, v.LEVELS))
    return (n < PAGETABLE_ENTRIES) & same_table & (vpn(a, 0) == n.trunc(9) + vpn(a0, 0))


@dataclass(frozen=True)
class LayoutFact:
    """A layout obligation's statement: `claim(v, x)` for every `x` with `domain(v, x)`."""

    domain: Callable
    claim: Callable

    def broken_by(self, v, x: int) -> bool:
        return bool(self.domain(v, bv(x, 64))) and not bool(self.claim(v, bv(x, 64)))

    def shrink(self, v, x: int) -> int:
        """`x` with its bits cleared, highest first, while it still breaks the claim: the
        value shown does not depend on which one the solver returned."""
        for bit in reversed(range(64)):
            if x >> bit & 1 and self.broken_by(v, x & ~(1 << bit)):
                x &= ~(1 << bit)
        return x


#: oid -> its statement, for a vector's replay on the constants (`layout_vectors.py`)
LAYOUT_FACTS: dict[str, LayoutFact] = {}


def layout(oid: str, statement: str, domain: Callable, claim: Callable,
           applies: Callable = lambda layout: True) -> Query:
    """A fact about the constants, over a free 64-bit address or slot `x`; none for a
    version whose layout it does not `apply` to (a region the version does not define)."""
    LAYOUT_FACTS[oid] = LayoutFact(domain, claim)

    def members(cls, settings) -> list[Member]:
        v = cls(Geometry(SV39, pool=settings.pool))
        if not applies(v.layout()):
            return []
        x = sym_word("x", 64)

        def read(model) -> dict:
            xc = int(evaluate(x, model))
            if not LAYOUT_FACTS[oid].broken_by(v, xc):
                raise ReplayError(f"{oid}: the solver's value {xc:#x} does not reproduce")
            xc = LAYOUT_FACTS[oid].shrink(v, xc)
            return {"x": hex(xc), **{n: [hex(r.start), hex(r.end)] for n, r in v.layout().regions().items()}}

        return [Member("-", LAYOUT_BOUNDS, lambda: (domain(v, x), claim(v, x)),
                       lambda ask: standard_decide(domain(v, x), claim(v, x), read,
                                                   refuted_detail="a concrete value breaks it "
                                                   "(re-evaluated on the constants)")(ask),
                       name="layout")]
    return Query(oid, statement, members, cites=claim)


LAYOUT_OBLIGATIONS: dict[str, Query] = {o.id: o for o in (
    layout("layout-disjoint", "Xen image, FDT and fixmap do not overlap and keep the "
           "2 MB gaps between them", disjoint_domain, disjoint_claim),
    layout("layout-slots", "each region lies in the addresses and root slot its row of "
           "the layout comment claims", disjoint_domain, slots_claim),
    layout("layout-fixmap-l0", "FIX_LAST < 512 and every fixmap slot's address is "
           "mapped through the one level-0 table xen_fixmap[]", slot_domain, fixmap_l0_claim),
    layout("layout-canonical", "every address of every region is a canonical Sv39 address "
           "(bits 63:39 equal bit 38), so an access through it can translate", disjoint_domain,
           canonical_claim),
    layout("layout-frametable", "the frametable holds a struct page_info for every page of the "
           "directmap", frametable_domain, frametable_claim, applies=lambda lay: "frametable" in lay.regions()),
)}


# ---------------------------------------------------------------------------
# the fixmap's tables, as the obligations below name them

@dataclass
class Fixmap:
    """A version's fixmap: where it is and whether its table is installed."""

    v: RiscvFixmapUpstream

    @property
    def base(self) -> Word:
        return self.v.fixmap_addr(bv(0, 64))

    def installed(self, s) -> Bool:
        return s.mem.read(bv(BOOT_L1_FRAME, FRAME_BITS), vpn(self.base, 1)) == self.v.table_pte(XEN_FIXMAP_FRAME)


# -- what must hold --------------------------------------------------------------

def walk_ok(m: Fixmap, s, va: Word, faults: bool = True) -> Bool:
    """Along the MMU's walk for `va`: no reserved entry (unless `faults` is False), and
    the boot L1 table and xen_fixmap[] are reached only through the entries
    setup_fixmap_mappings uses."""
    t = View(m.v, None, va).translate(s)  # type: ignore[arg-type]
    ok = TRUE
    prev = None
    for visit in t.visits:
        if faults:
            ok = ok & visit.on.implies(~classify(visit.entry, visit.level, SV39).fault)
        for frame, level, parent in ((BOOT_L1_FRAME, 1, (m.v.geo.root, vpn(m.base, 2))),
                                     (XEN_FIXMAP_FRAME, 0, (BOOT_L1_FRAME, vpn(m.base, 1)))):
            here = visit.on & (visit.frame == frame)
            good = Bool(visit.level == level)
            if prev is not None:
                good = good & (prev.frame == parent[0]) & (prev.idx == parent[1])
            else:
                good = FALSE
            ok = ok & here.implies(good)
        prev = visit
    return ok


def fixmap_shape(m: Fixmap, s, addresses: list[Word]) -> Bool:
    """The inductive shape of the fixmap (the lemma every step proof assumes).  Under the
    `any` caller contract (`machine.py` call_ok) it keeps only what the code keeps for
    every slot, frame and flags word (`any_shape`)."""
    v = m.v
    root_ok = s.mem.read(bv(v.geo.root, FRAME_BITS), vpn(m.base, 2)) == v.table_pte(BOOT_L1_FRAME)
    l1 = s.mem.read(bv(BOOT_L1_FRAME, FRAME_BITS), vpn(m.base, 1))
    installed = m.installed(s)
    ok = root_ok & ((l1 == 0) | installed) & (s.pc == PC_IDLE).implies(~s.tlb_stale)
    if is_any(v):
        return ok & any_shape(m, s, addresses, installed)
    fix_last = v.layout().fix_last
    for a in addresses:
        e = s.mem.read(bv(XEN_FIXMAP_FRAME, FRAME_BITS), vpn(a, 0))
        c = classify(e, 0, SV39)
        leaf = installed & (vpn(a, 0) <= fix_last) & c.leaf & ~(c.w & c.x)
        ok = ok & walk_ok(m, s, a) & ((e == 0) | leaf)
    slot_vfn = s.vfn - (m.base >> PAGE_SHIFT)
    flags_in = flags_ok(s.flags, v.FLAG_PRESETS) & ((s.flags & PTE_SMALL) != 0)
    V_W_X = (s.flags & (PTE_WRITABLE | PTE_EXECUTABLE)) == (PTE_WRITABLE | PTE_EXECUTABLE)
    by_op = ((s.op == OP_SET_FIXMAP) & (s.mfn < PPN_LIMIT) & flags_in & ~V_W_X) | \
            ((s.op == OP_CLEAR_FIXMAP) & (s.mfn == INVALID_MFN) & (s.flags == 0))
    loop = installed & by_op & (s.nr == 1) & (s.start == s.vfn) & (slot_vfn <= fix_last)
    return ok & (s.pc == PC_LOOP).implies(loop)


def any_shape(m: Fixmap, s, addresses: list[Word], installed: Bool) -> Bool:
    """The fixmap's shape under any callers: the static tables are reached only through
    their entries (reserved entries allowed: any flags word reaches the tables), every
    xen_fixmap[] slot holds nothing or a valid entry that is not W+X (pt_update refuses
    V+W+X, a flags word without V removes), and a call in progress is set_fixmap of a
    valid frame with V in its flags (map_pages_to_xen's ASSERT) or clear_fixmap, of one
    page at FIXMAP_ADDR(map) for a 32-bit map (FIXMAP_BASE + map * PAGE_SIZE, mod 2^64).
    A set is one iteration (PTE_SMALL: level 0); a clear's walk may stop at a missing
    entry above level 0, and its loop then runs on past the page (`left` wraps: the
    riscv-pt upstream finding), so where a clear's loop is is not stated."""
    ok = TRUE
    for a in addresses:
        e = s.mem.read(bv(XEN_FIXMAP_FRAME, FRAME_BITS), vpn(a, 0))
        ok = ok & walk_ok(m, s, a, faults=False) & ((e == 0) | (installed & ((e & PTE_VALID) != 0) & ~wx_flags(e)))
    slot = (s.start - (m.base >> PAGE_SHIFT)) & ((1 << (64 - PAGE_SHIFT)) - 1)
    set_ok = ((s.mfn != INVALID_MFN) & ((s.flags & PTE_VALID) != 0) & ((s.flags & PTE_SMALL) != 0)
              & ~wx_flags(s.flags) & flags_fit(s.flags, m.v) & (s.start == s.vfn))
    by_op = ((s.op == OP_SET_FIXMAP) & set_ok) | ((s.op == OP_CLEAR_FIXMAP) & (s.mfn == INVALID_MFN) & (s.flags == 0))
    loop = installed & by_op & (s.nr == 1) & fits(slot, 32) & ((s.start >> (64 - PAGE_SHIFT)) == 0)
    return ok & (s.pc == PC_LOOP).implies(loop)


def fixmap_no_overwrite(v: View) -> Bool:
    # riscv-pt's no-overwrite, and setup_fixmap_mappings installs its table
    # only over an invalid entry.
    setup = all_of(w.guard.implies(~w.old.bit(0)) for w in v.step.writes
                   if w.why == "setup_fixmap_mappings")
    return no_overwrite(v) & setup


def _machine(v: View) -> Fixmap:
    return Fixmap(v.variant)


def fixmap_structure(v: View) -> Bool:
    # Writes land only in xen_fixmap[] slots 0..FIX_LAST (set/clear) or in the
    # boot L1 entry for the fixmap (setup), and no step breaks the walk's shape.
    m = _machine(v)
    fix_last = v.variant.layout().fix_last
    where = all_of(w.guard.implies(
        ((w.frame == XEN_FIXMAP_FRAME) & (w.idx <= fix_last))
        | ((w.frame == BOOT_L1_FRAME) & (w.idx == vpn(m.base, 1)) & Bool(w.why == "setup_fixmap_mappings")))
        for w in v.step.writes)
    return where & walk_ok(m, v.pre, v.va).implies(walk_ok(m, v.post, v.va))


def fixmap_leaf(v: View) -> Bool:
    # Inside the fixmap's 2 MB, a translation is a 4K leaf of xen_fixmap[] at a
    # slot <= FIX_LAST; outside it, no step changes a translation.
    m = _machine(v)
    region = all_of(vpn(v.va, lvl) == vpn(m.base, lvl) for lvl in (1, 2))
    t = v.after
    inside = t.ok.implies((t.level == 0) & (t.visits[-1].frame == XEN_FIXMAP_FRAME)
                          & (vpn(v.va, 0) <= v.variant.layout().fix_last))
    return region.implies(inside) & (~region).implies(v.before.same(t))


def fixmap_return(v: View) -> Bool:
    # set_fixmap and clear_fixmap return nothing: they BUG() unless map_pages_to_xen /
    # destroy_xen_mappings returns 0.  That call returns 0 exactly when it did what it
    # was asked at the slot (the slot's page translates to mfn with the flags, through a
    # level-0 leaf; or not at all after a clear), else a negative errno (then BUG();
    # a step that ends in BUG() is not judged).  setup_fixmap_mappings returns having
    # installed xen_fixmap[] (or BUG_ONs).
    pre, post = v.pre, v.post
    fix_op = (pre.op == OP_SET_FIXMAP) | (pre.op == OP_CLEAR_FIXMAP)
    returns = v.iterating & fix_op & v.step.ended & (post.pc == PC_IDLE) & (v.va_pfn == v._pfn(pre.start))
    t = v.after
    did = ite(pre.op == OP_SET_FIXMAP, v.expected_map(t) & (t.level == 0), ~t.ok)
    errno = (post.rc != 0) & (post.rc >= rc_word(-MAX_ERRNO))
    setup = v.step.kind & (v.step.call.op == OP_SETUP_FIXMAP) & (post.pc == PC_IDLE)
    return returns.implies(ite(post.rc == 0, did, ~did & errno)) & setup.implies(_machine(v).installed(post))


NEEDS = ("fixmap",)
STATE_OBLIGATIONS: dict[str, StepObligation] = {o.id: o for o in (
    StepObligation("no-overwrite", "an insert never replaces a valid entry; setup_fixmap_mappings "
               "installs xen_fixmap[] only over an invalid L1 entry", fixmap_no_overwrite, NEEDS),
    StepObligation("structure", "writes only reach xen_fixmap[] slots and the fixmap's L1 entry; the "
               "walk meets no reserved entry and reaches the static tables only through them",
               fixmap_structure, NEEDS),
    StepObligation("fixmap-leaf", "every fixmap mapping is a 4K leaf of xen_fixmap[] at a slot <= "
               "FIX_LAST; no other translation changes", fixmap_leaf, NEEDS),
    StepObligation("wx", "never W+X: no valid leaf is both writable and executable", wx, NEEDS),
    StepObligation("tlb", "TLB coherent at return: no entry changed since the last fence", tlb, NEEDS),
    StepObligation("return", "set_fixmap / clear_fixmap's map_pages_to_xen / destroy_xen_mappings returns 0 "
               "exactly when the slot then maps mfn with the flags (set) or nothing (clear), else a negative "
               "errno (and BUG()); setup_fixmap_mappings returns with xen_fixmap[] installed",
               fixmap_return, NEEDS),
    StepObligation("lemma-fixmap", "the fixmap's shape: root slot -> boot L1 -> xen_fixmap[] (once "
               "installed), slots 0..FIX_LAST hold nothing or a non-W+X 4K leaf, a call in progress "
               "is a set/clear of one slot", lambda v: fixmap_shape(_machine(v), v.post, [v.va]),
               NEEDS, lemma="fixmap", cites=fixmap_shape, by_callers=True),
)}

OBLIGATIONS: dict = {**LAYOUT_OBLIGATIONS, **STATE_OBLIGATIONS}
