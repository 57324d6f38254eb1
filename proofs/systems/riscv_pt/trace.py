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
    OP_NAMES,
    OPS,
    PC_IDLE,
    PC_LOOP,
    Call,
    Step,
    rc_value,
)
from model.riscv.pte import SV39, format_pte
from model.term import bv
from proofs.systems.cstatement import write_statement
from proofs.systems.walk import View
from proofs.systems.xen_names import RISCV_FLAGS, arg_name, mfn_name, va_name


@dataclass
class ConcreteCall:
    op: int
    args: tuple[int, ...]

    def call(self) -> Call:
        return Call(bv(self.op, 3), tuple(bv(a, 64) for a in self.args))

    def describe(self, va_bits: int = SV39.va_bits) -> dict[str, Any]:
        """The call with its arguments in Xen's words (`proofs/systems/xen_names.py`)."""
        names = {
            0: ("virt", "mfn", "nr", "flags"),
            1: ("s", "e"),
            2: ("virt", "nr"),
            3: ("virt", "nr", "flags"),
        }[self.op]
        shown = {n: arg_name(n, x, RISCV_FLAGS, va_bits) for n, x in zip(names, self.args)}
        return {"call": OP_NAMES[self.op], "function": OPS[self.op].split(" ")[0], "args": shown}


def describe(variant, calls: list[ConcreteCall], steps: list[Step], va: int) -> dict[str, Any]:
    """The trace as reports show it: calls with return codes, the breaking step's entries decoded."""
    mode = variant.geo.mode
    calls_out, cur = [], None
    for st in steps:
        if int(st.pre.pc) == PC_IDLE:
            cur = {**ConcreteCall(int(st.post.op), _args(st)).describe(mode.va_bits), "iterations": 0}
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
            stmt = write_statement(variant, last, w)
            writes.append({
                "table": hex(int(w.frame)), "index": int(w.idx), "level": lvl, "by": stmt.where(),
                "old": hex(int(w.old)), "old_decoded": format_pte(int(w.old), mode, min(lvl, mode.levels - 1)),
                "new": hex(int(w.new)), "new_decoded": format_pte(int(w.new), mode, min(lvl, mode.levels - 1)),
                "c": stmt.text,
            })
    v = View(variant, last, bv(va, 64))
    loop = ({"vfn": hex(int(last.pre.vfn)), "left": hex(int(last.pre.left)), "mfn": mfn_name(int(last.pre.mfn))}
            if int(last.pre.pc) == PC_LOOP else None)
    return {
        "calls": calls_out,
        "steps": len(steps),
        "witness_va": va_name(va, mode.va_bits),
        "breaking_step": {
            "step": len(steps),  # 1-based, as every trace numbers steps and calls
            "call": calls_out[-1]["call"],
            "call_number": len(calls_out),
            "iteration": calls_out[-1]["iterations"],
            "loop": loop,
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
