"""Bounded model checking from the initial state: the shortest real trace.

Unrolls the machine from `initial_state` (root allocated and empty) one atomic
step at a time; at each depth asks whether some sequence of contract-abiding
calls breaks the invariant at that step, during a call to `op`.  The first
depth that answers sat gives a shortest trace (in steps); it is replayed
concretely before it is returned.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

from model.riscv.machine import PC_HALTED, PC_IDLE, Call, initial_state
from model.term import sym_word
from proofs.contract import call_ok
from proofs.invariants import Invariant
from proofs.semantics import View, canonical_va
from proofs.solver import SAT, UNKNOWN, Incremental
from proofs.trace import Trace, describe, extract, replay


@dataclass
class BmcOutcome:
    status: str  # "violated", "clean" (none within the bound), "unknown"
    depth: int  # steps explored (or of the trace)
    seconds: float
    trace: Optional[Trace] = None
    decoded: Optional[dict] = None


def bmc(variant, inv: Invariant, op: Optional[int], max_steps: int, solver: str = "z3",
        timeout_ms: int = 60_000, rlimit: Optional[int] = None, first: int = 1) -> BmcOutcome:
    """Search traces of up to `max_steps` steps whose last step, in a call to `op`
    (any call when None), breaks `inv`.  Depths below `first` are not asked but
    assumed clean: only for a caller that already knows no shorter trace exists."""
    t0 = time.perf_counter()
    va_bits = variant.geo.mode.va_bits
    s = initial_state(variant.geo)
    steps, calls = [], []
    inc = Incremental(solver, timeout_ms, rlimit)
    try:
        for k in range(max_steps):
            call = Call(sym_word(f"op{k}", 3), tuple(sym_word(f"a{k}_{j}", 64) for j in range(4)))
            inc.add(call_ok(call, variant).node())
            st = variant.step(s, call)
            steps.append(st)
            calls.append(call)
            va = canonical_va(f"va{k}", va_bits)
            bad = ~inv.holds(View(variant, st, va)) & (st.post.pc != PC_HALTED)
            if op is not None:
                in_op = ((s.pc == PC_IDLE) & (call.op == op)) | ((s.pc != PC_IDLE) & (s.op == op))
                bad = bad & in_op
            if k + 1 < first:
                inc.add((~bad).node())
                s = st.post
                continue
            ans = inc.check_with(bad.node())
            if ans.status == UNKNOWN:
                return BmcOutcome("unknown", k + 1, time.perf_counter() - t0)
            if ans.status == SAT:
                trace = extract(ans.model, steps, calls, va)
                concrete = replay(variant, inv, trace)
                return BmcOutcome("violated", k + 1, time.perf_counter() - t0, trace,
                                  describe(variant, inv, trace, concrete))
            # No shorter trace breaks it, so later depths may assume it held here.
            inc.add((~bad).node())
            s = st.post
        return BmcOutcome("clean", max_steps, time.perf_counter() - t0)
    finally:
        inc.close()
