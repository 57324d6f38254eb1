"""Deciding a system's obligations: the algorithm every system shares.

1. One-step check of every (version, obligation, operation), assuming the
   lemmas the obligation needs (`proofs/engine/step.py`); each lemma is also
   checked in the initial state.
2. A provisional proof stands only if every lemma it assumed is itself proved
   for the version (for a per-operation lemma: for the same operation) and
   holds initially: a greatest fixpoint (`proofs/engine/fixpoint.py`).
3. What is not proved goes to bounded model checking from the initial state,
   one unrolling per version (`proofs/engine/search.py`): a trace, replayed
   concretely, makes it `violated`; none within the bound leaves
   `not-inductive` with the counterexample to the step, when there is one.
4. A query obligation is one solver question per member.
5. A solver unknown is `unknown`, never proved.

`module` names a system package: its `OBLIGATIONS` map ids to obligations,
`VERSIONS` names to model classes, `ID` is the system's id, and its
`machine.py` has `machine(version, settings)`, a version's Machine.  Worker
processes re-import it.
"""
from __future__ import annotations

import importlib
import time
from typing import Callable, Optional

from proofs.engine.fixpoint import standing
from proofs.engine.machine import Machine
from proofs.engine.obligation import Query, StepObligation
from proofs.engine.result import NOT_INDUCTIVE, PROVED, UNKNOWN, VIOLATED, Result
from proofs.engine.search import VIOLATED as FOUND, Found, search
from proofs.engine.settings import Settings
from proofs.engine.solver import SAT, UNSAT, check
from proofs.engine.step import StepOutcome, step_check
from proofs.engine.workers import executor, job_count, unordered

Progress = Optional[Callable[[int, int, str], None]]


def system_module(module: str):
    return importlib.import_module(module)


def _machine(module: str, version: str, settings: Settings) -> Machine:
    """A version's machine: every system package has a `machine.py` with `machine(version, settings)`."""
    return importlib.import_module(f"{module}.machine").machine(version, settings)


def _step_job(job: tuple) -> tuple:
    module, version, oid, op, settings = job
    m = _machine(module, version, settings)
    ob = system_module(module).OBLIGATIONS[oid]
    return job, step_check(m, ob, op, settings.solver, settings.timeout_ms, settings.rlimit)


def _initial_job(job: tuple) -> tuple:
    """Does the lemma hold in the initial state, at every address?  (sat/unsat/unknown of its negation)"""
    module, version, lemma, settings = job
    m = _machine(module, version, settings)
    va = m.witness("init")
    ans = check((~m.lemma(lemma, m.initial(), [va])).node(), settings.solver, settings.timeout_ms,
                settings.rlimit)
    return job, ans.status


def _search_job(job: tuple) -> tuple:
    module, version, targets, settings = job
    m = _machine(module, version, settings)
    obs = system_module(module).OBLIGATIONS
    found = search(m, [(obs[o], op) for o, op in targets], m.depth, settings.solver,
                   settings.timeout_ms, settings.rlimit)
    return job, found


def _query_job(job: tuple) -> tuple:
    module, version, oid, k, settings = job
    mod = system_module(module)
    return job, decide_member(mod, version, mod.OBLIGATIONS[oid], k, settings)


def members(mod, version: str, q: Query, settings: Settings) -> list:
    return q.members(mod.VERSIONS[version], settings)


def decide_member(mod, version: str, q: Query, k: int, settings: Settings) -> Result:
    t0 = time.perf_counter()
    member = members(mod, version, q, settings)[k]

    def ask(formula):
        return check(formula.node(), settings.solver, settings.timeout_ms, settings.rlimit)

    verdict, counterexample, detail, extra, vacuity = member.decide(ask)
    statement = member.statement or q.statement
    return Result(version, q.id, member.operation, verdict, member.bounds, settings.solver,
                  time.perf_counter() - t0, statement, q.where, vacuity=vacuity,
                  counterexample=counterexample, detail=detail, extra=extra, system=mod.ID)


def standard_decide(domain, claim, read: Callable, refuted: str = VIOLATED,
                    proved_detail: str = "unsat over every value in the domain",
                    refuted_detail: str = "a concrete value breaks it (re-evaluated)") -> Callable:
    """The usual reading of a query's answer: unsat with a satisfiable domain is
    proved; sat is `refuted` with `read(model)` (which re-evaluates the value)."""
    def decide(ask) -> tuple:
        ans = ask(domain & ~claim)
        if ans.status == SAT:
            return refuted, read(ans.model), refuted_detail, {}, None
        if ans.status != UNSAT:
            return UNKNOWN, None, "solver answered unknown", {}, None
        wit = ask(domain)
        if wit.status != SAT:
            return UNKNOWN, None, "the domain is empty or undecided: nothing proved", {}, \
                (False if wit.status == UNSAT else None)
        return PROVED, None, proved_detail, {}, True
    return decide


def decide(module: str, versions: list[str], wanted: list[str], settings: Settings,
           progress: Progress = None) -> list[Result]:
    """Every (version, obligation of `wanted`), with the lemmas they assume."""
    mod = system_module(module)
    obligations = mod.OBLIGATIONS
    steps = [o for o in wanted if obligations[o].kind == "step"]
    lemma_of = {ob.lemma: oid for oid, ob in obligations.items()
                if ob.kind == "step" and ob.lemma}
    needed = list(dict.fromkeys(steps + [lemma_of[n] for o in steps for n in obligations[o].needs]))
    ops = {v: list(_machine(module, v, settings).operations) for v in versions} if steps else {}
    step_jobs = [(module, v, o, op, settings) for v in versions for o in needed for op in ops[v]]
    lemmas = sorted({n for o in needed for n in obligations[o].needs})
    init_jobs = [(module, v, n, settings) for v in versions for n in lemmas]
    query_jobs = [(module, v, o, k, settings) for v in versions for o in wanted
                  if obligations[o].kind == "query"
                  for k in range(len(members(mod, v, obligations[o], settings)))]
    total = len(step_jobs) + len(init_jobs) + len(query_jobs)
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, label)

    with executor(job_count(settings.jobs)) as pool:
        queries: dict[tuple, Result] = {}
        for job, r in unordered(pool, _query_job, query_jobs):
            queries[job[1:4]] = r
            tick(f"query {job[1]} {job[2]} {r.operation}")
        out: dict[tuple, StepOutcome] = {}
        for job, o in unordered(pool, _step_job, step_jobs):
            out[job[1:4]] = o
            tick(f"step {job[1]} {job[2]} {job[3]}")
        initially: dict[tuple, str] = {}
        for job, status in unordered(pool, _initial_job, init_jobs):
            initially[job[1:3]] = status
            tick(f"initial state {job[1]} lemma {job[2]}")
        for (v, o, op), st in out.items():
            lemma = obligations[o].lemma
            if lemma and st.status == PROVED and initially.get((v, lemma)) != UNSAT:
                st.status = "cti" if initially.get((v, lemma)) == SAT else UNKNOWN
                st.detail.append(f"lemma '{lemma}' does not hold in the initial state")

        def first_lost(key: tuple, now: set) -> Optional[str]:
            v, o, op = key
            for n in obligations[o].needs:
                provider = obligations[lemma_of[n]]
                scope = [op] if provider.per_operation else ops[v]
                if any((v, provider.id, p) not in now for p in scope):
                    return n
            return None

        sound, lost = standing((k for k, o in out.items() if o.status == PROVED), first_lost)
        for key, n in lost.items():
            out[key].detail.append(f"its step proof assumes lemma '{n}' ({lemma_of[n]}), "
                                   "not proved for this version")
        open_ = {v: [(o, op) for o in steps for op in ops[v] if (v, o, op) not in sound]
                 for v in versions}
        search_jobs = [(module, v, tuple(t), settings) for v, t in open_.items() if t]
        total += len(search_jobs)
        found: dict[tuple, Found] = {}
        for job, fs in unordered(pool, _search_job, search_jobs):
            for (o, op), f in zip(job[2], fs):
                found[(job[1], o, op)] = f
            tick(f"search {job[1]} ({len(job[2])} open)")
    results = []
    for v in versions:
        m = _machine(module, v, settings) if steps else None
        for o in wanted:
            if obligations[o].kind == "query":
                results += [r for (qv, qo, _), r in sorted(queries.items(), key=lambda kv: kv[0][2])
                            if (qv, qo) == (v, o)]
                continue
            for op in ops[v]:
                results.append(_result(m, mod.ID, v, obligations[o], op, out[(v, o, op)],
                                       (v, o, op) in sound, found.get((v, o, op)), settings))
    return results


def _result(m: Machine, system: str, version: str, ob: StepObligation, op: str, o: StepOutcome,
            sound: bool, f: Optional[Found], settings: Settings) -> Result:
    base = dict(variant=version, invariant=ob.id, operation=m.operations[op], bounds=m.bounds(),
                solver=settings.solver, statement=ob.statement, where=ob.where, system=system)
    stated = {"assumptions": list(m.assumptions)} if getattr(m, "assumptions", ()) else {}
    if sound:
        lemmas = f"; assumes lemmas {', '.join(ob.needs)}" if ob.needs else ""
        return Result(verdict=PROVED, seconds=o.seconds, vacuity=o.vacuity,
                      detail="one-step inductive" + lemmas, extra=stated, **base)
    secs = o.seconds + (f.seconds if f else 0.0)
    detail = "; ".join(o.detail)
    if f and f.status == FOUND:
        return Result(verdict=VIOLATED, seconds=secs, counterexample=f.decoded,
                      detail=_join(detail, f"trace of {f.depth} {m.unit} from the initial state"),
                      extra={**stated, "trace_steps": f.depth, "replay": f.trace.to_json(m)}, **base)
    if o.status == UNKNOWN or (f and f.status == UNKNOWN):
        return Result(verdict=UNKNOWN, seconds=secs, detail=_join(detail, "solver answered unknown"),
                      extra=stated, **base)
    why = (f"no trace from the initial state within {m.depth} {m.unit}; "
           + ("counterexample to the step attached" if o.cti else "the step proof lost its lemmas"))
    return Result(verdict=NOT_INDUCTIVE, seconds=secs, counterexample=o.cti,
                  detail=_join(detail, why), extra=stated, **base)


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
