"""Deciding a system's obligations: the algorithm every system shares.

1. One-step check of every (version, obligation, operation), assuming the
   lemmas the obligation needs (`proofs/engine/step.py`); each lemma is also
   checked in the initial state.
2. A provisional proof stands only if every lemma it assumed is itself proved
   for the version (for a per-operation lemma: for the same operation) and
   holds initially: a greatest fixpoint (`proofs/engine/fixpoint.py`).
3. What is not proved goes to bounded model checking from the initial state,
   one unrolling per version (per operation for a machine of call shapes:
   `proofs/engine/search.py`'s `groups`): a trace, replayed
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
from proofs.engine import callers, certificates, estimates
from proofs.engine.search import VIOLATED as FOUND, Found, certified, groups, search
from proofs.engine.settings import Settings
from proofs.engine.solver import SAT, UNSAT, check
from proofs.engine.step import StepOutcome, step_check
from proofs.engine.workers import QUERY, SEARCH, STEP, Pool, pool_for, priority

Progress = Optional[Callable[[int, int, str], None]]


def system_module(module: str):
    return importlib.import_module(module)


def _machine(module: str, version: str, settings: Settings) -> Machine:
    """A version's machine: every system package has a `machine.py` with `machine(version, settings)`."""
    return importlib.import_module(f"{module}.machine").machine(version, settings)


def _step_job(job: tuple) -> tuple:
    """The one-step check, unless a committed trace still breaks the obligation:
    then that replay is the verdict (violated), and neither the step query
    (whose counterexample would go unused) nor the search runs."""
    module, version, oid, op, settings, *rest = job
    without = tuple(rest[0]) if rest else ()  # asked without the lemmas it lost (or lost before)
    first_ask = rest[1] if len(rest) > 1 else not without
    m = _machine(module, version, settings)
    ob = system_module(module).OBLIGATIONS[oid]
    committed = certificates.candidate(settings.certificates, version, (oid, op),
                                       tuple(getattr(m, "traces_from", ())))
    if committed is not None and first_ask:
        f = certified(m, ob, committed[1], m.depth, source=committed[0])
        if f is not None:
            return job, StepOutcome("certified", 0.0, certified=f)
    return job, step_check(m, ob, op, settings.solver, settings.timeout_ms, settings.rlimit,
                           settings.by_case, without, first=settings.search_solver)


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
    found = search(m, [(obs[o], op) for o, op in targets], m.depth, settings.search_solver,
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
    with pool_for(settings) as pool:
        return Decision(module, versions, wanted, settings, pool).results(progress)


class Decision:
    """One system's decision on a pool shared with other systems: its queries,
    steps and initial-state checks are submitted when it is made (so they can run
    while an earlier system finishes), its searches once its fixpoint is known.

    Each version is decided under every caller contract of `settings.callers` its
    system has (`proofs/engine/callers.py`).  A version decided under both is
    decided under `any` first: the steps it proves there (and its fixpoint keeps)
    are proved under presets by that proof, so only the rest (and the obligations
    stated `by_callers`) get a presets step query, once the any fixpoint is known."""

    def __init__(self, module: str, versions: list[str], wanted: list[str], settings: Settings,
                 pool: Pool, rank: int = 0):
        self.module, self.wanted, self.settings, self.pool = module, wanted, settings, pool
        self.rank = rank  # the system's place in the run: its jobs go before later systems'
        mod = self.mod = system_module(module)
        self.versions, lacking = callers.expand(mod, versions, settings.callers)
        obligations = mod.OBLIGATIONS
        self.steps = [o for o in wanted if obligations[o].kind == "step"]
        why = getattr(mod, "callers_missing", None)  # (queries have no callers: no note for them)
        self.notes = [callers.note(mod.ID, m, vs, settings.callers, why(vs[0], m) if why else "")
                      for m, vs in lacking.items()] if self.steps else []
        self.lemma_of = {ob.lemma: oid for oid, ob in obligations.items()
                         if ob.kind == "step" and ob.lemma}
        self.needed = list(dict.fromkeys(self.steps + [self.lemma_of[n] for o in self.steps
                                                       for n in obligations[o].needs]))
        #: operation key -> the name results give it, per version
        self.names = ({v: dict(_machine(module, v, settings).operations) for v in self.versions}
                      if self.steps else {})
        self.ops = {v: list(names) for v, names in self.names.items()}
        self.estimates = estimates.load(settings.estimates)
        #: presets version -> its any version, whose proofs serve it (its steps wait for them)
        self.partner = {v: p for v in self.versions if (p := callers.partner(v, self.versions))}
        jobs = [self._first_job(v, o, op) for v in self.versions for o in self.needed
                for op in self.ops[v]]
        first = [j for j in jobs if j[1] not in self.partner or obligations[j[2]].by_callers]
        self.later = [j for j in jobs if j not in first]
        lemmas = sorted({n for o in self.needed for n in obligations[o].needs})
        init_jobs = [(module, v, n, settings) for v in self.versions for n in lemmas]
        query_jobs, query_costs = [], []
        for v in self.versions:
            for o in wanted:
                if obligations[o].kind == "query" and callers.split(v)[1] == callers.PRESETS:
                    for k, member in enumerate(members(mod, v, obligations[o], settings)):
                        query_jobs.append((module, v, o, k, settings))
                        query_costs.append(self.estimates.of(v, o, member.operation))
        self.total = len(first) + len(init_jobs) + len(query_jobs)
        self.done = 0
        self.batches = (pool.submit(_query_job, query_jobs, priority(QUERY, rank), query_costs),
                        self._steps(first),
                        pool.submit(_initial_job, init_jobs, priority(STEP, rank)))

    def _first_job(self, v: str, o: str, op: str) -> tuple:
        """A step's first job: asked without the lemmas its proof lost in the previous run
        (`estimates.without`), so it is not asked once with them and again without."""
        needs = self.mod.OBLIGATIONS[o].needs
        lost = tuple(n for n in self.estimates.without(v, o, self.names[v][op]) if n in needs)
        if lost:
            return (self.module, v, o, op, self.settings, lost, True)
        return (self.module, v, o, op, self.settings)

    def _steps(self, jobs: list):
        """Step jobs submitted, longest first by the previous run's times."""
        costs = [self.estimates.of(j[1], j[2], self.names[j[1]][j[3]]) for j in jobs]
        return self.pool.submit(_step_job, jobs, priority(STEP, self.rank), costs)

    def results(self, progress: Progress = None) -> list[Result]:
        settings, versions = self.settings, self.versions
        obligations, lemma_of, ops, steps = self.mod.OBLIGATIONS, self.lemma_of, self.ops, self.steps

        def tick(label: str) -> None:
            self.done += 1
            if progress:
                progress(self.done, self.total, label)

        query_batch, step_batch, init_batch = self.batches
        queries: dict[tuple, Result] = {}
        for job, r in query_batch.completed():
            queries[job[1:4]] = r
            tick(f"query {job[1]} {job[2]} {r.operation}")
        out: dict[tuple, StepOutcome] = {}
        for job, o in step_batch.completed():
            out[job[1:4]] = o
            tick(f"step {job[1]} {job[2]} {job[3]}")
        initially: dict[tuple, str] = {}
        for job, status in init_batch.completed():
            initially[job[1:3]] = status
            tick(f"initial state {job[1]} lemma {job[2]}")

        def initial_check(keys) -> None:
            for key in keys:
                v, o, _ = key
                st, lemma = out[key], obligations[o].lemma
                if lemma and st.status == PROVED and not st.proved_by and initially.get((v, lemma)) != UNSAT:
                    st.status = "cti" if initially.get((v, lemma)) == SAT else UNKNOWN
                    st.detail.append(f"lemma '{lemma}' does not hold in the initial state")

        def providers(key: tuple, n: str) -> list:
            """The results that establish lemma `n` for step `key` (its operation's, or all)."""
            v, _, op = key
            return [(v, lemma_of[n], p) for p in ([op] if obligations[lemma_of[n]].per_operation else ops[v])]

        def first_lost(key: tuple, now: set) -> Optional[str]:
            o = key[1]
            if out[key].proved_by:  # proved under any: that fixpoint stands for it
                return None
            for n in obligations[o].needs:
                if n in out[key].without:
                    continue
                if any(p not in now for p in providers(key, n)):
                    return n
            return None

        def missing(key: tuple, now: set) -> tuple:
            """Every lemma `key` assumed that is not standing in `now`."""
            return tuple(n for n in obligations[key[1]].needs if n not in out[key].without and any(
                p not in now for p in providers(key, n)))

        def restorable(keys: list, sound: set) -> list:
            """The steps asked without lemmas the previous run lost (`estimates`) that are not
            proved so, and whose lemmas may stand in this run after all (each provider
            proved, or itself such a step): asked again with them, once, so the verdict
            is the one the whole question gives."""
            pending = {k for k in keys if out[k].status not in (PROVED, "certified")
                       and k in predicted and k not in restored}
            return [k for k in pending if any(all(p in sound or p in pending for p in providers(k, n))
                                              for n in out[k].without)]

        def ask(jobs: list) -> None:
            """Step jobs (key, without) run, or their answer reused when that question was asked."""
            fresh = []
            for job in jobs:
                known = asked.get((job[1:4], job[5]))
                if known is not None:
                    out[job[1:4]] = known
                else:
                    fresh.append(job)
            self.total += len(fresh)
            for job, o in self._steps(fresh).completed():
                dropped = ", ".join(f"'{n}'" for n in job[5])
                if dropped:
                    o.detail.append(f"asked again without lemma {dropped} (not proved for this version)")
                out[job[1:4]] = asked[(job[1:4], job[5])] = o
                tick(f"step {job[1]} {job[2]} {job[3]}" + (f" (without {dropped})" if dropped else ""))
            initial_check([j[1:4] for j in jobs])

        def settle(keys: list) -> set:
            """The fixpoint over `keys` (one version's keys all in or all out), and their
            searches submitted: what is neither proved nor settled by a committed trace.
            A step whose proof lost lemmas is asked again without them (`any` callers break
            lemmas the presets proofs lean on; a step that needs none of them is proved
            without a search), until none is lost anew."""
            initial_check(keys)
            for k in keys:
                if out[k].without:  # a first ask without the lemmas the previous run lost
                    predicted.add(k)
                    out[k].lost_before = True
                    asked[(k, out[k].without)] = out[k]
                    dropped = ", ".join(f"'{n}'" for n in out[k].without)
                    out[k].detail.append(f"asked without lemma {dropped} (its proof lost it in the "
                                         "previous run)")
            while True:
                sound, lost = standing((k for k in keys if out[k].status == PROVED), first_lost)
                again = [(self.module, *k, settings, out[k].without + missing(k, sound)) for k in lost
                         if out[k].certified is None]
                if not again:
                    back = restorable(keys, sound)
                    restored.update(back)
                    again = [(self.module, *k, settings, tuple(
                        n for n in out[k].without
                        if not all(p in sound or p in back for p in providers(k, n)))) for k in back]
                if not again:
                    break
                ask(again)
            for key, n in lost.items():
                out[key].detail.append(f"its step proof assumes lemma '{n}' ({lemma_of[n]}), "
                                       "not proved for this version")
            for k in keys:
                if out[k].certified is not None:
                    found[k] = out[k].certified
            mine = dict.fromkeys(k[0] for k in keys)
            open_ = {v: [(o, op) for o in steps for op in ops[v] if (v, o, op) not in sound
                         and (v, o, op) not in found] for v in mine}
            jobs = [(self.module, v, tuple(g), settings) for v, t in open_.items()
                    for g in groups(_machine(self.module, v, settings), t)]
            self.total += len(jobs)
            costs = [self.estimates.most((v, o, self.names[v][op]) for o, op in t) for _, v, t, _ in jobs]
            searches.append(self.pool.submit(_search_job, jobs, priority(SEARCH, self.rank), costs))
            return sound

        found: dict[tuple, Found] = {}
        searches: list = []
        #: the steps first asked without the lemmas the previous run lost, those asked again
        #: with them, and every (step, lemmas left out) question's answer
        predicted: set = set()
        restored: set = set()
        asked: dict[tuple, StepOutcome] = {}
        waiting = set(self.partner)
        sound = settle([k for k in out if k[0] not in waiting])
        given = {}
        for v, p in self.partner.items():
            for o in self.needed:
                if obligations[o].by_callers:
                    continue
                for op in ops[v]:
                    if (p, o, op) in sound:
                        proof = out[(p, o, op)]
                        given[(v, o, op)] = StepOutcome(
                            PROVED, 0.0, vacuity=proof.vacuity, proved_by=p,
                            detail=[f"proved under the any caller contract ({p}): that one-step "
                                    "proof serves presets too (every call presets callers make, "
                                    "any callers may make)"])
        out.update(given)
        later = [j for j in self.later if j[1:4] not in given]
        self.total += len(later)
        for job, o in self._steps(later).completed():
            out[job[1:4]] = o
            tick(f"step {job[1]} {job[2]} {job[3]}")
        sound |= settle([k for k in out if k[0] in waiting])
        for batch in searches:
            for job, fs in batch.completed():
                for (o, op), f in zip(job[2], fs):
                    found[(job[1], o, op)] = f
                tick(f"search {job[1]} ({len(job[2])} open)")
        results = []
        for v in versions:
            m = _machine(self.module, v, settings) if steps else None
            for o in self.wanted:
                if obligations[o].kind == "query":
                    results += [r for (qv, qo, _), r in sorted(queries.items(), key=lambda kv: kv[0][2])
                                if (qv, qo) == (v, o)]
                    continue
                for op in ops[v]:
                    results.append(_result(m, self.mod.ID, v, obligations[o], op, out[(v, o, op)],
                                           (v, o, op) in sound, found.get((v, o, op)), settings))
        return results


def _result(m: Machine, system: str, version: str, ob: StepObligation, op: str, o: StepOutcome,
            sound: bool, f: Optional[Found], settings: Settings) -> Result:
    base = dict(variant=version, invariant=ob.id, operation=m.operations[op], bounds=m.bounds(),
                solver=settings.solver, statement=ob.statement, where=ob.where, system=system)
    stated = {"assumptions": list(m.assumptions)} if getattr(m, "assumptions", ()) else {}
    if o.without:
        stated[estimates.ASKED_WITHOUT] = list(o.without)
    if f and not f.committed:  # the verdict rests on this run's search too
        stated["search_solver"] = settings.search_solver
    if sound and o.proved_by:
        return Result(verdict=PROVED, seconds=0.0, vacuity=o.vacuity, detail="; ".join(o.detail),
                      extra={**stated, callers.PROVED_UNDER: o.proved_by}, **base)
    if sound:
        assumed = [n for n in ob.needs if n not in o.without]
        lemmas = f"; assumes lemmas {', '.join(assumed)}" if assumed else ""
        again = (f" (asked without lemma {', '.join(o.without)}, which its proof lost in the previous run)"
                 if o.lost_before else
                 f" (asked again without lemma {', '.join(o.without)}, not proved for this version)") \
            if o.without else ""
        return Result(verdict=PROVED, seconds=o.seconds, vacuity=o.vacuity,
                      detail="one-step inductive" + lemmas + again, extra=stated, **base)
    secs = o.seconds + (f.seconds if f else 0.0)
    detail = "; ".join(o.detail)
    if f and f.status == FOUND:
        how = (f"the committed trace in {certificates.path(settings.certificates, f.source)}, replayed "
               + ("" if f.source == version else "on this version ")
               + "(no search ran: `--search-all` runs it)" if f.committed else "found by the search")
        by = {certificates.ESTABLISHED_BY: "committed trace" if f.committed else "search"}
        if f.committed and f.source != version:
            by[certificates.TRACE_OF] = f.source
        return Result(verdict=VIOLATED, seconds=secs, counterexample=f.decoded,
                      detail=_join(detail, f"trace of {f.depth} {m.unit} from the initial state, {how}"),
                      extra={**stated, "trace_steps": f.depth, "replay": f.trace.to_json(m), "operation_key": op,
                             **by}, **base)
    if o.status == UNKNOWN or (f and f.status == UNKNOWN):
        return Result(verdict=UNKNOWN, seconds=secs, detail=_join(detail, "solver answered unknown"),
                      extra=stated, **base)
    if o.cti_solver:  # the counterexample to the step is that solver's model (sat_first)
        stated["cti_solver"] = o.cti_solver
    why = (f"no trace from the initial state within {m.depth} {m.unit}; "
           + ("counterexample to the step attached" if o.cti else "the step proof lost its lemmas"))
    return Result(verdict=NOT_INDUCTIVE, seconds=secs, counterexample=o.cti,
                  detail=_join(detail, why), extra=stated, **base)


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
