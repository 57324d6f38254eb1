"""A version of riscv-pt whose step is a pt.c lifted from LLVM IR (`ptprove prove --c-source`).

`CVersion` stands where a model class stands (`versions.py`): the machine
(`machine.py`), the theorem, the vectors and `show` use it unchanged.  Its step is
the model's atomic step run as lifted C on the same `State`:

* from idle, a call's **prologue**: the entry point (`map_pages_to_xen`,
  `destroy_xen_mappings`, `populate_pt_range`, pt_update's modify path) run up to
  pt_update's loop header, where the header's phis give the loop variables (vfn,
  mfn, left; `proofs/refine/steps.py` finds them) and the flags parameter the
  request's flags; or its return code, or an ASSERT;
* in a call, one **iteration** of `while ( left )`, restarted at the header from
  the state's loop variables, up to the header again, a return, or an ASSERT.

These are exactly the pieces the refinement units lift (`proofs/refine/`), so the
loop cut, the stubs and the assumptions are theirs.  What the invariants read
besides memory is reconstructed from the execution (`model/c/ghost.py`): writes
with their level and writer, descents, the allocator's hand-outs with level and
parent; `applied` from the pt_update_entry writes; the stale TLB flag is the
shim's own (`write_pte` sets it, `flush_tlb_range_va(0, 0)` clears it), counted as
cleared only when the same step also ran `RISCV_FENCE`.  The request's `start`
and `nr` are ghost (the C keeps neither): the loop variables at the first header,
or an empty request (nr 0) for a call that returns before it.  The chunk an iteration covered (`Step.level`) is what the C advanced vfn by.

What the C cannot show is taken from the **base** model version (default
riscv-pt-upstream) and said in every result (`ASSUMPTIONS`): the header's values
(the shim flavour the C is built with: `PTE_*`, `PAGE_HYPERVISOR_*`, the `pte_is_*`
predicates) unless the pt.c sits in a Xen tree with its asm/page.h (then they are
that tree's, `proofs/c_header.py`), the caller contract's flag presets, the attribute
bits a mapping is expected to carry (`functional`), and the entry ASSERT
`lemma-frame` restates.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Optional

from model.c.execute import Summary
from model.c.ghost import EXITED, MAPPED, StepGhost, initial_ghost
from model.c.stubs import NEXT_FREE
from model.instantiate import Instance
from model.memory import FRAME_BITS
from model.riscv.machine import (LEVEL_BITS, MAPPED_BITS, OP_IDS, PC_HALTED, PC_IDLE, PC_LOOP, Call, DescentRec,
                                 Geometry, State, Step, WriteRec, rc_word)
from model.riscv.pte import PAGETABLE_ORDER
from model.term import FALSE, Bool, Word, any_of, bv, ite, sym_word
from proofs import c_header
from proofs.refine.obligations import Setup, c_flushed, c_stale, run_c, wide
from proofs.refine.sources import LiftedC, lift_c
from proofs.systems.shared import arbitrary_state
from proofs.refine.steps import ENTRIES, PT_UPDATE, loop_header, loop_phis

DEFAULT_BASE = "riscv-pt-upstream"
DEFAULT_NAME = "riscv-pt-c"

HEADER_RESTATED = "PTE_*, PAGE_HYPERVISOR_* and pte_is_* are the base version's (the shim restates asm/page.h)"
ASSUMPTIONS = (
    "the C's `left` is nr - (vfn - start) at every loop header (the state keeps `left` derived; "
    "checked by this version's `refines`)",
    HEADER_RESTATED,
    "the caller contract's flag presets, the attributes a mapping must carry (functional) and the "
    "entry ASSERT lemma-frame restates are the base version's",
    "a write's level is the walk's depth: one walk from the root per iteration, one level per "
    "map_table in pt_next_level",
    "a flush clears the stale TLB only with a RISCV_FENCE in the same step",
    "a frame the C maps has a 44-bit number (PTE bits 63:54 of a table pointer are 0)",
)


@dataclass
class Part:
    """What one lifted piece (a prologue or the iteration) did, before it is selected."""

    post: State
    writes: list
    descents: list
    asserts: list
    level: Word
    ended: Bool
    mapped: Word  # tables mapped and not unmapped (the ghost's count of map_table / unmap_table)


def _false(b: Bool) -> bool:
    return b.is_concrete and not b.v


class CVersion:
    """pt.c lifted, as a version of the riscv-pt system (see the module docstring)."""

    arch = "riscv"
    ASSUMPTIONS = ASSUMPTIONS

    def __init__(self, name: str, c_source: Path, base: str, geo: Geometry, cc: Optional[str] = None):
        from proofs.systems.riscv_pt.versions import VERSIONS

        self.name, self.c_source, self.base_name, self.geo = name, Path(c_source), base, geo
        self.base = VERSIONS[base](geo)
        self.lifted: LiftedC = lift_c(self.c_source, base, cc)
        self.setup = Setup(base, self.lifted, self.base, geo, c_version=base)
        self.header = loop_header(self.setup)
        self.phis = loop_phis(self.setup)
        fn = self.setup.fn(PT_UPDATE)
        latch = fn.latches(self.header)
        phi_instrs = {i.result: i for i in fn.blocks[self.header].instrs if i.opcode == "phi"}
        self.next_of = {}  # loop variable -> the SSA value the latch passes to the header
        for var, phi in self.phis.items():
            src = next((r for r, b in phi_instrs[phi].incoming if b in latch), None)
            if src is not None and src.kind == "local":
                self.next_of[var] = src.name
        self.flags_param = fn.params[3].name
        self.flags_width = self.setup.param_width(PT_UPDATE, 3)
        tree = c_header.tree_header(self.c_source)
        if tree is not None:  # the tree's own asm/page.h, not the shim's copy (proofs/c_header.py)
            self.ASSUMPTIONS = tuple(tree.describe() if a == HEADER_RESTATED else a for a in ASSUMPTIONS)
        self.source = (f"{self.c_source} (sha256 {self.lifted.sha256[:12]}), lifted from LLVM IR; "
                       f"{'contract' if tree is not None else 'header and contract'} of {base}")
        self._iterations: dict = {}
        self._arbitrary: Optional[State] = None
        self._template: Optional[tuple] = None  # (free state, free call, their step)

    # -- what the C cannot show: the base version's (ASSUMPTIONS) -------------------
    @property
    def FLAG_PRESETS(self) -> tuple:
        return self.base.FLAG_PRESETS

    @property
    def UPDATE_ATTRS(self) -> int:
        return self.base.UPDATE_ATTRS

    def map_pages_to_xen(self, virt: Word, mfn: Word, nr: Word, flags: Word):
        return self.base.map_pages_to_xen(virt, mfn, nr, flags)

    def bounds(self) -> dict:
        return {**self.lifted.bounds(), "base": self.base_name}

    def replay_compiled(self, calls: list) -> dict:
        """The calls (from the initial state) run on the compiled C (the C harness, built with
        zig's clang for this machine unless CC names another)
        and compared with what the lifted C did: return codes, ASSERTs, tables, pool, TLB."""
        from proofs.errors import PtproveError
        from proofs.systems.riscv_pt import vectors

        vec = vectors.build(self, None, calls, 0, {**self.geo.bounds()}, "-",
                            regression=("trace", "the trace's calls", "-"))
        vec["version"] = self.base_name  # the harness builds the base's shim flavour
        try:
            h = _harness(str(self.c_source))
            why = h.not_comparable(vec)
            if why:
                return {"replayed": False, "why": f"not run on the compiled C: {why}"}
            problems = h.compare(vec)
        except PtproveError as e:
            return {"replayed": False, "why": f"not run on the compiled C: {e}"}
        return {"replayed": not problems, "compiler": h.cc, "differences": problems}

    # -- the step ------------------------------------------------------------------
    def arbitrary(self, op: str) -> State:
        """The step query's symbolic pre-state for `op`: one state (one memory) for every
        operation and obligation, so the lifted iteration is run once per process."""
        if self._arbitrary is None:
            self._arbitrary = arbitrary_state(self.geo, bv(0, 3))
        return replace(self._arbitrary, op=bv(OP_IDS[op], 3))

    def step(self, s: State, call: Call) -> Step:
        """One atomic step from `s` as the lifted C takes it; `call` only when idle.  A state
        of an unrolling (symbolic, not the step query's free one) gets the step computed once
        from a free state, instantiated (`model/instantiate.py`): its path exploration and
        feasibility queries are not repeated at every depth."""
        if s.mem.base_fn is None and not _concrete(s):
            return self._instantiate(s, call)
        return self.run_step(s, call)

    def run_step(self, s: State, call: Call) -> Step:
        """The step, run on the lifted C from `s`."""
        g_loop, g_call = s.pc == PC_LOOP, s.pc == PC_IDLE
        parts: list[tuple[Bool, Part]] = []
        if not _false(g_loop):
            parts.append((g_loop, self.iteration(s)))
        for op, k in OP_IDS.items():
            sel = g_call & (call.op == k)
            if not _false(sel):
                parts.append((sel, self.prologue(s, call, op)))
        post, level, ended, mapped = s, bv(0, LEVEL_BITS), FALSE, bv(0, MAPPED_BITS)
        writes, descents, asserts = [], [], []
        for sel, p in reversed(parts):
            post = _select(sel, p.post, post)
            level = ite(sel, p.level, level)
            ended = ite(sel, p.ended, ended)
            mapped = ite(sel, p.mapped, mapped)
        for sel, p in parts:
            writes += [replace(w, guard=sel & w.guard) for w in p.writes]
            descents += [replace(d, guard=sel & d.guard) for d in p.descents]
            asserts += [(sel & c, what) for c, what in p.asserts]
        return Step(pre=s, post=post, kind=g_call, call=call, writes=writes, descents=descents,
                    asserts=asserts, level=level, chunk_vfn=s.vfn, chunk_mfn=s.mfn, ended=ended,
                    mapped=mapped)

    def warm(self) -> None:
        """Run every piece once from free states (the unrolling's template, the step query's
        iteration): a construct the lifter does not model on any feasible path fails here, in
        one line, before any work; and forked workers inherit what was computed."""
        self._template_step()
        self.iteration(self.arbitrary("map"))

    def _template_step(self) -> tuple:
        if self._template is None:
            free = _free_state(self.geo, "cstep.t.")
            free_call = Call(sym_word("cstep.call.op", 3), tuple(sym_word(f"cstep.call.a{j}", 64) for j in range(4)))
            self._template = (free, free_call, self.run_step(free, free_call))
        return self._template

    def _instantiate(self, s: State, call: Call) -> Step:
        free, free_call, t = self._template_step()
        symbols = {}
        for a, b in zip(_leaves(free) + _leaves(free_call), _leaves(s) + _leaves(call), strict=True):
            if not a.is_concrete:
                symbols[a.node()] = b.node()
        inst = Instance(symbols, free.mem, s.mem)
        post = State(mem=inst.extend(t.post.mem), **{f: inst.term(getattr(t.post, f)) for f in _FIELDS})
        return Step(pre=s, post=post, kind=s.pc == PC_IDLE, call=call,
                    writes=[WriteRec(*inst.term((w.guard, w.frame, w.idx, w.level, w.old, w.new)), w.why)
                            for w in t.writes],
                    descents=[DescentRec(*inst.term((d.guard, d.frame, d.idx)), d.level, inst.term(d.entry))
                              for d in t.descents],
                    asserts=[(inst.term(c), what) for c, what in t.asserts], level=inst.term(t.level),
                    chunk_vfn=s.vfn, chunk_mfn=s.mfn, ended=inst.term(t.ended), mapped=inst.term(t.mapped))

    def _run(self, fn: str, args, s: State, phase: int, **kw) -> tuple[Summary, StepGhost]:
        ghost = StepGhost(self.setup.env, self.geo.top,
                          watch=(PT_UPDATE, self.next_of) if phase else ())
        c = run_c(self.setup, fn, args, s, ghost=initial_ghost(s.next_free, tuple(self.next_of)),
                  stubs=ghost, observer=ghost, cut=(PT_UPDATE, self.header), **kw)
        return c, ghost

    def iteration(self, s: State) -> Part:
        """One iteration of pt_update's loop from the state's loop variables.  The result for
        a symbolic pre-state is kept: the step queries of every obligation share it."""
        key = _key(s)
        if key is not None and key in self._iterations:  # the same state but for the call's op
            part = self._iterations[key]
            return replace(part, post=replace(part.post, op=s.op))
        fw = self.flags_width
        stand_in = sym_word(f"cstep.stand_in.flags.{fw}", fw)
        args = [sym_word(f"cstep.stand_in.{n}", 64) for n in ("virt", "mfn", "nr")] + [stand_in]
        flags = s.flags.trunc(fw) if fw < 64 else s.flags

        def restart(ex, path):
            return {"mem": s.mem, "ghost": initial_ghost(s.next_free, tuple(self.next_of)),
                    "phis": {self.phis["vfn"]: s.vfn, self.phis["mfn"]: s.mfn, self.phis["left"]: s.left},
                    "subst": {stand_in.node(): flags.node()}}
        c, ghost = self._run(PT_UPDATE, args, s, 1, restart=restart)
        through = c.ghost[EXITED] & c.returned
        nxt = {v: ite(c.cut, _w64(c.cut_values.get(self.phis[v])),
                      ite(through, c.ghost.get(f"exit.{v}", bv(0, 64)), getattr(s, v)))
               for v in ("vfn", "mfn")}
        rc = ite(c.returned, _rc(c.ret), rc_word(0))
        writes, descents, post = self._ghost(c, ghost, s, phase=1)
        applied = s.applied | any_of(w.guard & (w.old != w.new) for w in writes if w.why == "pt_update_entry")
        post = replace(post, pc=_pc(c), vfn=nxt["vfn"], mfn=nxt["mfn"], rc=rc, applied=applied)
        delta = nxt["vfn"] - s.vfn
        level = bv(0, LEVEL_BITS)
        for lvl in range(1, self.geo.levels):
            level = ite(delta == (1 << (PAGETABLE_ORDER * lvl)), bv(lvl, LEVEL_BITS), level)
        part = Part(post, writes, descents, list(c.stops), level, c.returned, c.ghost[MAPPED])
        if key is not None:
            self._iterations[key] = part
        return part

    def prologue(self, s: State, call: Call, op: str) -> Part:
        """The entry point `op` up to pt_update's loop header (or its return, or an ASSERT)."""
        fn, names, _ = ENTRIES[op]
        args = [_fit(call.a[k], self.setup.param_width(fn, k)) for k in range(len(names))]
        c, ghost = self._run(fn, args, s, 0)
        cut = lambda var: _w64(c.cut_values.get(self.phis[var]))  # noqa: E731
        flags = c.cut_env.get(self.flags_param)
        writes, descents, post = self._ghost(c, ghost, s, phase=0)
        # a call that returns before the loop has an empty request (nr 0, nothing left): the C
        # keeps no request, and the previous call's would be read as this one's (`return`)
        post = replace(post, pc=_pc(c), op=call.op, start=ite(c.cut, cut("vfn"), s.start),
                       nr=ite(c.cut, cut("left"), bv(0, 64)), vfn=ite(c.cut, cut("vfn"), s.start),
                       mfn=ite(c.cut, cut("mfn"), s.mfn),
                       flags=ite(c.cut, wide(flags) if isinstance(flags, Word) else s.flags, s.flags),
                       rc=ite(c.returned, _rc(c.ret), rc_word(0)), applied=FALSE)
        return Part(post, writes, descents, list(c.stops), bv(0, LEVEL_BITS), c.returned, c.ghost[MAPPED])

    def _ghost(self, c: Summary, ghost: StepGhost, s: State, phase: int) -> tuple[list, list, State]:
        """The step's writes and descents, and the state's memory, allocator (with each hand-out's
        level and parent) and stale flag after it."""
        stores, walks, handouts = ghost.of_phase(phase)
        writes = [WriteRec(w.guard, w.frame, w.idx, w.level, w.old, w.new, w.why) for w in stores]
        descents = [DescentRec(d.guard & (d.level == lvl), d.frame, d.idx, lvl, d.entry)
                    for d in walks for lvl in range(self.geo.levels)]
        levels, parents = list(s.pool_level), list(s.pool_parent)
        for h in handouts:
            for k in range(self.geo.pool):
                levels[k] = ite(h.guard & (h.index == k), h.level, levels[k])
        for w in stores:
            if w.why == "create_table":
                for k in range(self.geo.pool):
                    parents[k] = ite(w.guard & (w.handed_out == k), (w.frame, w.idx), parents[k])
        fenced, flushed = c_flushed(c)
        stale = c_stale(c) | (flushed & ~fenced)
        post = replace(s, mem=c.mem, next_free=c.ghost[NEXT_FREE], pool_level=tuple(levels),
                       pool_parent=tuple(parents), tlb_stale=stale)
        return writes, descents, post


def _key(s: State):
    """A symbolic pre-state's identity for the iteration cache (None: not cached)."""
    if s.mem.base_fn is None or s.mem.log:
        return None
    nodes = tuple(x.node() for x in (s.next_free, s.start, s.nr, s.vfn, s.mfn, s.flags, s.tlb_stale,
                                     s.stale_lo, s.stale_hi, s.applied, *s.pool_level) if not x.is_concrete)
    return (id(s.mem), nodes)


_FIELDS = ("next_free", "pool_level", "pool_parent", "pc", "op", "start", "nr", "vfn", "mfn", "flags",
           "rc", "tlb_stale", "applied", "stale_lo", "stale_hi")


def _leaves(x) -> list:
    """The Words and Bools of a State (but its memory) or a Call, in a fixed order."""
    if isinstance(x, State):
        return _leaves(tuple(getattr(x, f) for f in _FIELDS))
    if isinstance(x, Call):
        return _leaves((x.op, x.a))
    if isinstance(x, tuple):
        return [y for z in x for y in _leaves(z)]
    return [x]


def _concrete(s: State) -> bool:
    return not s.mem.log and all(x.is_concrete for x in _leaves(s))


def _free_state(geo: Geometry, prefix: str) -> State:
    """A state whose every field is a free symbol named `prefix...` (memory an uninterpreted function)."""
    from model.memory import Memory
    from model.term import sym_bool

    w = lambda n, k=64: sym_word(prefix + n, k)  # noqa: E731
    return State(mem=Memory.arbitrary(prefix + "M"), next_free=w("next_free", 8),
                 pool_level=tuple(w(f"pool_level{k}", LEVEL_BITS) for k in range(geo.pool)),
                 pool_parent=tuple((w(f"parent_frame{k}", FRAME_BITS), w(f"parent_idx{k}", 9))
                                   for k in range(geo.pool)),
                 pc=w("pc", 2), op=w("op", 3), start=w("start"), nr=w("nr"), vfn=w("vfn"), mfn=w("mfn"),
                 flags=w("flags"), rc=w("rc", 32), tlb_stale=sym_bool(prefix + "tlb_stale"),
                 applied=sym_bool(prefix + "applied"), stale_lo=w("stale_lo"), stale_hi=w("stale_hi"))


def _select(sel: Bool, a: State, b: State) -> State:
    """ite(sel, a, b) field by field; memories are both extensions of the pre-state's."""
    out = {}
    same = lambda x, y: x is y or (not x.is_concrete and not y.is_concrete and x.node() is y.node())  # noqa: E731
    for f in _FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        out[f] = x if not isinstance(x, tuple) and same(x, y) else ite(sel, x, y)
    return State(mem=a.mem.merge(sel, b.mem), **out)


def _pc(c: Summary) -> Word:
    return ite(c.stopped, bv(PC_HALTED, 2), ite(c.cut, bv(PC_LOOP, 2), bv(PC_IDLE, 2)))


def _rc(v) -> Word:
    if not isinstance(v, Word):
        return rc_word(0)
    return v.trunc(32) if v.width > 32 else v.zext(32) if v.width < 32 else v


def _w64(v) -> Word:
    if not isinstance(v, Word):
        return bv(0, 64)
    return v.zext(64) if v.width < 64 else v


def _fit(w: Word, width: int) -> Word:
    return w.trunc(width) if width < w.width else w


@lru_cache(maxsize=4)
def _harness(path: str):
    """One C harness per file and process (it compiles the file once), removed at exit."""
    import atexit

    from proofs.c_harness import Harness

    h = Harness(path)
    atexit.register(h.close)
    return h


# -- naming the C version on the command line -------------------------------------------------

@dataclass(frozen=True)
class CSpec:
    """`--c-source FILE [--name NAME] [--base VERSION]`: what Settings carry to every process."""

    path: str
    name: str = DEFAULT_NAME
    base: str = DEFAULT_BASE


@lru_cache(maxsize=8)
def c_version(spec: CSpec, mode: str, pool: int) -> CVersion:
    """The lifted C version (lifted once per process, and inherited by forked workers)."""
    from model.riscv.pte import MODES

    return CVersion(spec.name, Path(spec.path), spec.base, Geometry(MODES[mode], pool=pool))


def register(spec: CSpec) -> type:
    """Make `spec.name` a version of the riscv-pt system (`versions.VERSIONS`): a class that,
    called with a geometry as a model class is, gives the lifted C on it."""
    from proofs.systems.riscv_pt.versions import VERSIONS

    known = VERSIONS.get(spec.name)
    if known is not None and getattr(known, "spec", None) == spec:
        return known
    if known is not None and not hasattr(known, "spec"):
        from proofs.errors import UsageError

        raise UsageError(f"--name {spec.name}: already the name of a modelled version")

    class Lifted(CVersion):
        name = spec.name
        source = f"{spec.path}, lifted from LLVM IR (header and contract of {spec.base})"

        def __new__(cls, geo: Optional[Geometry] = None):
            geo = geo or Geometry(VERSIONS[spec.base]().geo.mode)
            return c_version(spec, geo.mode.name, geo.pool)

    Lifted.spec = spec
    VERSIONS[spec.name] = Lifted
    return Lifted


def unregister(name: str) -> None:
    """Forget the lifted C version `name` (a run is over: the modelled versions are the registry again)."""
    from proofs.systems.riscv_pt.versions import VERSIONS

    if hasattr(VERSIONS.get(name), "spec"):
        del VERSIONS[name]
