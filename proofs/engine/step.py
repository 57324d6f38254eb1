"""The one-step check: `pre_ok & contract & lemmas(pre) & step & ~holds`.

The pre-state is arbitrary (memory uninterpreted, the call in progress and
the ghost state free).  unsat, with the assumptions alone satisfiable (the
vacuity witness): the step preserves the obligation, given its lemmas.  sat:
a counterexample to induction, replayed on a concrete copy of its pre-state
before it is kept.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional

from model.term import Bool, all_of, bv, evaluate
from proofs.engine.machine import Machine
from proofs.engine.obligation import StepObligation
from proofs.engine.solver import SAT, check, check_step


class ReplayError(RuntimeError):
    """A solver model that does not reproduce concretely: an internal error."""


@dataclass
class StepOutcome:
    status: str  # "proved" (provisionally), "cti", "unknown"; "certified": not asked (see below)
    seconds: float
    vacuity: Optional[bool] = None
    cti: Optional[dict] = None
    detail: list = field(default_factory=list)
    certified: Any = None  # a committed trace's replay (search.Found) that settles it: violated
    proved_by: str = ""  # not asked: proved by the same obligation's proof under this version (any callers)
    without: tuple = ()  # the lemmas this step query did not assume (asked again without them)
    cti_solver: str = ""  # the solver whose model gave `cti`, when not the run's (`sat_first`)
    lost_before: bool = False  # asked without lemmas the previous run's proof lost (`estimates`)


@dataclass
class StepQuery:
    assumptions: Bool
    violation: Bool
    pre: Any
    call: Any
    va: Any


def step_query(m: Machine, ob: StepObligation, op: str, without: tuple = ()) -> StepQuery:
    """The step query of `ob` for `op`, assuming its lemmas but those `without`."""
    pre = m.arbitrary(op)
    call = m.fresh_call("", op)
    va = m.witness("")
    st = m.step(pre, call)
    addresses = m.addresses(pre, call, va)
    assumptions = m.pre_ok(pre) & m.contract(pre, call) & all_of(
        m.lemma(n, pre, addresses) for n in ob.needs if n not in without)
    violation = ~ob.holds(m.view(st, va)) & ~m.halted(st)
    return StepQuery(assumptions, violation, pre, call, va)


def step_check(m: Machine, ob: StepObligation, op: str, solver: str, timeout_ms: int,
               rlimit: Optional[int] = None, by_case: bool = True, without: tuple = (),
               first: Optional[str] = None) -> StepOutcome:
    """The step query of `ob` for `op`; for a `sat_first` obligation asked of `first`
    (the search solver) before `solver`, whose answer stands unless `first` gives a
    counterexample to the step (replayed concretely either way)."""
    t0 = time.perf_counter()
    q = step_query(m, ob, op, without)
    if ob.sat_first and first and first != solver:
        ans = check((q.assumptions & q.violation).node(), first, timeout_ms, rlimit)
        if ans.status == SAT:
            return StepOutcome("cti", time.perf_counter() - t0, cti=read_cti(m, ob, ans.model, q),
                               without=without, cti_solver=first)
    cases = m.cases(q.pre, q.call) if ob.by_case and by_case else ()
    ans = check_step(q.assumptions, q.violation, solver, timeout_ms, rlimit, cases)
    cti = read_cti(m, ob, ans.model, q) if ans.status == "cti" else None
    return StepOutcome(ans.status, time.perf_counter() - t0, vacuity=ans.vacuity, cti=cti, without=without)


def read_cti(m: Machine, ob: StepObligation, model, q: StepQuery) -> dict:
    """The counterexample to the step, replayed concretely, as the machine decodes it."""
    pre = m.concrete_pre(q.pre, model)
    call = m.concrete_call(q.call, model)
    va = int(evaluate(q.va, model))
    st = m.step(pre, call)
    if bool(m.halted(st)) or bool(ob.holds(m.view(st, bv(va, 64)))):
        raise ReplayError(f"counterexample to the step for {ob.id} does not reproduce concretely")
    return m.describe_cti(q.pre, pre, call, va, st, model)
