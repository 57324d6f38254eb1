"""Deciding state-machine obligations for a machine given by hooks.

The riscv-pt engine (`proofs/engine.py`) is written against the RISC-V `pt.c`
machine; the systems added later (the fixmap, Arm's xen_pt_update) bring their
own state, calls, contract and lemmas through a `Machine`, and this module
decides each obligation the same way:

1. one-step check: `pre_ok & call_ok & lemmas(pre) & step & ~holds` must be
   unsat, and `pre_ok & call_ok & lemmas(pre)` sat (the vacuity witness);
2. the proof stands only if every lemma it assumed is itself proved (greatest
   fixpoint) and holds in the initial state;
3. otherwise bounded model checking from the initial state: a trace, replayed
   concretely, makes it `violated`; none within the bound leaves
   `not-inductive` with the counterexample to the step (replayed on a concrete
   copy of its pre-state);
4. a solver unknown is `unknown`.
"""
from __future__ import annotations

import importlib
import inspect
import time
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Callable, Optional, Protocol

from model.memory import FRAME_BITS, Memory
from model.riscv.machine import ERRNO_NAMES, PC_IDLE, rc_value
from model.term import Bool, Word, all_of, bv, evaluate
from proofs.fixpoint import standing
from proofs.result import NOT_INDUCTIVE, PROVED, UNKNOWN, VIOLATED, Result
from proofs.solver import SAT, UNSAT, Incremental, check, check_step
from proofs.trace import ReplayError
from proofs.workers import executor, job_count


@dataclass(frozen=True)
class Obligation:
    """An invariant of one step: `holds(view)` over the step seen by the machine's view."""

    id: str
    statement: str
    holds: Callable[[Any], Bool]
    needs: tuple[str, ...] = ()  # lemma names the step proof assumes on the pre-state
    informative: bool = False
    lemma: Optional[str] = None  # this obligation establishes that lemma

    @property
    def where(self) -> str:
        fn = inspect.unwrap(self.holds)
        _, start = inspect.getsourcelines(fn)
        path = inspect.getsourcefile(fn) or "?"
        return f"{path[path.rfind('proofs/'):]}:{start}"


class Machine(Protocol):
    """What a system gives the checker about one version's machine."""

    def initial(self) -> Any: ...  # the state every real trace starts from
    def arbitrary(self) -> Any: ...  # a symbolic pre-state (memory uninterpreted)
    def fresh_call(self, tag: str) -> Any: ...
    def call_ok(self, state: Any, call: Any) -> Bool: ...  # the caller contract
    def pre_ok(self, state: Any) -> Bool: ...  # a state a step may start from (not halted)
    def witness(self, tag: str) -> Word: ...  # a free address
    def step(self, state: Any, call: Any) -> Any: ...
    def halted(self, step: Any) -> Bool: ...  # the step ended in a failed ASSERT / BUG
    def view(self, step: Any, va: Word) -> Any: ...
    def lemma(self, name: str, state: Any, addresses: list[Word]) -> Bool: ...
    def addresses(self, pre: Any, call: Any, va: Word) -> list[Word]: ...
    def concrete_call(self, call: Any, model) -> Any: ...
    def describe_call(self, call: Any) -> dict: ...
    def describe_step(self, step: Any, va: int) -> dict: ...
    def bounds(self) -> dict: ...


@dataclass
class Outcome:
    status: str  # PROVED (provisionally), "cti", UNKNOWN
    seconds: float
    vacuity: Optional[bool] = None
    cti: Optional[dict] = None
    detail: list = field(default_factory=list)


def concretize(x: Any, model, cells: dict) -> Any:
    """A symbolic state under a solver model; memory becomes the entries read (others 0)."""
    if isinstance(x, Memory):
        mem = Memory.zero(x.idx_bits)
        for (f, i), v in sorted(cells.items()):
            mem = mem.write(bv(1, 1) == 1, bv(f, FRAME_BITS), bv(i, x.idx_bits), bv(v, 64))
        return mem
    if isinstance(x, (Word, Bool)):
        return evaluate(x, model)
    if isinstance(x, tuple):
        return tuple(concretize(y, model, cells) for y in x)
    if is_dataclass(x):
        return replace(x, **{f.name: concretize(getattr(x, f.name), model, cells) for f in fields(x)})
    return x


def step_check(m: Machine, ob: Obligation, solver: str, timeout_ms: int,
               rlimit: Optional[int] = None) -> Outcome:
    t0 = time.perf_counter()
    pre = m.arbitrary()
    call = m.fresh_call("c")
    va = m.witness("va")
    st = m.step(pre, call)
    addrs = m.addresses(pre, call, va)
    assumptions = (m.pre_ok(pre) & m.call_ok(pre, call)
                   & all_of(m.lemma(n, pre, addrs) for n in ob.needs))
    violation = ~ob.holds(m.view(st, va)) & ~m.halted(st)
    ans = check_step(assumptions, violation, solver, timeout_ms, rlimit)
    cti = _read_cti(m, ob, ans.model, pre, call, va) if ans.status == "cti" else None
    return Outcome(ans.status, time.perf_counter() - t0, vacuity=ans.vacuity, cti=cti)


def _read_cti(m: Machine, ob: Obligation, model, pre, call, va) -> dict:
    cells = pre.mem.cells_read(model)
    concrete = concretize(pre, model, cells)
    cc = m.concrete_call(call, model)
    va_c = int(evaluate(va, model))
    st = m.step(concrete, cc)
    if bool(m.halted(st)) or bool(ob.holds(m.view(st, bv(va_c, 64)))):
        raise ReplayError(f"counterexample to the step for {ob.id} does not reproduce concretely")
    return {"kind": "not-inductive: a counterexample to the step from a state that may be unreachable",
            "call": m.describe_call(cc),
            "pre_entries": [{"table": hex(f), "index": i, "value": hex(v)}
                            for (f, i), v in sorted(cells.items()) if v],
            **m.describe_step(st, va_c)}


def initially(m: Machine, lemma: str, solver: str, timeout_ms: int, rlimit: Optional[int]) -> str:
    """Does the lemma hold in the initial state, at every address?  sat/unsat/unknown of its negation."""
    va = m.witness("va0")
    return check((~m.lemma(lemma, m.initial(), [va])).node(), solver, timeout_ms, rlimit).status


@dataclass
class Trace:
    calls: list  # the concrete call offered at each step
    va: int


def bmc(m: Machine, ob: Obligation, depth: int, solver: str, timeout_ms: int,
        rlimit: Optional[int] = None) -> tuple[str, Optional[dict], int]:
    """("violated", decoded trace, steps) | ("clean", None, depth) | ("unknown", None, k)."""
    s = m.initial()
    calls = []
    inc = Incremental(solver, timeout_ms, rlimit)
    try:
        for k in range(depth):
            call = m.fresh_call(f"k{k}")
            calls.append(call)
            inc.add((m.pre_ok(s) & m.call_ok(s, call)).node())
            st = m.step(s, call)
            va = m.witness(f"va{k}")
            bad = ~ob.holds(m.view(st, va)) & ~m.halted(st)
            ans = inc.check_with(bad.node())
            if ans.status == SAT:
                trace = Trace([m.concrete_call(c, ans.model) for c in calls], int(evaluate(va, ans.model)))
                return "violated", replay(m, ob, trace), k + 1
            if ans.status != UNSAT:
                return UNKNOWN, None, k + 1
            inc.add((~bad).node())  # a shorter trace would have been found
            s = st.post
        return "clean", None, depth
    finally:
        inc.close()


def replay(m: Machine, ob: Obligation, trace: Trace) -> dict:
    """Run a trace concretely from the initial state; it must break the obligation at its end."""
    s = m.initial()
    steps = []
    for c in trace.calls:
        if not bool(m.pre_ok(s) & m.call_ok(s, c)):
            raise ReplayError(f"trace for {ob.id}: a call outside the contract")
        st = m.step(s, c)
        steps.append(st)
        s = st.post
    last = steps[-1]
    if bool(m.halted(last)) or bool(ob.holds(m.view(last, bv(trace.va, 64)))):
        raise ReplayError(f"trace for {ob.id} does not break it when replayed")
    calls: list[dict] = []
    for c, st in zip(trace.calls, steps):  # a call offered while one is in progress is not taken
        if int(st.pre.pc) == PC_IDLE:
            calls.append({**m.describe_call(c), "iterations": 0})
        else:
            calls[-1]["iterations"] += 1
        rc = rc_value(st.post.rc)
        calls[-1]["rc"] = (ERRNO_NAMES.get(rc, str(rc)) if int(st.post.pc) == PC_IDLE
                           else "(in progress: the invariant breaks inside this call)")
    return {"kind": "violated: a trace from the initial state, replayed concretely",
            "calls": calls, "steps": len(steps),
            "witness_va": hex(trace.va), "breaking_step": m.describe_step(last, trace.va)}


def _module(name: str):
    return importlib.import_module(name)


def _step_job(job) -> Outcome:
    """One step check (and, for a proved lemma, its initial-state check), in a worker."""
    module, name, oid, settings = job
    mod = _module(module)
    m, ob = mod.machine(name, settings), mod.STATE_OBLIGATIONS[oid]
    out = step_check(m, ob, settings.solver, settings.timeout_ms, settings.rlimit)
    if ob.lemma and out.status == PROVED:  # a lemma must also hold where every trace starts
        init = initially(m, ob.lemma, settings.solver, settings.timeout_ms, settings.rlimit)
        if init != UNSAT:
            out.status = "cti" if init == SAT else UNKNOWN
            out.detail.append("the lemma does not hold in the initial state")
    return out


def _result_job(job) -> Result:
    module, name, oid, out, sound, settings, system = job
    mod = _module(module)
    return _result(mod.machine(name, settings), name, mod.STATE_OBLIGATIONS[oid], out, sound,
                   settings, system)


def decide(module: str, names: list[str], wanted: list[str], settings, system: str) -> list[Result]:
    """Every (version, obligation) of `wanted`, with the lemmas they assume.

    `module` names the system module: `machine(name, settings)` builds a version's
    Machine and `STATE_OBLIGATIONS` maps ids to Obligations; workers re-import it
    (`settings.jobs` processes; 1: in this process)."""
    obligations = _module(module).STATE_OBLIGATIONS
    lemma_of = {ob.lemma: oid for oid, ob in obligations.items() if ob.lemma}
    needed = list(dict.fromkeys(wanted + [lemma_of[n] for o in wanted for n in obligations[o].needs]))
    keys = [(name, oid) for name in names for oid in needed]
    jobs = job_count(settings.jobs)
    with executor(jobs) as pool:
        out = dict(zip(keys, pool.map(_step_job, [(module, n, o, settings) for n, o in keys])))

        def first_lost(key: tuple, now: set) -> Optional[str]:
            return next((n for n in obligations[key[1]].needs if (key[0], lemma_of[n]) not in now), None)

        sound, lost = standing((k for k in keys if out[k].status == PROVED), first_lost)
        for key, name in lost.items():
            out[key].detail.append(f"its step proof assumes lemma '{name}', not proved")
        todo = [(module, n, o, out[(n, o)], (n, o) in sound, settings, system)
                for n in names for o in wanted]
        return list(pool.map(_result_job, todo))


def _result(m: Machine, name: str, ob: Obligation, o: Outcome, sound: bool, settings,
            system: str) -> Result:
    base = dict(variant=name, invariant=ob.id, operation="any call", bounds=m.bounds(),
                solver=settings.solver, statement=ob.statement, where=ob.where, system=system)
    if sound:
        lemmas = f"; assumes lemmas {', '.join(ob.needs)}" if ob.needs else ""
        return Result(verdict=PROVED, seconds=o.seconds, vacuity=o.vacuity,
                      detail="one-step inductive" + lemmas, **base)
    t0 = time.perf_counter()
    status, trace, k = bmc(m, ob, m.bounds()["depth"], settings.solver, settings.timeout_ms,
                           settings.rlimit)
    secs = o.seconds + time.perf_counter() - t0
    detail = "; ".join(o.detail)
    if status == "violated":
        return Result(verdict=VIOLATED, seconds=secs, counterexample=trace,
                      detail=_join(detail, f"trace of {k} steps from the initial state"), **base)
    if status == UNKNOWN or o.status == UNKNOWN:
        return Result(verdict=UNKNOWN, seconds=secs, detail=_join(detail, "solver answered unknown"),
                      **base)
    why = f"no trace from the initial state within {k} steps"
    return Result(verdict=NOT_INDUCTIVE, seconds=secs, counterexample=o.cti,
                  detail=_join(detail, why + ("; counterexample to the step attached" if o.cti else "")),
                  **base)


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
