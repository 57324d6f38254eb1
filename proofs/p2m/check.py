"""Deciding one p2m obligation for one version and one call shape.

1. One step: `needs(pre) & contract(call) & call & ~holds` over an arbitrary
   pre-state must be unsat, and `needs(pre) & contract(call)` sat (the vacuity
   witness).  A counterexample to the step is replayed on a concrete copy of
   its pre-state before it is kept.
2. Bounded model checking from the initial state (empty root, every pool
   page free, nothing mapped) over every sequence of calls up to the depth,
   the last being the obligation's call shape: a trace is replayed
   concretely and makes the obligation `violated`.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Optional

from model.riscv.p2m_state import (INVALID_MFN, MFN_BITS, PT_FRAME_BASE, TYPE_BITS, Oracle,
                                   P2MGeometry, P2MState)
from model.term import Bool, Word, all_of, any_of, bv, evaluate, sym_bool, sym_word
from proofs.checker import concretize
from proofs.p2m.invariants import PRE_STATE, Call, P2MObligation
from proofs.result import UNKNOWN
from proofs.solver import SAT, UNSAT, check, check_step
from proofs.trace import ReplayError

#: the call shapes: the level of the entry p2m_set_entry writes
OPS = {"set-4k": 0, "set-2m": 1, "set-1g": 2}


@dataclass
class Outcome:
    status: str  # PROVED (provisionally), "cti", "violated", "clean", UNKNOWN
    seconds: float
    vacuity: Optional[bool] = None
    counterexample: Optional[dict] = None
    depth: int = 0
    detail: list = field(default_factory=list)


def fresh_call(tag: str, target: int) -> Call:
    return Call(sym_word(f"{tag}_gfn", 64), target, sym_word(f"{tag}_mfn", 64),
                sym_word(f"{tag}_type", TYPE_BITS))


def contract(m, call: Call) -> Bool:
    """What map_regions_p2mt's callers pass: an aligned gfn inside the G-stage
    address space; INVALID_MFN (remove) or an aligned frame with a type this
    version stores, foreign types at 4K and 2M only (p2m_put_page has no 1G path),
    never overlapping a page of the p2m's own pool, below the PADDR_MASK limit."""
    mask = (1 << m.geo.level_order(call.target)) - 1
    gfn_ok = (call.gfn < (1 << m.geo.gfn_bits)) & ((call.gfn & mask) == 0)
    table_frames = (((call.mfn - PT_FRAME_BASE) < m.geo.pages)  # the p2m's own pages
                    | ((PT_FRAME_BASE - call.mfn) < mask + 1))
    mapping = ((call.mfn < m.mfn_limit) & ((call.mfn & mask) == 0) & ~table_frames
               & any_of(call.t == t for t in m.types())
               & (~m.is_foreign(call.t) | (call.target <= 1)))
    return gfn_ok & ((call.mfn == INVALID_MFN) | mapping)


def run_call(m, st: P2MState, call: Call, oracle: Oracle):
    return m.call(st, call.gfn, call.target, call.mfn, call.t, oracle)


def violation(m, ob: P2MObligation, pre: P2MState, post: P2MState, call: Call,
              other: Word) -> Bool:
    if ob.kind == "state":
        return ~ob.holds(m, post)
    return ~ob.holds(m, pre, post, call, other)


def pre_ok(m, ob: P2MObligation, st: P2MState) -> Bool:
    return all_of(PRE_STATE[n](m, st) for n in ob.needs)


# -- decoding ------------------------------------------------------------------------

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
            "live_foreign_maps": int(m.live_foreign_maps(st)),
            "events": {k: bool(getattr(st, k)) for k in ("ev_free_walkable", "ev_bbm")}}


def describe_translation(m, st: P2MState, gfn: int) -> dict:
    ok, mfn, attrs, t = m.translate(st, bv(gfn, 64))
    if not bool(ok):
        return {"gfn": hex(gfn), "ok": False}
    return {"gfn": hex(gfn), "ok": True, "mfn": hex(int(mfn)), "attrs": hex(int(attrs)),
            "type": m.type_names().get(int(t), str(int(t)))}


def _concrete_call(call: Call, model) -> Call:
    return Call(evaluate(call.gfn, model), call.target, evaluate(call.mfn, model),
                evaluate(call.t, model))


def _fails(oracle: Oracle, model) -> list:
    """The outcome of each attempt the call made, under the model."""
    made = int(evaluate(oracle.made, model))
    return [bool(evaluate(sym_bool(n), model)) for n in oracle.names[:made]]


# -- one step ------------------------------------------------------------------------

def step_check(m, ob: P2MObligation, target: int, solver: str, timeout_ms: int,
               rlimit: Optional[int] = None) -> Outcome:
    t0 = time.perf_counter()
    pre = P2MState.arbitrary(m.geo, "pre")
    call = fresh_call("c", target)
    oracle = Oracle(prefix="c")
    post, _ = run_call(m, pre, call, oracle)
    other = sym_word("other", 64)
    assumptions = pre_ok(m, ob, pre) & contract(m, call) & (other < (1 << m.geo.gfn_bits))
    bad = violation(m, ob, pre, post, call, other)
    ans = check_step(assumptions, bad, solver, timeout_ms, rlimit)
    cti = _replay_cti(m, ob, ans.model, pre, call, oracle, other) if ans.status == "cti" else None
    return Outcome(ans.status, time.perf_counter() - t0, vacuity=ans.vacuity, counterexample=cti)


def _replay_cti(m, ob, model, pre, call, oracle, other) -> dict:
    cpre = concretize(pre, model, {})
    ccall = _concrete_call(call, model)
    fails = _fails(oracle, model)
    cother = int(evaluate(other, model))
    post, rc = run_call(m, cpre, ccall, Oracle(fails))
    if not bool(violation(m, ob, cpre, post, ccall, bv(cother, 64))):
        raise ReplayError(f"counterexample to the step for {ob.id} does not reproduce concretely")
    return {"kind": "not-inductive: a counterexample to the step from a state that may be "
                    "unreachable", "pre": describe_state(m, cpre),
            "call": describe_call(m, ccall, fails, rc), "post": describe_state(m, post),
            "other_gfn": describe_translation(m, cpre, cother) | {
                "after": describe_translation(m, post, cother)}}


# -- bounded model checking ------------------------------------------------------------

def bmc(m, ob: P2MObligation, target: int, depth: int, solver: str, timeout_ms: int,
        rlimit: Optional[int] = None) -> Outcome:
    """The shortest trace (fewest calls) from the initial state ending in this call shape."""
    t0 = time.perf_counter()
    for n in range(depth):
        for prefix in itertools.product(sorted(set(OPS.values())), repeat=n):
            out = _trace(m, ob, (*prefix, target), solver, timeout_ms, rlimit)
            if out is None:
                return Outcome(UNKNOWN, time.perf_counter() - t0, depth=n + 1)
            if out:
                return Outcome("violated", time.perf_counter() - t0, counterexample=out,
                               depth=n + 1)
    return Outcome("clean", time.perf_counter() - t0, depth=depth)


def _trace(m, ob, targets: tuple, solver, timeout_ms, rlimit):
    """A replayed trace with these call shapes, {} if there is none, None if unknown."""
    st = P2MState.initial(m.geo, sym_word("watch", MFN_BITS))
    init = st
    calls, oracles, ok = [], [], []
    pre = st
    for k, target in enumerate(targets):
        call = fresh_call(f"k{k}", target)
        oracle = Oracle(prefix=f"k{k}")
        ok.append(contract(m, call))
        pre = st
        st, _ = run_call(m, st, call, oracle)
        calls.append(call)
        oracles.append(oracle)
    other = sym_word("other", 64)
    bad = violation(m, ob, pre, st, calls[-1], other) & (other < (1 << m.geo.gfn_bits))
    ans = check((all_of(ok) & bad).node(), solver, timeout_ms, rlimit)
    if ans.status == UNSAT:
        return {}
    if ans.status != SAT:
        return None
    return replay(m, ob, int(evaluate(init.watch, ans.model)),
                  [_concrete_call(c, ans.model) for c in calls],
                  [_fails(o, ans.model) for o in oracles], int(evaluate(other, ans.model)))


def replay(m, ob: P2MObligation, watch: int, calls: list, fails: list, other: int) -> dict:
    """Run a trace concretely from the initial state; it must break `ob` at its end."""
    st = P2MState.initial(m.geo, bv(watch, MFN_BITS))
    steps, pre = [], st
    for call, f in zip(calls, fails):
        if not bool(contract(m, call)):
            raise ReplayError(f"trace for {ob.id}: a call outside the contract")
        pre = st
        st, rc = run_call(m, st, call, Oracle(f))
        steps.append(describe_call(m, call, f, rc))
    if not bool(violation(m, ob, pre, st, calls[-1], bv(other, 64))):
        raise ReplayError(f"trace for {ob.id} does not break it when replayed")
    return {"kind": "violated: a trace from the initial state, replayed concretely",
            "steps": steps, "watch": hex(watch),
            "other_gfn": describe_translation(m, pre, other) | {
                "after": describe_translation(m, st, other)},
            "after": describe_state(m, st)}


def geometry_bounds(geo: P2MGeometry, depth: int) -> dict:
    b = geo.bounds()
    b.update(depth=depth, depth_unit="calls (one p2m_set_entry under the write lock each)",
             index_bits=geo.idx_bits,
             table_width="reduced: %d entries per table (512 in Xen)" % geo.entries
             if geo.entries != 512 else "full: 512 entries per table")
    return b

