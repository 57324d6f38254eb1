"""riscv-pt's calls and traces as reports show them.

A trace is the call offered at each step from the initial state; the machine
runs them step by step (a call's prologue, then its loop iterations) and the
obligation breaks at the last step, for the witness address `va`.  The engine
replays it concretely (`proofs/engine/search.py`) before it is decoded here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model.riscv.machine import (
    ERRNO_NAMES,
    INVALID_MFN,
    OP_NAMES,
    OPS,
    PC_IDLE,
    Call,
    Step,
    rc_value,
)
from model.riscv.pte import format_pte
from model.term import bv
from proofs.systems.walk import View


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


def describe(variant, calls: list[ConcreteCall], steps: list[Step], va: int) -> dict[str, Any]:
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
    v = View(variant, last, bv(va, 64))
    return {
        "calls": calls_out,
        "steps": len(steps),
        "witness_va": hex(va),
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
