"""The riscv-pt machine as the engine sees it: `model/riscv/machine.py`'s step
of a version of pt.c, the caller contract, and how its values read back.

One atomic step is a call's prologue (the machine idle, a call to `op`) or one
iteration of pt_update's loop; the loop variables are state.  The step
query's pre-state is arbitrary: page-table memory uninterpreted, the
allocator, the ghost levels and parents and the loop variables free.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from model.memory import FRAME_BITS, Memory
from model.riscv.machine import (OP_IDS, OPS, PC_HALTED, PC_IDLE, PC_LOOP, Call,
                                 Geometry, State, Step, initial_state, rc_value)
from model.riscv.pte import MODES, PAGE_SHIFT, format_pte
from model.term import Bool, Word, bv, evaluate, sym_word
from proofs.engine.settings import Settings
from proofs.systems.riscv_pt import theorem
from proofs.systems.riscv_pt.contract import call_ok, callers_of
from proofs.systems.cstatement import write_statement
from proofs.systems.riscv_pt.trace import ConcreteCall, describe
from proofs.systems.riscv_pt.versions import model_class
from proofs.engine import callers
from proofs.systems.shared import arbitrary_state
from proofs.systems.walk import View, canonical_va
from proofs.systems.xen_names import RISCV_FLAGS, mfn_name, va_name

CALLERS = {callers.PRESETS: "PAGE_HYPERVISOR_* presets (| PTE_SMALL), a W+X request",
           callers.ANY: "any: every value the entry points' C signatures admit"}


def geometry(settings: Settings) -> Geometry:
    return Geometry(MODES[settings.mode], pool=settings.pool)


def version(name: str, settings: Settings):
    """The named version's model on the settings' geometry (`--c-source`: the lifted C)."""
    if settings.c_versions:
        from proofs.systems.riscv_pt.c_version import CSpec, register

        for path, c_name, base in settings.c_versions:
            register(CSpec(path, c_name, base))
    cls = model_class(name)
    if cls is None:
        raise KeyError(name)
    return cls(geometry(settings))


def bounds(settings: Settings, mode: str = callers.PRESETS) -> dict:
    b = geometry(settings).bounds()
    b.update(depth=settings.depth, callers=CALLERS[mode])
    return b


def concrete_state(pre: State, model, cells: dict) -> State:
    """The pre-state under a model: memory is the entries the step read (others 0)."""
    ev = lambda x: evaluate(x, model)  # noqa: E731
    mem = Memory.zero()
    for (f, i), v in cells.items():
        mem = mem.write(bv(1, 1) == 1, bv(f, FRAME_BITS), bv(i, 9), bv(v, 64))
    return State(
        mem=mem, next_free=ev(pre.next_free), pool_level=tuple(ev(x) for x in pre.pool_level),
        pool_parent=tuple((ev(a), ev(b)) for a, b in pre.pool_parent), pc=ev(pre.pc), op=pre.op,
        start=ev(pre.start), nr=ev(pre.nr), vfn=ev(pre.vfn), mfn=ev(pre.mfn),
        flags=ev(pre.flags), rc=ev(pre.rc), tlb_stale=ev(pre.tlb_stale), applied=ev(pre.applied),
        stale_lo=ev(pre.stale_lo), stale_hi=ev(pre.stale_hi),
    )


def state_json(s: State, cells: dict, call: ConcreteCall) -> dict:
    """A concrete pre-state (and the call offered) as plain JSON values."""
    word = ("pc", "op", "start", "nr", "vfn", "mfn", "flags", "rc", "next_free")
    return {
        **{k: hex(int(getattr(s, k))) for k in word},
        "tlb_stale": bool(s.tlb_stale), "applied": bool(s.applied),
        # the stale hull only matters when the TLB is stale (state_from_json: the whole space if absent)
        **({"stale_lo": hex(int(s.stale_lo)), "stale_hi": hex(int(s.stale_hi))} if bool(s.tlb_stale) else {}),
        "pool_level": [int(x) for x in s.pool_level],
        "pool_parent": [[hex(int(f)), int(i)] for f, i in s.pool_parent],
        "cells": [[hex(f), i, hex(v)] for (f, i), v in sorted(cells.items())],
        "call": [call.op, [hex(a) for a in call.args]],
    }


def _call(c) -> Call:
    """A symbolic Call, or a concrete one read back (ConcreteCall) as the model takes it."""
    return c.call() if isinstance(c, ConcreteCall) else c


@dataclass
class RiscvPtMachine:
    """One version of pt.c; operations are its entry points (`model/riscv/machine.py` OPS)."""

    v: Any
    depth: int
    settings: Settings
    unit: str = "steps"

    def __post_init__(self) -> None:
        self.operations = {k: OPS[i] for k, i in OP_IDS.items()}

    # Symbol names: the step query's are bare, BMC's carry the step number.
    def initial(self, params=None) -> State:
        return initial_state(self.v.geo)

    def initial_params(self, model) -> None:
        return None

    def arbitrary(self, op: str) -> State:
        shared = getattr(self.v, "arbitrary", None)  # the lifted C keeps one per process
        return shared(op) if shared else arbitrary_state(self.v.geo, bv(OP_IDS[op], 3))

    def fresh_call(self, tag: str, op: Optional[str]) -> Call:
        if op is None:
            return Call(sym_word(f"op{tag}", 3), tuple(sym_word(f"a{tag}_{j}", 64) for j in range(4)))
        return Call(bv(OP_IDS[op], 3), tuple(sym_word(f"arg{j}", 64) for j in range(4)))

    def witness(self, tag: str) -> Word:
        return canonical_va(f"va{tag}", self.v.geo.mode.va_bits)

    def pre_ok(self, s: State) -> Bool:
        return (s.pc == PC_IDLE) | (s.pc == PC_LOOP)

    def contract(self, s: State, call) -> Bool:
        return call_ok(_call(call), self.v)

    def cases(self, pre: State, call) -> list[Bool]:
        """A step of one operation by where it starts: its call, or an iteration of its loop."""
        return [pre.pc == PC_IDLE, pre.pc == PC_LOOP]

    def step(self, s: State, call) -> Step:
        return self.v.step(s, _call(call))

    def post(self, st: Step) -> State:
        return st.post

    def halted(self, st: Step) -> Bool:
        return st.post.pc == PC_HALTED

    def in_op(self, s: State, call: Call, op: Optional[str]) -> Bool:
        if op is None:  # any call
            return Bool(True)
        i = OP_IDS[op]
        return ((s.pc == PC_IDLE) & (call.op == i)) | ((s.pc != PC_IDLE) & (s.op == i))

    def view(self, st: Step, va: Word) -> View:
        return View(self.v, st, va)

    def lemma(self, name: str, s: State, addresses: list[Word]) -> Bool:
        return theorem.lemma(name, s, self.v, addresses)

    def addresses(self, pre: State, call: Call, va: Word) -> list[Word]:
        return [va, pre.vfn << PAGE_SHIFT]

    # -- reading values back ------------------------------------------------------
    def concrete_pre(self, pre: State, model) -> State:
        return concrete_state(pre, model, pre.mem.cells_read(model))

    def concrete_call(self, call: Call, model) -> ConcreteCall:
        return ConcreteCall(int(evaluate(call.op, model)), tuple(int(evaluate(a, model)) for a in call.a))

    def call_json(self, c: ConcreteCall) -> list:
        return [c.op, [hex(a) for a in c.args]]

    def call_from_json(self, data: list) -> ConcreteCall:
        op, args = data
        return ConcreteCall(op, tuple(int(a, 16) for a in args))

    def describe_trace(self, calls: list, steps: list, va: int) -> dict:
        out = describe(self.v, calls, steps, va)
        compiled = getattr(self.v, "replay_compiled", None)  # the lifted C: run it compiled too
        if compiled is not None:
            from proofs.systems.riscv_pt.vectors import started_calls

            out["compiled_c"] = compiled(started_calls(self.v, calls))
        return out

    def describe_cti(self, symbolic_pre: State, pre: State, call: ConcreteCall, va: int,
                     st: Step, model) -> dict:
        mode, geo = self.v.geo.mode, self.v.geo
        cells = symbolic_pre.mem.cells_read(model)
        levels = {geo.root: geo.top}
        for k in range(geo.pool):
            if k < int(pre.next_free):
                levels[geo.pool_base + k] = int(pre.pool_level[k])
        entries = [{"table": hex(f), "index": i, "value": hex(v),
                    "decoded": format_pte(v, mode, min(levels.get(f, 0), mode.levels - 1))}
                   for (f, i), v in sorted(cells.items()) if v]
        writes = [{"table": hex(int(w.frame)), "index": int(w.idx), "level": int(w.level),
                   "by": write_statement(self.v, st, w).where(), "c": write_statement(self.v, st, w).text,
                   "old": format_pte(int(w.old), mode, min(int(w.level), mode.levels - 1)),
                   "new": format_pte(int(w.new), mode, min(int(w.level), mode.levels - 1))}
                  for w in st.writes if bool(w.guard)]
        in_call = int(pre.pc) == PC_LOOP
        loop = None
        if in_call:
            loop = {k: hex(int(getattr(pre, k))) for k in ("start", "nr", "vfn", "left")}
            loop.update(mfn=mfn_name(int(pre.mfn)), flags=RISCV_FLAGS.name(int(pre.flags)))
        return {
            "kind": "not-inductive: a counterexample to the step from a state that may be unreachable",
            "step": "loop iteration" if in_call else "call",
            "call": None if in_call else call.describe(mode.va_bits),
            "loop": loop,
            "pre_entries": entries,
            "pool_handed_out": int(pre.next_free),
            "writes": writes,
            "witness_va": va_name(va, mode.va_bits),
            "rc_after": rc_value(st.post.rc),
            "pre_state": state_json(pre, cells, call),  # what a vector needs to replay it
        }

    def bounds(self) -> dict:
        extra = getattr(self.v, "bounds", None)
        return {**bounds(self.settings, callers_of(self.v)), **(extra() if extra else {})}

    @property
    def traces_from(self) -> tuple:
        """The lifted C's base: its committed traces are run on the C (calls from the initial
        state); under the any contract, the same version's under presets (a restriction of any)."""
        base = getattr(self.v, "base_name", None) or getattr(self.v, "under_callers_of", None)
        return (base,) if base else ()

    @property
    def assumptions(self) -> tuple:
        """What every result of this version assumes beyond its bounds (the lifted C's)."""
        return getattr(self.v, "ASSUMPTIONS", ())


def machine(name: str, settings: Settings) -> RiscvPtMachine:
    return RiscvPtMachine(version(name, settings), settings.depth, settings)
