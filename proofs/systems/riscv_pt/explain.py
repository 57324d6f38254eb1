"""What a riscv-pt vector says, in a Xen reviewer's words: the calls by their
C names and `PAGE_HYPERVISOR_*` flags, the breaking step (1-based, like every
number a trace prints), the loop variables it ran on, each entry it changed
decoded before and after (with the fault reason of a reserved encoding) and
the C statement that wrote it.

Everything here is recomputed by replaying the vector on the concrete model;
`show.py` prints it as text, as a mail and as pictures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from model.riscv.machine import OPS, PC_LOOP, State, Step
from model.riscv.pte import classify, fault_text, format_pte
from model.riscv.walk import translate
from model.term import bv
from proofs.systems.cstatement import CStatement, write_statement
from proofs.systems.trace_vectors import (_one_step, breaking_writes, calls_of,
                                          entry_place, obligation_of, run, step_machine, table_level,
                                          variant_for)
from proofs.systems.xen_names import RISCV_FLAGS, call_text, mfn_name, va_name


@dataclass
class Change:
    """One entry the breaking step wrote."""

    table: int
    index: int
    level: int
    old: int
    new: int
    by: str  # the model's name for the writer: "pt_update_entry" or "create_table"
    stmt: CStatement
    first_va: int  # the first address the entry maps (vectors.entry_place)
    written_at: int  # the level pt.c wrote it at (differs when its walk went wrong)
    mode: object = None

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def decoded(self, value: int) -> str:
        """The entry as the MMU reads it at its level, with why it faults if it does."""
        text = format_pte(value, self.mode, self.level)
        fault = fault_text(value, self.level, self.mode) if value & 1 else None
        return f"{text}  [{fault}]" if fault else text

    def place(self) -> str:
        wrong = f" (pt.c wrote it as an L{self.written_at} entry)" if self.written_at != self.level else ""
        return f"table {self.table:#x} L{self.level} [{self.index}]{wrong}"


@dataclass
class CallShown:
    number: int  # 1-based
    text: str  # map_pages_to_xen(virt=..., flags=PAGE_HYPERVISOR_RW (0x7))
    rc: str
    steps: int
    assert_failed: Optional[str] = None
    mapped: int = 0  # tables the call left mapped at its return (map_table without unmap_table)


@dataclass
class Finding:
    """A vector replayed and put in Xen's words."""

    version: str
    source: str
    obligation: str
    statement: str
    where: str
    verdict: str
    bounds: dict
    solver: str
    calls: list[CallShown]
    steps: int  # steps replayed
    witness: int
    va_bits: int
    break_step: Optional[int] = None  # 1-based
    break_call: Optional[int] = None  # 1-based
    iteration: Optional[int] = None  # 1-based loop iteration of that call; 0: its prologue
    changes: list[Change] = field(default_factory=list)
    loop: list[tuple[str, str, str]] = field(default_factory=list)  # (variable, before, after)
    translation: tuple[str, str] = ("", "")
    pre: Optional[State] = None  # the state before and after the breaking step
    post: Optional[State] = None
    step_call: str = ""  # a not-inductive vector: the step it takes

    @property
    def witness_text(self) -> str:
        return va_name(self.witness, self.va_bits)


def _args(c: dict) -> dict[str, int]:
    return {k: int(x, 16) for k, x in c["args"].items()}


def call_line(c: dict, va_bits: int) -> str:
    """A vector's call in Xen's words."""
    return call_text(c["function"], _args(c), RISCV_FLAGS, va_bits)


def changes(v, st: Step) -> list[Change]:
    out = []
    for w in breaking_writes(st):
        first, level = entry_place(v, st, w)
        out.append(Change(int(w.frame), int(w.idx), min(level, v.geo.top), int(w.old), int(w.new), w.why,
                          write_statement(v, st, w), first, int(w.level), v.geo.mode))
    return out


def loop_variables(pre: State, post: State) -> list[tuple[str, str, str]]:
    """pt_update's loop variables before and after a step (`left` is
    nr - (vfn - start), so it wraps below zero when the loop overruns)."""
    mfn = lambda s: mfn_name(int(s.mfn))  # noqa: E731
    return [("vfn", hex(int(pre.vfn)), hex(int(post.vfn))),
            ("left", hex(int(pre.left)), hex(int(post.left)) if int(post.pc) == PC_LOOP else "(returned)"),
            ("mfn", mfn(pre), mfn(post))]


def translation_text(v, state: State, va: int) -> str:
    """What the MMU does with `va` in `state`: the leaf it reaches, a page
    fault and why, or no leaf."""
    t = translate(state.mem, bv(v.geo.root, 44), bv(va, 64), v.geo.mode)
    for visit in t.visits:
        if bool(visit.on) and bool(classify(visit.entry, visit.level, v.geo.mode).fault):
            why = fault_text(int(visit.entry), visit.level, v.geo.mode)
            return f"{why} at table {int(visit.frame):#x} L{visit.level} [{int(visit.idx)}]"
    if not bool(t.ok):
        return "no leaf"
    perms = "".join(c for c, b in zip("rwx", (t.leaf_r, t.leaf_w, t.leaf_x)) if bool(b)) or "-"
    return f"{perms} leaf at L{int(t.level)}, ppn {int(t.ppn):#x}"


def finding(vector: dict) -> Finding:
    """Replay `vector` and say what it shows."""
    v = variant_for(vector)
    inv = obligation_of(vector)
    ob, bits = vector["obligation"], v.geo.mode.va_bits
    viol = vector.get("violation")
    va = int(viol["witness_va"], 16) if viol else 0
    f = Finding(vector["version"], vector.get("source", v.source), ob["id"], ob["statement"], ob["where"],
                vector["verdict"], vector["bounds"], vector["solver"], [], 0, va, bits)
    if vector["kind"] == "step":
        pre, st, _ = _one_step(v, inv, step_machine(vector), va)
        f.steps, f.break_step, f.pre, f.post = 1, 1, pre, st.post
        f.changes = changes(v, st)
        m = vector["initial_state"]["machine"]
        if vector["calls"]:
            c = vector["calls"][0]
            f.calls = [CallShown(1, call_line(c, bits), c["rc"], c["steps"], c.get("assert_failed"), c.get("mapped", 0))]
            f.break_call, f.iteration, f.step_call = 1, 0, f"the call {f.calls[0].text}"
        else:
            op = OPS[int(m["op"], 16)].split(" ")[0]
            f.step_call = f"one loop iteration of {op}"
            f.loop = loop_variables(pre, st.post)
    else:
        r = run(v, inv, calls_of(vector), va, stop_at_break=False)
        f.steps = len(r.steps)
        f.calls = [CallShown(i + 1, call_line(c, bits), c["rc"], c["steps"], c.get("assert_failed"),
                            c.get("mapped", 0))
                   for i, c in enumerate(vector["calls"])]
        if r.broke is None:
            f.post = r.final
            return f
        st = r.steps[r.broke]
        ci = r.call_of_step[r.broke]
        f.break_step, f.break_call = r.broke + 1, ci + 1
        f.iteration = sum(1 for o in r.call_of_step[:r.broke] if o == ci)
        f.pre, f.post = st.pre, st.post
        f.changes = changes(v, st)
        if int(st.pre.pc) == PC_LOOP:
            f.loop = loop_variables(st.pre, st.post)
    f.translation = (translation_text(v, f.pre, va), translation_text(v, f.post, va))
    return f


def frame_levels(v, state: State, f: Finding) -> dict[int, Optional[int]]:
    """The level of every frame with an entry: the allocator's for a table
    page, else the level the breaking step wrote it at (so an entry is never
    shown at two levels), else None."""
    written = {c.table: c.level for c in f.changes}
    frames = {fr for (fr, _), x in state.mem.cells.items() if x} | set(written)
    out = {}
    for fr in frames:
        lvl = table_level(v, state, fr)
        out[fr] = lvl if lvl is not None else written.get(fr)
    return out

