"""The riscv-fixmap system: the fixmap's virtual layout and its page-table updates.

Layout obligations (`layout-*`) are facts about the constants of
`model/riscv/fixmap.py` checked by the solver over a free address or slot:
sat gives the address that breaks them.  State-machine obligations run the
riscv-pt upstream machine restricted to the fixmap's entry points
(setup_fixmap_mappings, then set_fixmap / clear_fixmap on slots 0..FIX_LAST)
from the boot state, decided by `proofs/checker.py`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Optional

from model.memory import FRAME_BITS
from model.riscv.fixmap import (
    BOOT_L1_FRAME,
    FIXMAP_OPS,
    FIXMAP_VARIANTS,
    OP_CLEAR_FIXMAP,
    OP_SET_FIXMAP,
    OP_SETUP_FIXMAP,
    XEN_FIXMAP_FRAME,
    RiscvFixmapUpstream,
)
from model.riscv.machine import INVALID_MFN, PC_HALTED, PC_IDLE, PC_LOOP, Call, Geometry, rc_value
from model.riscv.pte import (PAGE_SHIFT, PAGETABLE_ENTRIES, PTE_EXECUTABLE, PTE_SMALL, PTE_WRITABLE,
                             SV39, classify, format_pte)
from model.riscv.walk import vpn
from model.term import FALSE, TRUE, Bool, Word, all_of, any_of, bv, evaluate, sym_word
from proofs.checker import Obligation, decide
from proofs.contract import PPN_LIMIT, WX_REQUEST, flags_ok
from proofs.induction import arbitrary_state
from proofs.invariants import INVARIANTS, no_overwrite
from proofs.result import PROVED, UNKNOWN, VIOLATED, Result
from proofs.semantics import View, canonical_va
from proofs.solver import SAT, UNSAT, check

SYSTEM = "riscv-fixmap"
VARIANT_CLASSES: dict[str, type] = dict(FIXMAP_VARIANTS)
LAYOUT_GAP = 2 << 20  # "( 2 MB gap )" in the layout comment
LAYOUT_BOUNDS = {"mode": "sv39", "what": "the constants of config.h/fixmap.h, a free 64-bit address or slot"}


# ---------------------------------------------------------------------------
# layout obligations: `claim(variant, x)` over a free 64-bit x; `domain` makes it meaningful


@dataclass(frozen=True)
class LayoutObligation:
    id: str
    statement: str
    domain: Callable  # (variant, x) -> Bool
    claim: Callable  # (variant, x) -> Bool
    informative: bool = False

    @property
    def where(self) -> str:
        import inspect

        return f"proofs/fixmap.py:{inspect.getsourcelines(self.claim)[1]}"


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
        inside = (x >= row.start) & (x <= row.end) & (vpn(x, v.ROOT_LEVEL) == row.slot)
        ok = ok & _in(x, r.start, r.end).implies(inside)
    return ok


def slot_domain(v, n: Word) -> Bool:
    return n <= v.layout().fix_last


def fixmap_l0_claim(v, n: Word) -> Bool:
    # Every fixmap slot fits the 512 entries of xen_fixmap[], and its address
    # is translated through the one level-0 table FIXMAP_ADDR(0) uses.
    a, a0 = v.fixmap_addr(n), v.fixmap_addr(bv(0, 64))
    same_table = all_of(vpn(a, lvl) == vpn(a0, lvl) for lvl in range(1, v.LEVELS))
    return (n < PAGETABLE_ENTRIES) & same_table & (vpn(a, 0) == n.trunc(9) + vpn(a0, 0))


LAYOUT_OBLIGATIONS: dict[str, LayoutObligation] = {o.id: o for o in (
    LayoutObligation("layout-disjoint", "Xen image, FDT and fixmap do not overlap and keep the "
                     "2 MB gaps between them", disjoint_domain, disjoint_claim),
    LayoutObligation("layout-slots", "each region lies in the addresses and root slot its row of "
                     "the layout comment claims", disjoint_domain, slots_claim),
    LayoutObligation("layout-fixmap-l0", "FIX_LAST < 512 and every fixmap slot's address is "
                     "mapped through the one level-0 table xen_fixmap[]", slot_domain, fixmap_l0_claim),
)}


def decide_layout(v, ob: LayoutObligation, settings) -> Result:
    t0 = time.perf_counter()
    x = sym_word("x", 64)
    dom = ob.domain(v, x)
    ans = check((dom & ~ob.claim(v, x)).node(), settings.solver, settings.timeout_ms, settings.rlimit)
    base = dict(variant=v.name, invariant=ob.id, operation="-", bounds=LAYOUT_BOUNDS,
                solver=settings.solver, statement=ob.statement, where=ob.where, system=SYSTEM)
    if ans.status == SAT:
        xc = int(evaluate(x, ans.model))
        if bool(ob.claim(v, bv(xc, 64))) or not bool(ob.domain(v, bv(xc, 64))):
            raise RuntimeError(f"{ob.id}: the solver's value {xc:#x} does not reproduce")
        return Result(verdict=VIOLATED, seconds=time.perf_counter() - t0,
                      counterexample={"x": hex(xc), **_layout_facts(v)},
                      detail="a concrete value breaks it (re-evaluated on the constants)", **base)
    if ans.status != UNSAT:
        return Result(verdict=UNKNOWN, seconds=time.perf_counter() - t0, detail="solver answered unknown", **base)
    wit = check(dom.node(), settings.solver, settings.timeout_ms, settings.rlimit)
    return Result(verdict=PROVED if wit.status == SAT else UNKNOWN, seconds=time.perf_counter() - t0,
                  vacuity=wit.status == SAT, detail="unsat over every value in the domain", **base)


def _layout_facts(v) -> dict:
    return {name: [hex(r.start), hex(r.end)] for name, r in v.layout().regions().items()}


# ---------------------------------------------------------------------------
# the machine: riscv-pt upstream restricted to the fixmap's entry points

FIX_OPS = (OP_SETUP_FIXMAP, OP_SET_FIXMAP, OP_CLEAR_FIXMAP)


@dataclass
class FixmapMachine:
    v: RiscvFixmapUpstream
    depth: int

    @property
    def base(self) -> Word:
        return self.v.fixmap_addr(bv(0, 64))

    def initial(self):
        return self.v.boot_state()

    def arbitrary(self):
        return replace(arbitrary_state(self.v, 0), op=sym_word("op", 3))

    def fresh_call(self, tag: str) -> Call:
        return Call(sym_word(f"op_{tag}", 3), tuple(sym_word(f"a_{tag}{j}", 64) for j in range(4)))

    def installed(self, s) -> Bool:
        return s.mem.read(bv(BOOT_L1_FRAME, FRAME_BITS), vpn(self.base, 1)) == self.v.table_pte(XEN_FIXMAP_FRAME)

    def call_ok(self, s, call: Call) -> Bool:
        a0, a1, a2, a3 = call.a
        slot = a0 <= self.v.layout().fix_last
        presets = list(self.v.FLAG_PRESETS) + [WX_REQUEST]
        by_op = {
            OP_SETUP_FIXMAP: (a0 == 0) & (a1 == 0) & (a2 == 0) & (a3 == 0),
            OP_SET_FIXMAP: self.installed(s) & slot & (a1 < PPN_LIMIT) & any_of(a2 == p for p in presets) & (a3 == 0),
            OP_CLEAR_FIXMAP: self.installed(s) & slot & (a1 == 0) & (a2 == 0) & (a3 == 0),
        }
        return any_of((call.op == op) & c for op, c in by_op.items())

    def pre_ok(self, s) -> Bool:
        return (s.pc == PC_IDLE) | (s.pc == PC_LOOP)

    def witness(self, tag: str) -> Word:
        return canonical_va(f"fix_{tag}", SV39.va_bits)  # own names: riscv-pt may run in Sv48

    def step(self, s, call):
        return self.v.step(s, call)

    def halted(self, st) -> Bool:
        return st.post.pc == PC_HALTED

    def view(self, st, va: Word) -> View:
        return View(self.v, st, va)

    def addresses(self, pre, call, va: Word) -> list[Word]:
        return [va, self.v.fixmap_addr(call.a[0]), pre.vfn << PAGE_SHIFT]

    def lemma(self, name: str, s, addresses: list[Word]) -> Bool:
        if name != "fixmap":
            raise KeyError(name)
        return fixmap_shape(self, s, addresses)

    def concrete_call(self, call: Call, model) -> Call:
        return Call(evaluate(call.op, model), tuple(evaluate(a, model) for a in call.a))

    def describe_call(self, call: Call) -> dict:
        op = int(call.op)
        names = {OP_SETUP_FIXMAP: (), OP_SET_FIXMAP: ("map", "mfn", "flags"), OP_CLEAR_FIXMAP: ("map",)}
        return {"call": FIXMAP_OPS.get(op, str(op)),
                "args": {n: hex(int(a)) for n, a in zip(names.get(op, ()), call.a)}}

    def describe_step(self, st, va: int) -> dict:
        writes = [{"table": hex(int(w.frame)), "index": int(w.idx), "by": w.why,
                   "old": format_pte(int(w.old), SV39, int(w.level)),
                   "new": format_pte(int(w.new), SV39, int(w.level))}
                  for w in st.writes if bool(w.guard)]
        v = self.view(st, bv(va, 64))
        tr = lambda t: {"ok": bool(t.ok), "ppn": hex(int(t.ppn)), "level": int(t.level)}  # noqa: E731
        return {"writes": writes, "rc_after": rc_value(st.post.rc), "pc_after": int(st.post.pc),
                "translation_before": tr(v.before), "translation_after": tr(v.after)}

    def bounds(self) -> dict:
        lay = self.v.layout()
        return {"mode": "sv39", "levels": 3, "pool": self.v.geo.pool, "depth": self.depth,
                "entry_bits": 64, "index_bits": 9, "fixmap_slots": lay.fix_last + 1,
                "callers": "setup_fixmap_mappings; set_fixmap(slot <= FIX_LAST, PAGE_HYPERVISOR_* "
                           "or a W+X request); clear_fixmap(slot <= FIX_LAST), after setup",
                "boot_state": "root slot -> boot L1 -> the Xen image's L0 tables (their leaves not modelled)"}


# -- what must hold --------------------------------------------------------------

def walk_ok(m: FixmapMachine, s, va: Word) -> Bool:
    """Along the MMU's walk for `va`: no reserved entry, and the boot L1 table and
    xen_fixmap[] are reached only through the entries setup_fixmap_mappings uses."""
    t = View(m.v, None, va).translate(s)  # type: ignore[arg-type]
    ok = TRUE
    prev = None
    for visit in t.visits:
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


def fixmap_shape(m: FixmapMachine, s, addresses: list[Word]) -> Bool:
    """The inductive shape of the fixmap (the lemma every step proof assumes)."""
    v = m.v
    root_ok = s.mem.read(bv(v.geo.root, FRAME_BITS), vpn(m.base, 2)) == v.table_pte(BOOT_L1_FRAME)
    l1 = s.mem.read(bv(BOOT_L1_FRAME, FRAME_BITS), vpn(m.base, 1))
    installed = m.installed(s)
    ok = root_ok & ((l1 == 0) | installed) & (s.pc == PC_IDLE).implies(~s.tlb_stale)
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


def fixmap_no_overwrite(v: View) -> Bool:
    # riscv-pt's no-overwrite, and setup_fixmap_mappings installs its table
    # only over an invalid entry.
    setup = all_of(w.guard.implies(~w.old.bit(0)) for w in v.step.writes
                   if w.why == "setup_fixmap_mappings")
    return no_overwrite(v) & setup


def _machine(v: View) -> FixmapMachine:
    return FixmapMachine(v.variant, 0)


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


NEEDS = ("fixmap",)
STATE_OBLIGATIONS: dict[str, Obligation] = {o.id: o for o in (
    Obligation("no-overwrite", "an insert never replaces a valid entry; setup_fixmap_mappings "
               "installs xen_fixmap[] only over an invalid L1 entry", fixmap_no_overwrite, NEEDS),
    Obligation("structure", "writes only reach xen_fixmap[] slots and the fixmap's L1 entry; the "
               "walk meets no reserved entry and reaches the static tables only through them",
               fixmap_structure, NEEDS),
    Obligation("fixmap-leaf", "every fixmap mapping is a 4K leaf of xen_fixmap[] at a slot <= "
               "FIX_LAST; no other translation changes", fixmap_leaf, NEEDS),
    Obligation("wx", INVARIANTS["wx"].statement, INVARIANTS["wx"].holds, NEEDS),
    Obligation("tlb", INVARIANTS["tlb"].statement, INVARIANTS["tlb"].holds, NEEDS),
    Obligation("lemma-fixmap", "the fixmap's shape: root slot -> boot L1 -> xen_fixmap[] (once "
               "installed), slots 0..FIX_LAST hold nothing or a non-W+X 4K leaf, a call in progress "
               "is a set/clear of one slot", lambda v: fixmap_shape(_machine(v), v.post, [v.va]),
               NEEDS, lemma="fixmap"),
)}

SYSTEM_OBLIGATIONS: dict = {**LAYOUT_OBLIGATIONS, **STATE_OBLIGATIONS}


def run_system(variants: list[str], obligations: list[str], settings,
               progress: Optional[Callable[[int, int, str], None]] = None) -> list[Result]:
    """Decide each (version, obligation); Sv39 only (the mode Xen uses on RV64)."""
    results: list[Result] = []
    total = len(variants) * len(obligations)
    for name in variants:
        v = VARIANT_CLASSES[name](Geometry(SV39, pool=settings.pool))
        for oid in [o for o in obligations if o in LAYOUT_OBLIGATIONS]:
            results.append(decide_layout(v, LAYOUT_OBLIGATIONS[oid], settings))
        if progress:
            progress(len(results), total, f"{SYSTEM} {name}")
    wanted = [o for o in obligations if o in STATE_OBLIGATIONS]
    if wanted:
        results += decide(__name__, variants, wanted, settings, SYSTEM)
    return results


def machine(name: str, settings) -> FixmapMachine:
    """A version's fixmap machine (Sv39, the settings' pool and depth)."""
    return FixmapMachine(VARIANT_CLASSES[name](Geometry(SV39, pool=settings.pool)), settings.depth)
