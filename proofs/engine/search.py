"""Bounded model checking from the initial state: the shortest real traces.

One unrolling of a version's machine serves every obligation and operation
still open: at each depth every target (obligation, operation) is asked in
its own push/pop frame whether some sequence of contract-abiding calls breaks
it at that step.  The first depth that answers sat gives a shortest trace (in
steps), replayed concretely before it is returned.  While one target is left,
its failures at shallower depths are asserted, as a single-target BMC does:
no shorter trace exists for it, and no other target shares the unrolling.
A machine whose calls come in a few shapes (`shapes`: the p2m's call levels)
is unrolled once per sequence of shapes instead, shortest sequences first; a
sequence serves only the targets whose operation is its last shape, so such a
machine's targets split into one search per operation (`groups`) that share no
solver question: each is its own job, and a target's time is its own search's.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any, Optional

from model.term import bv, evaluate
from proofs.engine.machine import Machine
from proofs.engine.obligation import StepObligation
from proofs.engine.solver import SAT, UNKNOWN, UNSAT, Incremental
from proofs.engine.step import ReplayError

VIOLATED, CLEAN = "violated", "clean"


@dataclass
class Trace:
    calls: list  # the concrete call offered at each step
    va: int
    init: Any = None  # the initial state's free parameters, if the machine has any

    def to_json(self, m: Machine) -> dict:
        """What a replay needs: the call offered at each step and the witness address."""
        out = {"va": hex(self.va), "step_calls": [m.call_json(c) for c in self.calls]}
        return {**out, "init": self.init} if self.init is not None else out

    @classmethod
    def from_json(cls, m: Machine, data: dict) -> "Trace":
        return cls([m.call_from_json(c) for c in data["step_calls"]], int(data["va"], 16),
                   data.get("init"))


@dataclass
class Found:
    status: str  # VIOLATED, CLEAN (none within the bound), UNKNOWN
    depth: int  # steps explored, or of the trace
    seconds: float
    trace: Optional[Trace] = None
    decoded: Optional[dict] = None  # the replayed trace, as the machine decodes it
    committed: bool = False  # the trace is a committed one, replayed (no search ran)
    source: str = ""  # with committed: the version whose traces file held it


def certified(m: Machine, ob: StepObligation, data: dict, depth: int, source: str = "") -> Optional[Found]:
    """A committed trace (`proofs/engine/certificates.py`) replayed: the verdict it
    establishes, or None when it no longer breaks `ob` within `depth` steps."""
    t0 = time.perf_counter()
    try:
        trace = Trace.from_json(m, data)
        if not 0 < len(trace.calls) <= depth:
            return None
        decoded = replay(m, ob, trace)
    except (ReplayError, KeyError, ValueError, TypeError, IndexError):
        return None
    return Found(VIOLATED, len(trace.calls), time.perf_counter() - t0, trace, decoded, committed=True,
                 source=source)


def groups(m: Machine, targets: list) -> list[list]:
    """`targets` ((obligation, operation) pairs) split into searches that share no
    solver question: a shaped machine's by operation (`_search_shaped` asks a
    target only on the sequences ending in its shape), else all in one (one
    unrolling asks every target at every depth).  Order is kept within a group."""
    if len(getattr(m, "shapes", (None,))) <= 1:
        return [list(targets)] if targets else []
    by_op: dict = {}
    for t in targets:
        by_op.setdefault(t[1], []).append(t)
    return list(by_op.values())


def search(m: Machine, targets: list[tuple[StepObligation, str]], depth: int, solver: str,
           timeout_ms: int, rlimit: Optional[int] = None, first: int = 1) -> list[Found]:
    """One `Found` per (obligation, operation) target, in order.  Depths below
    `first` are not asked but assumed clean: only for a caller that already
    knows no shorter trace exists."""
    shapes = getattr(m, "shapes", (None,))
    if len(shapes) > 1:
        return _search_shaped(m, targets, depth, shapes, solver, timeout_ms, rlimit)
    t0 = time.perf_counter()
    out: list[Optional[Found]] = [None] * len(targets)
    s = m.initial()
    calls = []
    inc = Incremental(solver, timeout_ms, rlimit)
    try:
        for k in range(depth):
            open_ = [j for j, f in enumerate(out) if f is None]
            if not open_:
                break
            call = m.fresh_call(str(k), None)
            inc.add(m.contract(s, call).node())
            st = m.step(s, call)
            calls.append(call)
            va = m.witness(str(k))
            for j in open_:
                ob, op = targets[j]
                bad = ~ob.holds(m.view(st, va)) & ~m.halted(st)
                bad = bad & m.in_op(s, call, op)
                alone = len([f for f in out if f is None]) == 1
                if k + 1 < first:
                    if alone:
                        inc.add((~bad).node())
                    continue
                ans = inc.check_with(bad.node())
                if ans.status == SAT:
                    out[j] = _found(m, ob, calls, va, ans.model, k + 1, t0)
                elif ans.status != UNSAT:
                    out[j] = Found(UNKNOWN, k + 1, time.perf_counter() - t0)
                elif alone:  # a shorter trace would have been found
                    inc.add((~bad).node())
            s = m.post(st)
        return [f or Found(CLEAN, depth, time.perf_counter() - t0) for f in out]
    finally:
        inc.close()


def _found(m: Machine, ob: StepObligation, calls: list, va, model, steps: int, t0: float) -> Found:
    trace = Trace([m.concrete_call(c, model) for c in calls], int(evaluate(va, model)),
                  m.initial_params(model))
    return Found(VIOLATED, steps, time.perf_counter() - t0, trace, replay(m, ob, trace))


def _search_shaped(m: Machine, targets: list, depth: int, shapes: tuple, solver: str,
                   timeout_ms: int, rlimit: Optional[int]) -> list[Found]:
    """BMC for a machine whose calls come in a few shapes, each unrolled with its
    shape fixed (smaller formulas than one symbolic choice): every sequence of
    shapes, shortest first; each sequence's unrolling serves every open target
    whose operation is its last call's shape."""
    t0 = time.perf_counter()
    out: list[Optional[Found]] = [None] * len(targets)
    s0 = m.initial()
    built: dict[tuple, tuple] = {(): (s0, [], [], None)}  # shapes -> (state, calls, contracts, step)

    def unrolled(seq: tuple) -> tuple:
        if seq not in built:
            s, calls, ok, _ = unrolled(seq[:-1])
            call = m.fresh_call(str(len(seq) - 1), seq[-1])
            st = m.step(s, call)
            built[seq] = (m.post(st), calls + [call], ok + [m.contract(s, call)], st)
        return built[seq]

    inc = Incremental(solver, timeout_ms, rlimit)
    try:
        for k in range(1, depth + 1):
            for seq in itertools.product(shapes, repeat=k):
                open_ = [j for j, f in enumerate(out) if f is None and targets[j][1] == seq[-1]]
                if not open_:
                    continue
                _, calls, ok, st = unrolled(seq)
                va = m.witness(str(k - 1))
                inc.s.push()
                try:
                    for c in ok:
                        inc.add(c.node())
                    for j in open_:
                        ob, _ = targets[j]
                        bad = ~ob.holds(m.view(st, va)) & ~m.halted(st)
                        ans = inc.check_with(bad.node())
                        if ans.status == SAT:
                            out[j] = _found(m, ob, calls, va, ans.model, k, t0)
                        elif ans.status != UNSAT:
                            out[j] = Found(UNKNOWN, k, time.perf_counter() - t0)
                finally:
                    inc.s.pop()
        return [f or Found(CLEAN, depth, time.perf_counter() - t0) for f in out]
    finally:
        inc.close()


def replay(m: Machine, ob: StepObligation, trace: Trace) -> dict:
    """Run a trace concretely from the initial state; it must break `ob` at its end."""
    s = m.initial(trace.init)
    steps = []
    for c in trace.calls:
        if not bool(m.contract(s, c)):
            raise ReplayError(f"trace for {ob.id}: a call outside the contract")
        st = m.step(s, c)
        steps.append(st)
        s = m.post(st)
    last = steps[-1]
    if bool(m.halted(last)) or bool(ob.holds(m.view(last, bv(trace.va, 64)))):
        raise ReplayError(f"trace for {ob.id} does not break it when replayed")
    return m.describe_trace(trace.calls, steps, trace.va)
