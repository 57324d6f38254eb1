"""The p2m machine as the engine sees it: one call is one p2m_set_entry under the
write lock (map_regions_p2mt), whose unlock flushes if need_flush.

Operations are the call shapes (`set-4k`, `set-2m`, `set-1g`: the level
p2m_set_entry writes, a Python int in the model).  Every call, in a step
query and in BMC, has its shape fixed: BMC unrolls each sequence of shapes
(`shapes`).  Allocation outcomes are part of a call (an
Oracle: the k-th attempt fails or not), and the watched frame of the reference
count is a free parameter of the initial state.

Bounds (in every result): Sv39x4 (3 levels, root of 4 pages), a pool of 2
pages (3 for riscv-p2m-upstream, whose metadata pages come from the same pool), 2 entries per table (1
index bit per level; Xen has 512), 64-bit entries, 44-bit MFNs, BMC depth 2
calls; split-preserves at full width.  Step queries assume used_entries below
2^62 in the pre-state (`pre_ok`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

from model.riscv.p2m_state import (INVALID_MFN, MFN_BITS, NO_MD, TYPE_BITS, USED_LIMIT, Oracle, P2MGeometry,
                                   P2MState)
from model.term import FALSE, Bool, Word, all_of, bv, evaluate, sym_bool, sym_word
from proofs.engine.settings import Settings
from proofs.systems.p2m.contract import contract
from proofs.systems.p2m.theorem import PRE_STATE, Call, P2MObligation
from proofs.engine import callers
from proofs.systems.p2m.versions import model_class
from proofs.systems.shared import concretize

#: the call shapes: the level of the entry p2m_set_entry writes
OPS = {"set-4k": 0, "set-2m": 1, "set-1g": 2}
#: the bounded model every state-machine result states
GEOMETRY = P2MGeometry(mode="sv39x4", idx_bits=1, pool=2)
#: a version with metadata pages takes them from the same pool: one more page, so a
#: foreign leaf's two tables and its metadata page fit (and a split can fail on the fourth)
METADATA_GEOMETRY = P2MGeometry(mode="sv39x4", idx_bits=1, pool=3)
DEPTH = 2  # calls
#: the caller contracts as every result's bounds name them (contract.py)
CALLERS = {callers.PRESETS: "map_regions_p2mt's callers today: aligned gfn in the G-stage space, "
                            "an aligned frame below PADDR_MASK off the p2m's own pages, the types "
                            "the version stores (foreign at 4K and 2M only)",
           callers.ANY: "any: every gfn, nr, mfn and p2m_type_t value map_regions_p2mt admits, "
                        "as its range loop passes them to p2m_set_entry (aligned to the order)"}


def run_call(m, st: P2MState, call: Call, oracle: Oracle):
    return m.call(st, call.gfn, call.target, call.mfn, call.t, oracle)


def violation(m, ob: P2MObligation, pre: P2MState, post: P2MState, call: Call,
              other: Word) -> Bool:
    if ob.kind == "state":
        return ~ob.holds(m, post)
    return ~ob.holds(m, pre, post, call, other)


def pre_ok(m, ob: P2MObligation, st: P2MState) -> Bool:
    return all_of(PRE_STATE[n](m, st) for n in ob.needs)



@dataclass
class P2MCall:
    """A p2m_set_entry call and its allocation outcomes: an Oracle (symbolic) or
    the list of outcomes (concrete)."""

    call: Call
    oracle: Any

    def outcomes(self) -> Oracle:
        return self.oracle if isinstance(self.oracle, Oracle) else Oracle(self.oracle)


@dataclass
class P2MStep:
    pre: P2MState
    post: P2MState
    rc: Word
    call: Any  # the Call the step ran (its target symbolic when the shape is)


@dataclass
class P2MView:
    m: Any
    pre: P2MState
    post: P2MState
    call: Call
    other: Word


def describe_call(m, call: Call, fails: list, rc: Optional[Word] = None) -> dict:
    mfn = int(call.mfn)
    d = {"call": "p2m_set_entry", "gfn": hex(int(call.gfn)),
         "order": m.geo.level_order(call.target),
         "mfn": "INVALID_MFN" if mfn == INVALID_MFN else hex(mfn),
         "type": m.type_names().get(int(call.t), str(int(call.t))),
         "alloc_fails": [i + 1 for i, f in enumerate(fails) if f]}
    if rc is not None:
        v = int(rc)
        d["rc"] = v - (1 << 32) if v >> 31 else v
    return d


def describe_state(m, st: P2MState) -> dict:
    geo = st.geo
    return {"entries": [{"page": c // geo.entries, "index": c % geo.entries, "value": hex(int(v))}
                        for c, v in enumerate(st.cells) if int(v)],
            "free": [bool(f) for f in st.free], "walkable": [bool(w) for w in st.walkable],
            "stale": [c for c, s in enumerate(st.stale) if bool(s)],
            "refs": int(st.refs), "watch": hex(int(st.watch)),
            "md_pages": {p: int(x) for p, x in enumerate(st.md_page) if int(x) != NO_MD},
            "used_entries": {p: int(u) for p, u in enumerate(st.used) if int(u)},
            "md_slots": [[c // geo.entries, c % geo.entries, int(t)] for c, t in enumerate(st.md) if int(t)],
            "live_foreign_maps": int(m.live_foreign_maps(st)),
            "events": {k: bool(getattr(st, k)) for k in ("ev_free_walkable", "ev_bbm", "ev_md_missing",
                                                         "ev_crash", "ev_oob", "ev_endless")}}


def describe_translation(m, st: P2MState, gfn: int) -> dict:
    ok, mfn, attrs, t = m.translate(st, bv(gfn, 64))
    if not bool(ok):
        return {"gfn": hex(gfn), "ok": False}
    return {"gfn": hex(gfn), "ok": True, "mfn": hex(int(mfn)), "attrs": hex(int(attrs)),
            "type": m.type_names().get(int(t), str(int(t)))}




def fails_of(oracle: Oracle, model) -> list:
    """The outcome of each attempt the call made, under the model."""
    made = int(evaluate(oracle.made, model))
    return [bool(evaluate(sym_bool(n), model)) for n in oracle.names[:made]]



@dataclass
class P2MMachine:
    m: Any  # the version's model
    depth: int = DEPTH
    unit: str = "calls"

    def __post_init__(self) -> None:
        self.operations = {op: f"p2m_set_entry {op}" for op in OPS}
        self.shapes = tuple(OPS)  # BMC unrolls each call with its level fixed

    def initial(self, params=None) -> P2MState:
        watch = sym_word("p2m_watch", MFN_BITS) if params is None else bv(int(params, 16), MFN_BITS)
        return P2MState.initial(self.m.geo, watch)

    def initial_params(self, model) -> str:
        return hex(int(evaluate(sym_word("p2m_watch", MFN_BITS), model)))

    def arbitrary(self, op: str) -> P2MState:
        return P2MState.arbitrary(self.m.geo, "pre")

    def fresh_call(self, tag: str, op: Optional[str]) -> P2MCall:
        """A call of shape `op` (BMC fixes every call's shape: see `shapes`)."""
        return P2MCall(Call(sym_word(f"p2m{tag}_gfn", 64), OPS[op], sym_word(f"p2m{tag}_mfn", 64),
                            sym_word(f"p2m{tag}_type", TYPE_BITS)), Oracle(prefix=f"p2m{tag}"))

    def witness(self, tag: str) -> Word:
        return sym_word(f"p2m_other{tag}", self.m.geo.gfn_bits).zext(64)

    def pre_ok(self, s) -> Bool:
        """used_entries is never reset (p2m_free_table leaves it), so it only grows: a
        pre-state has every count below USED_LIMIT (no lifetime reaches it)."""
        return all_of(u < USED_LIMIT for u in s.used)

    def contract(self, s, c: P2MCall) -> Bool:
        return contract(self.m, c.call)

    def step(self, s: P2MState, c: P2MCall) -> P2MStep:
        post, rc = run_call(self.m, s, c.call, c.outcomes())
        return P2MStep(s, post, rc, c.call)

    def post(self, st: P2MStep) -> P2MState:
        return st.post

    def halted(self, st: P2MStep) -> Bool:
        return FALSE

    def in_op(self, s, c: P2MCall, op: str) -> Bool:
        return Bool(c.call.target == OPS[op])

    def view(self, st: P2MStep, va: Word) -> P2MView:
        return P2MView(self.m, st.pre, st.post, st.call, va)

    def lemma(self, name: str, s, addresses: list[Word]) -> Bool:
        return PRE_STATE[name](self.m, s)

    def addresses(self, pre, call, va: Word) -> list[Word]:
        return []

    # -- reading values back ------------------------------------------------------
    def concrete_pre(self, pre, model) -> P2MState:
        return concretize(pre, model, {})

    def concrete_call(self, c: P2MCall, model) -> P2MCall:
        x = c.call
        return P2MCall(Call(evaluate(x.gfn, model), x.target, evaluate(x.mfn, model),
                            evaluate(x.t, model)), fails_of(c.oracle, model))

    def call_json(self, c: P2MCall) -> list:
        x = c.call
        return [x.target, [hex(int(x.gfn)), hex(int(x.mfn)), hex(int(x.t))], list(c.oracle)]

    def call_from_json(self, data: list) -> P2MCall:
        target, (gfn, mfn, t), fails = data
        return P2MCall(Call(bv(int(gfn, 16), 64), target, bv(int(mfn, 16), 64),
                            bv(int(t, 16), TYPE_BITS)), list(fails))

    def _described(self, c: P2MCall, rc=None) -> dict:
        return describe_call(self.m, c.call, c.oracle, rc)

    def describe_cti(self, symbolic_pre, pre, call: P2MCall, va: int, st: P2MStep, model) -> dict:
        return {"kind": "not-inductive: a counterexample to the step from a state that may be "
                        "unreachable", "pre": describe_state(self.m, pre),
                "call": self._described(call, st.rc), "post": describe_state(self.m, st.post),
                "other_gfn": describe_translation(self.m, pre, va) | {
                    "after": describe_translation(self.m, st.post, va)}}

    def describe_trace(self, calls: list, steps: list, va: int) -> dict:
        last = steps[-1]
        return {"kind": "violated: a trace from the initial state, replayed concretely",
                "steps": [self._described(c, st.rc) for c, st in zip(calls, steps)],
                "watch": hex(int(steps[0].pre.watch)),
                "other_gfn": describe_translation(self.m, last.pre, va) | {
                    "after": describe_translation(self.m, last.post, va)},
                "after": describe_state(self.m, last.post)}

    def bounds(self) -> dict:
        return {**geometry_bounds(self.m.geo, self.depth), "callers": CALLERS[callers.contract_of(self.m)]}

    @property
    def traces_from(self) -> tuple:
        """Under the any contract, the same version's committed presets traces (a restriction
        of any) replay here too (`proofs/engine/callers.py`)."""
        base = getattr(self.m, "under_callers_of", None)
        return (base,) if base else ()


def geometry_bounds(geo: P2MGeometry, depth: int) -> dict:
    b = geo.bounds()
    b.update(depth=depth, depth_unit="calls (one p2m_set_entry under the write lock each)",
             index_bits=geo.idx_bits,
             table_width="reduced: %d entries per table (512 in Xen)" % geo.entries
             if geo.entries != 512 else "full: 512 entries per table")
    return b



def geometry(name: str) -> P2MGeometry:
    return METADATA_GEOMETRY if _class(name).metadata_pages else GEOMETRY


def _class(name: str) -> type:
    cls = model_class(name)
    if cls is None:
        raise KeyError(name)
    return cls


def machine(name: str, settings: Optional[Settings]) -> P2MMachine:
    """A version's p2m on the bounded geometry every state-machine result states
    (`<version>@any`: the same model under the any caller contract); `--p2m-entries`
    widens its tables (the bounds say so).  Measured on riscv-p2m-v5's set-4k step
    (z3, 2026-12-04, loaded machine): `reserved` 1.4 s at 2 entries, 5.1 s at 4, 34 s at
    8; the explicit cells grow with the width and the split writes every child, so
    Xen's 512 is out of reach of this encoding."""
    geo = geometry(name)
    if settings is not None and settings.p2m_entries:
        geo = replace(geo, idx_bits=settings.p2m_entries.bit_length() - 1)
    return P2MMachine(_class(name)(geo))
