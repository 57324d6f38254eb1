"""Counterexample traces: read off a solver model, replayed concretely, decoded.

A trace is a list of API calls from the initial state; the machine runs them
step by step (a call's prologue, then its loop iterations) and the invariant
breaks at the last step, for the witness address `va`.  Nothing the solver
says is reported before `replay` has reproduced it on the concrete semantics.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from model.riscv.machine import (
    ERRNO_NAMES,
    INVALID_MFN,
    OP_NAMES,
    OPS,
    PC_HALTED,
    PC_IDLE,
    Call,
    State,
    Step,
    initial_state,
    rc_value,
)
from model.riscv.pte import format_pte
from model.term import Word, bv, evaluate
from proofs.semantics import View


class ReplayError(RuntimeError):
    """A solver model that does not reproduce concretely: an internal error."""


@dataclass
class ConcreteCall:
    op: int
    args: tuple[int, ...]

    def call(self) -> Call:
        return Call(bv(self.op, 3), tuple(bv(a, 64) for a in self.args))

    def describe(self) -> dict[str, Any]:
        a = self.args
        names = {
            0: ("virt", "mfn", "nr", "flags"),
            1: ("s", "e"),
            2: ("virt", "nr"),
            3: ("virt", "nr", "flags"),
        }[self.op]
        shown = {}
        for n, x in zip(names, a):
            shown[n] = "INVALID_MFN" if (n == "mfn" and x == INVALID_MFN) else hex(x)
        return {"call": OP_NAMES[self.op], "function": OPS[self.op].split(" ")[0], "args": shown}


@dataclass
class Trace:
    calls: list[ConcreteCall]  # one per call started
    step_calls: list[ConcreteCall]  # the call argument offered at each step
    va: int
    steps: int
    events: list[dict] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """What a replay needs: the call offered at each step and the witness address."""
        return {"va": hex(self.va), "step_calls": [[c.op, [hex(a) for a in c.args]] for c in self.step_calls]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Trace":
        steps = [ConcreteCall(op, tuple(int(a, 16) for a in args)) for op, args in data["step_calls"]]
        return cls([], steps, int(data["va"], 16), len(steps))


def extract(model, symbolic_steps: list[Step], calls: list[Call], va: Word) -> Trace:
    """Read the trace's calls and witness out of a solver model."""
    step_calls, started = [], []
    for st, c in zip(symbolic_steps, calls):
        op = int(evaluate(c.op, model))
        args = tuple(int(evaluate(a, model)) for a in c.a)
        cc = ConcreteCall(op, args)
        step_calls.append(cc)
        if int(evaluate(st.pre.pc, model)) == PC_IDLE:
            started.append(cc)
    return Trace(started, step_calls, int(evaluate(va, model)), len(symbolic_steps))


def replay(variant, invariant, trace: Trace, start: Optional[State] = None) -> list[Step]:
    """Run the trace concretely; raise ReplayError unless the invariant breaks at the end."""
    s = start or initial_state(variant.geo)
    done = []
    for cc in trace.step_calls:
        st = variant.step(s, cc.call())
        done.append(st)
        s = st.post
    last = done[-1]
    if int(last.post.pc) == PC_HALTED:
        raise ReplayError("replay halted on an ASSERT where the solver did not")
    if bool(invariant.holds(View(variant, last, bv(trace.va, 64)))):
        raise ReplayError(f"solver trace does not break {invariant.id} when replayed")
    return done


def describe(variant, invariant, trace: Trace, steps: list[Step]) -> dict[str, Any]:
    """The trace as reports show it: calls with return codes, the breaking step's entries decoded."""
    mode = variant.geo.mode
    calls_out, cur = [], None
    for st in steps:
        if int(st.pre.pc) == PC_IDLE:
            cur = {**ConcreteCall(int(st.post.op), _args(st)).describe(), "iterations": 0}
            calls_out.append(cur)
        else:
            cur["iterations"] += 1
        if int(st.post.pc) == PC_IDLE:
            cur["rc"] = ERRNO_NAMES.get(rc_value(st.post.rc), str(rc_value(st.post.rc)))
    last = steps[-1]
    if int(last.post.pc) != PC_IDLE:
        calls_out[-1]["rc"] = "(in progress: the invariant breaks inside this call)"
    writes = []
    for w in last.writes:
        if bool(w.guard):
            lvl = int(w.level)
            writes.append({
                "table": hex(int(w.frame)), "index": int(w.idx), "level": lvl, "by": w.why,
                "old": hex(int(w.old)), "old_decoded": format_pte(int(w.old), mode, min(lvl, mode.levels - 1)),
                "new": hex(int(w.new)), "new_decoded": format_pte(int(w.new), mode, min(lvl, mode.levels - 1)),
            })
    v = View(variant, last, bv(trace.va, 64))
    return {
        "calls": calls_out,
        "steps": len(steps),
        "witness_va": hex(trace.va),
        "breaking_step": {
            "call": calls_out[-1]["call"],
            "iteration": calls_out[-1]["iterations"],
            "writes": writes,
            "translation_before": _tr(v.before),
            "translation_after": _tr(v.after),
        },
    }


def _args(st: Step) -> tuple[int, ...]:
    return tuple(int(a) for a in st.call.a)


def _tr(t) -> dict[str, Any]:
    if not bool(t.ok):
        return {"ok": False}
    return {"ok": True, "ppn": hex(int(t.ppn)), "level": int(t.level),
            "leaf": format_pte(int(t.attrs)).split("  ")[0],
            "perms": "".join(c for c, b in zip("rwx", (t.leaf_r, t.leaf_w, t.leaf_x)) if bool(b))}
