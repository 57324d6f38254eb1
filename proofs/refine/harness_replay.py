"""An entry point's counterexample replayed as a whole call: on the compiled C (the existing
C harness, `proofs/c_harness.py`) and on the concrete model, both from the initial state.

A prologue's inputs are a call's arguments, so the call can be run for real: the harness
compiles the pt.c with the host compiler and the shim, and the model steps until the call
returns.  (A function's or a loop step's counterexample starts from an arbitrary state,
which the harness cannot be put in: those are replayed on the lifted C only.)
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from model.riscv.machine import OP_IDS, PC_HALTED, PC_LOOP, Call, Geometry, initial_state, rc_value
from model.term import bv
from proofs.c_harness import Harness
from proofs.errors import PtproveError
from proofs.systems.riscv_pt.vectors import ARG_NAMES

STEP_LIMIT = 1024  # iterations before a call counts as not returning
C_SECONDS = 10  # the compiled call's time limit (an upstream removal can overrun for ever)
MAX_PAGES = 1 << 20  # a larger request is not run as a whole call (it would not end in time)


def model_call(model, geo: Geometry, op: str, args: list) -> str:
    a = tuple(bv(x, 64) for x in list(args) + [0] * (4 - len(args)))
    post = model.step(initial_state(geo), Call(bv(OP_IDS[op], 3), a)).post
    idle = Call(bv(0, 3), tuple(bv(0, 64) for _ in range(4)))
    for _ in range(STEP_LIMIT):
        if int(post.pc) != PC_LOOP:
            break
        post = model.step(post, idle).post
    if int(post.pc) == PC_HALTED:
        return "ASSERT"
    if int(post.pc) == PC_LOOP:
        return f"no return within {STEP_LIMIT} iterations"
    return f"rc {rc_value(post.rc)}"


def c_call(c_source: Path, version: str, geo: Geometry, op: str, args: list,
           cc: Optional[str] = None) -> str:
    names = ARG_NAMES[OP_IDS[op]]
    vector = {"version": version, "bounds": {"pool": geo.pool},
              "initial_state": {"root": hex(geo.root), "pool_base": hex(geo.pool_base)},
              "calls": [{"call": op, "args": {n: hex(v) for n, v in zip(names, args)}}]}
    try:
        h = Harness(str(c_source), cc)
    except PtproveError as e:
        return f"not run ({e})"
    try:
        got = h.run(vector, C_SECONDS)
    except PtproveError as e:
        return f"not run ({e})"
    finally:
        h.close()
    if "error" in got:
        return f"not run ({got['error']})"
    (call,) = got["calls"]
    return "ASSERT" if call["failed"] else f"rc {call['rc']}"


def pages(op: str, args: list) -> int:
    """How many pages the call asks for (what bounds its loop)."""
    if op == "destroy":
        return max(0, (args[1] - args[0]) >> 12) if args[1] > args[0] else 0
    return args[2] if op == "map" else args[1]


def replay_call(setup, op: str, args: list) -> dict:
    """The whole call on the compiled C (the C harness) and on the model."""
    call = f"{op}({', '.join(hex(a) for a in args)}) from the initial state"
    if pages(op, args) > MAX_PAGES:
        why = f"not run (a request of {pages(op, args):#x} pages)"
        return {"call": call, "compiled C (harness)": why, "model": why}
    return {"call": call,
            "compiled C (harness)": c_call(setup.lifted.path, setup.c_version, setup.geo, op, args),
            "model": model_call(setup.model, setup.geo, op, args)}


def lifted_calls(setup, calls: list) -> dict:
    """Whole calls run concretely on the lifted C (no cut: the loop runs to its end), from
    the initial state: what the harness reports for the compiled C, for a cross-check of
    the lifter itself.  `calls`: (op, args) pairs."""
    from model.c.execute import Path as CPath
    from model.c.execute import execute
    from model.c.stubs import NEXT_FREE
    from model.memory import Memory
    from proofs.refine.obligations import STALE, SYS_STATE_ACTIVE
    from proofs.refine.steps import ENTRIES

    mem, next_free, stale, out = Memory.zero(), bv(0, 8), bv(0, 8), []
    for op, args in calls:
        fn = ENTRIES[op][0]
        path = CPath(bv(1, 1) == 1, bv(1, 1) == 1, mem, {}, {NEXT_FREE: next_free})
        init = {"system_state": bv(SYS_STATE_ACTIVE, 32), STALE: stale}
        widths = [setup.param_width(fn, k) for k in range(len(args))]
        s = execute(setup.lifted.module, fn, [bv(a, w) for a, w in zip(args, widths)], path, setup.env,
                    globals_init=init)
        if bool(s.stopped):
            out.append({"rc": None, "failed": s.stops[0][1]})
            break
        mem, next_free, stale = s.mem, s.ghost[NEXT_FREE], s.global_value(STALE)
        out.append({"rc": rc_value(s.ret), "failed": None, "stale": bool(stale.any())})
    tables = {f: mem.frame_entries(f) for f in sorted({f for f, _ in mem.cells})}
    return {"calls": out, "pool_handed_out": int(next_free), "tables": {f: t for f, t in tables.items() if t}}
