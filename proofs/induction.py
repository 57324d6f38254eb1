"""One-step (inductive) checks: `lemmas(pre) and step and not invariant(step)`.

The pre-state is arbitrary: page-table memory is an uninterpreted function,
the allocator count, the ghost levels and parents and the loop variables are
free.  The step is either a call's prologue (the machine idle, a call to `op`)
or one iteration of a call to `op`.  unsat: the invariant is preserved (given
the lemmas); sat: a counterexample to induction (CTI), a pre-state that may be
unreachable, replayed concretely before it is reported.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

from model.memory import FRAME_BITS, Memory
from model.riscv.machine import (
    LEVEL_BITS,
    PC_HALTED,
    PC_IDLE,
    PC_LOOP,
    Call,
    State,
    rc_value,
)
from model.riscv.pte import PAGE_SHIFT, format_pte
from model.term import bv, evaluate, sym_bool, sym_word
from proofs.contract import call_ok
from proofs.invariants import Invariant
from proofs.lemmas import assume
from proofs.semantics import View, canonical_va
from proofs.solver import check_step
from proofs.trace import ConcreteCall, ReplayError


def arbitrary_state(variant, op: int) -> State:
    geo = variant.geo
    w = lambda n: sym_word(n, 64)  # noqa: E731
    return State(
        mem=Memory.arbitrary("M"),
        next_free=sym_word("next_free", 8),
        pool_level=tuple(sym_word(f"pool_level{k}", LEVEL_BITS) for k in range(geo.pool)),
        pool_parent=tuple((sym_word(f"parent_frame{k}", FRAME_BITS), sym_word(f"parent_idx{k}", 9))
                          for k in range(geo.pool)),
        pc=sym_word("pc", 2), op=bv(op, 3), start=w("start"), nr=w("nr"), vfn=w("vfn"),
        mfn=w("mfn"), flags=w("flags"), rc=sym_word("rc", 32),
        tlb_stale=sym_bool("tlb_stale"), applied=sym_bool("applied"),
    )


@dataclass
class StepOutcome:
    status: str  # "proved", "cti", "unknown"
    seconds: float
    vacuity: Optional[bool] = None
    cti: Optional[dict] = None


def step_query(variant, inv: Invariant, op: int, lemmas: tuple[str, ...]):
    """(assumptions, violation, the pieces needed to read a CTI back)."""
    va_bits = variant.geo.mode.va_bits
    pre = arbitrary_state(variant, op)
    call = Call(bv(op, 3), tuple(sym_word(f"arg{j}", 64) for j in range(4)))
    va = canonical_va("va", va_bits)
    step = variant.step(pre, call)
    op_va = pre.vfn << PAGE_SHIFT
    assumptions = (((pre.pc == PC_IDLE) | (pre.pc == PC_LOOP)) & call_ok(call, variant)
                   & assume(lemmas, pre, variant, [va, op_va]))
    violation = ~inv.holds(View(variant, step, va)) & (step.post.pc != PC_HALTED)
    return assumptions, violation, (pre, call, va, step)


def step_check(variant, inv: Invariant, op: int, lemmas: tuple[str, ...], solver: str = "z3",
               timeout_ms: int = 60_000, rlimit: Optional[int] = None) -> StepOutcome:
    t0 = time.perf_counter()
    assumptions, violation, pieces = step_query(variant, inv, op, lemmas)
    ans = check_step(assumptions, violation, solver, timeout_ms, rlimit)
    cti = read_cti(variant, inv, ans.model, pieces) if ans.status == "cti" else None
    return StepOutcome(ans.status, time.perf_counter() - t0, vacuity=ans.vacuity, cti=cti)


def read_cti(variant, inv: Invariant, model, pieces) -> dict:
    """Decode a CTI and replay it on a concrete copy of its pre-state."""
    pre, call, va, step = pieces
    mode = variant.geo.mode
    cells = pre.mem.cells_read(model)
    concrete = concrete_state(pre, model, cells)
    cc = ConcreteCall(int(evaluate(call.op, model)), tuple(int(evaluate(a, model)) for a in call.a))
    va_c = int(evaluate(va, model))
    st = variant.step(concrete, cc.call())
    if int(st.post.pc) == PC_HALTED or bool(inv.holds(View(variant, st, bv(va_c, 64)))):
        raise ReplayError(f"CTI for {inv.id} does not reproduce concretely")
    levels = {variant.geo.root: variant.geo.top}
    for k in range(variant.geo.pool):
        if k < int(concrete.next_free):
            levels[variant.geo.pool_base + k] = int(concrete.pool_level[k])
    entries = [{"table": hex(f), "index": i, "value": hex(v),
                "decoded": format_pte(v, mode, min(levels.get(f, 0), mode.levels - 1))}
               for (f, i), v in sorted(cells.items()) if v]
    writes = [{"table": hex(int(w.frame)), "index": int(w.idx), "level": int(w.level), "by": w.why,
               "old": format_pte(int(w.old), mode, min(int(w.level), mode.levels - 1)),
               "new": format_pte(int(w.new), mode, min(int(w.level), mode.levels - 1))}
              for w in st.writes if bool(w.guard)]
    in_call = int(concrete.pc) == PC_LOOP
    return {
        "kind": "not-inductive: a counterexample to the step from a state that may be unreachable",
        "step": "loop iteration" if in_call else "call",
        "call": None if in_call else cc.describe(),
        "loop": {k: hex(int(getattr(concrete, k))) for k in ("start", "nr", "vfn", "mfn", "left", "flags")}
        if in_call else None,
        "pre_entries": entries,
        "pool_handed_out": int(concrete.next_free),
        "writes": writes,
        "witness_va": hex(va_c),
        "rc_after": rc_value(st.post.rc),
        "pre_state": state_json(concrete, cells, cc),  # what a vector needs to replay it
    }


def state_json(s: State, cells: dict, call: ConcreteCall) -> dict:
    """A concrete pre-state (and the call offered) as plain JSON values."""
    word = ("pc", "op", "start", "nr", "vfn", "mfn", "flags", "rc", "next_free")
    return {
        **{k: hex(int(getattr(s, k))) for k in word},
        "tlb_stale": bool(s.tlb_stale), "applied": bool(s.applied),
        "pool_level": [int(x) for x in s.pool_level],
        "pool_parent": [[hex(int(f)), int(i)] for f, i in s.pool_parent],
        "cells": [[hex(f), i, hex(v)] for (f, i), v in sorted(cells.items())],
        "call": [call.op, [hex(a) for a in call.args]],
    }


def concrete_state(pre: State, model, cells: dict) -> State:
    """The pre-state under the model: memory is the entries the step read (others 0)."""
    ev = lambda x: evaluate(x, model)  # noqa: E731
    mem = Memory.zero()
    for (f, i), v in cells.items():
        mem = mem.write(bv(1, 1) == 1, bv(f, FRAME_BITS), bv(i, 9), bv(v, 64))
    return State(
        mem=mem, next_free=ev(pre.next_free), pool_level=tuple(ev(x) for x in pre.pool_level),
        pool_parent=tuple((ev(a), ev(b)) for a, b in pre.pool_parent), pc=ev(pre.pc), op=pre.op,
        start=ev(pre.start), nr=ev(pre.nr), vfn=ev(pre.vfn), mfn=ev(pre.mfn),
        flags=ev(pre.flags), rc=ev(pre.rc), tlb_stale=ev(pre.tlb_stale), applied=ev(pre.applied),
    )
