"""`make mutants`: run the proof suite on every mutant and say which obligation killed it.

A mutant (proofs/systems/*/mutants.py) is a base version with one function overridden.
It is killed when one of its verdicts differs from the base version's, at the
granularity the engine decides them: per (obligation, operation) for the state
machine, per (obligation, mode, level) for the encoding checks.

1. Control: the base version itself is run first.  Its verdicts must match
   `proofs/expectations.json` (else nothing can be judged), and its timings
   order the checks for the mutants, cheapest first.
2. Each mutant stops at its first kill:
   * an encoding verdict that differs from the base's;
   * a step obligation the base proves (its step check unsat, with a vacuity
     witness, and every lemma it assumes proved) that the mutant does not:
     a counterexample to the step, no vacuity witness, or a lost lemma;
   * a step obligation the base does not prove that the mutant proves.
   This is exact for `proved`; telling `violated` from `not-inductive` needs
   BMC, which `--trace DEPTH` runs for each kill to say whether it has a real
   trace from the initial state.  A solver unknown is never a kill.
Mutants run in parallel (`--jobs`); exit 0 when every survivor is one the
catalogue explains, 1 otherwise (or when the control does not match), 3 on
an unknown.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from model.riscv.machine import OP_IDS
from proofs.systems.riscv_pt.versions import VERSIONS as VARIANTS
from proofs.systems.encodings import theorem as encodings
from proofs import mutation_system, systems
from proofs.engine import Settings
from proofs.engine.search import search
from proofs.engine.step import step_check
from proofs.systems.riscv_pt.machine import RiscvPtMachine, bounds, geometry
from proofs.systems.riscv_pt.theorem import OBLIGATIONS
from proofs.errors import EXIT_MISMATCH, EXIT_OK, EXIT_SOLVER, PtproveError
from proofs.expectations import load_expectations
from proofs.mutant import Mutant, select
from proofs.engine.result import PROVED

EXPECTATIONS = str(Path(__file__).with_name("expectations.json"))
FAST_SYSTEM = "riscv-pt"  # judged here, step by step; other systems through their run_system
Key = tuple[str, str]  # (obligation, operation) or (enc obligation, "mode/level")


def closure(key: Key) -> list[Key]:
    """The step checks a proof of `key` rests on: itself and, transitively,
    the lemma obligations it assumes (the engine's greatest fixpoint, read as
    reachability: proved iff every step check in the closure is proved)."""
    out, todo = [], [key]
    while todo:
        k = todo.pop()
        if k in out:
            continue
        out.append(k)
        oid, op = k
        for lemma in OBLIGATIONS[oid].needs:
            provider = next(o for o in OBLIGATIONS.values() if o.lemma == lemma)
            ops = [op] if provider.per_operation else list(OP_IDS)
            todo += [(provider.id, o) for o in ops]
    return out


@dataclass
class Check:
    """One decided check: a step (status proved/cti/unknown) or an encoding verdict."""

    status: str
    vacuity: Optional[bool]
    seconds: float


class Judge:
    """Decides checks for one model class, each at most once."""

    def __init__(self, cls: type, settings: Settings):
        self.variant = cls(geometry(settings))
        self.machine = RiscvPtMachine(self.variant, settings.depth, settings)
        self.cls, self.settings = cls, settings
        self.done: dict[Key, Check] = {}

    def check(self, key: Key) -> Check:
        if key not in self.done:
            s = self.settings
            oid, where = key
            if oid in OBLIGATIONS:
                out = step_check(self.machine, OBLIGATIONS[oid], where, s.solver, s.timeout_ms,
                                 s.rlimit)
                self.done[key] = Check(out.status, out.vacuity, out.seconds)
            else:
                mode, level = where.split("/")
                ob = next(o for o in encodings.OBLIGATIONS if o.id == oid)
                subject = encodings.riscv_subject(self.cls(), encodings.rv.MODES[mode], int(level))
                t0 = time.perf_counter()
                verdict, _, _, _, vacuity = encodings.check_obligation(ob, subject, s.solver,
                                                                       s.timeout_ms, s.rlimit)
                self.done[key] = Check(verdict, vacuity, time.perf_counter() - t0)
        return self.done[key]

    def step_proved(self, key: Key) -> Optional[bool]:
        """Step check unsat with a witness (None: unknown)."""
        c = self.check(key)
        return None if c.status == "unknown" else (c.status == PROVED and c.vacuity is True)

    def proved(self, key: Key) -> Optional[bool]:
        """The engine's verdict on `key` is `proved` (None: some check was unknown)."""
        answers = [self.step_proved(k) for k in closure(key)]
        return False if False in answers else (None if None in answers else True)

    def verdict(self, key: Key) -> Optional[str]:
        """Comparable verdict: encodings as reported, steps as proved / not-proved."""
        if key[0] not in OBLIGATIONS:
            c = self.check(key)
            return None if c.status == "unknown" else c.status
        p = self.proved(key)
        return None if p is None else ("proved" if p else "not-proved")


def keys(obligations: Optional[Iterable[str]] = None) -> list[Key]:
    """Every check, or those of the named obligations (their lemmas are still
    checked where a proof assumes them)."""
    wanted = set(obligations) if obligations else None
    enc = [(ob.id, f"{m}/{lvl}") for ob in encodings.OBLIGATIONS for m in encodings.DEFAULT_MODES
           for lvl in range(encodings.rv.MODES[m].levels)]
    out = enc + [(oid, op) for oid in OBLIGATIONS for op in OP_IDS]
    return [k for k in out if wanted is None or k[0] in wanted]


def all_obligation_ids() -> list[str]:
    return list(dict.fromkeys(k[0] for k in keys()))


# ---------------------------------------------------------------------------
# control

@dataclass
class Control:
    base: str
    verdicts: dict  # "oid|where" -> verdict
    seconds: dict  # "oid|where" -> seconds of the check itself
    mismatches: list = field(default_factory=list)
    system: str = FAST_SYSTEM


def _k(key: Key) -> str:
    return "|".join(key)


def run_control(base: str, settings: Settings, obligations: Optional[list[str]] = None,
                expectations: str = EXPECTATIONS, system: str = FAST_SYSTEM) -> Control:
    """The base version's verdicts, checked against the expectations file."""
    if system != FAST_SYSTEM:
        return Control(base, *mutation_system.control_results(system, base, settings, obligations,
                                                              expectations), system=system)
    j = Judge(VARIANTS[base], settings)
    verdicts = {_k(k): j.verdict(k) for k in keys(obligations)}
    ctl = Control(base, verdicts, {_k(k): c.seconds for k, c in j.done.items()})
    exp = load_expectations(expectations)
    for oid in dict.fromkeys(k[0] for k in keys(obligations)):
        e = exp.get(base, oid)
        mine = [v for k, v in verdicts.items() if k.split("|")[0] == oid]
        if None in mine:
            ctl.mismatches.append(f"{base} {oid}: unknown in the control run")
        elif e is not None and (e.verdict == PROVED) != all(v == PROVED for v in mine):
            ctl.mismatches.append(f"{base} {oid}: expected {e.verdict}, control gives "
                                  f"{'proved' if all(v == PROVED for v in mine) else 'not proved'}")
    return ctl


# ---------------------------------------------------------------------------
# one mutant

@dataclass
class Outcome:
    mutant: str
    base: str
    mutation: str
    function: str
    what: str
    status: str  # killed / survived / unknown
    killed_by: str = ""  # "obligation operation"
    how: str = ""
    checks: int = 0
    seconds: float = 0.0
    survives: str = ""  # the catalogue's reason, for a survivor
    trace: str = ""  # --trace: what BMC found for the kill


def judge(mutant_id: str, control: Control, settings: Settings, trace_depth: int = 0) -> Outcome:
    """Run one mutant's checks to its first kill, cheapest first (the control's timings),
    obligations before informative ones.

    Phase 1: the encoding checks, and every step the base's proofs rest on (a
    proved key and the lemma steps it assumes): a step that fails is a kill on
    its own, since the base proves it.  Phase 2: the keys the base does not
    prove, whose verdict (with their lemmas) the mutant might turn to proved."""
    m = select([mutant_id])[0]
    t0 = time.perf_counter()
    out = Outcome(m.id, m.base, m.mutation.id, m.mutation.function, m.mutation.what, "survived",
                  survives=m.survives)
    if m.system != FAST_SYSTEM:
        return _judge_by_system(m, control, settings, out, t0)
    j = Judge(m.model_class(), settings)
    listed = [k for k in keys() if _k(k) in control.verdicts]
    resting = {d for k in listed if k[0] in OBLIGATIONS and control.verdicts[_k(k)] == PROVED
               for d in closure(k)}
    informative = {oid for oid, ob in OBLIGATIONS.items() if ob.informative}

    def order(ks: Iterable[Key]) -> list[Key]:
        return sorted(ks, key=lambda k: (k[0] in informative,
                                         sum(control.seconds.get(_k(d), 0.0) for d in _deps(k))))

    phase1 = order([k for k in listed if k[0] not in OBLIGATIONS] + list(resting))
    phase2 = order(k for k in listed if k[0] in OBLIGATIONS and k not in resting)
    unknown = []
    for key in phase1 + phase2:
        if key in resting:  # the base proves this step: the mutant's step alone must be proved
            base_v, ok = PROVED, j.step_proved(key)
            mine = None if ok is None else (PROVED if ok else "not-proved")
        else:
            base_v, mine = control.verdicts[_k(key)], j.verdict(key)
        if mine is None:
            unknown.append(key)
        elif mine != base_v:
            out.status, out.killed_by = "killed", " ".join(key)
            out.how = _how(j, key, base_v, mine) + ("" if key in listed else " (a lemma the proofs assume)")
            if key[0] in informative:
                out.how += " [informative obligation only]"
            if trace_depth and key[0] in OBLIGATIONS:
                out.trace = _trace(j, key, trace_depth, settings)
            break
    if out.status == "survived" and unknown:
        out.status, out.how = "unknown", "undecided: " + ", ".join(" ".join(k) for k in unknown)
    out.checks, out.seconds = len(j.done), time.perf_counter() - t0
    return out


def _judge_by_system(m: Mutant, control: Control, settings: Settings, out: Outcome, t0: float) -> Outcome:
    obligations = list(dict.fromkeys(k.split("|")[0] for k in control.verdicts))
    results = mutation_system.mutant_results(m, settings, obligations)
    key, how, unknown = mutation_system.first_difference(results, control.verdicts,
                                                         systems.system(m.system).obligations)
    if key:
        out.status, out.killed_by, out.how = "killed", key.replace("|", " "), how
    elif unknown:
        out.status, out.how = "unknown", "undecided: " + ", ".join(unknown)
    out.checks, out.seconds = len(results), time.perf_counter() - t0
    return out


def _deps(key: Key) -> list[Key]:
    return closure(key) if key[0] in OBLIGATIONS else [key]


def _how(j: Judge, key: Key, base_v: str, mine: str) -> str:
    if key[0] not in OBLIGATIONS:
        return f"encoding check {mine}, base {base_v}"
    if mine == "proved":
        return "proved, where the base version is not"
    c = j.check(key)
    if c.status == "cti":
        return "counterexample to the step"
    if c.status == PROVED and c.vacuity is not True:
        return "proved without a vacuity witness"
    lost = next(k for k in closure(key) if j.step_proved(k) is False)
    return f"assumes lemma {lost[0]} ({lost[1]}), which the mutant breaks"


def _trace(j: Judge, key: Key, depth: int, s: Settings) -> str:
    oid, op = key
    r, = search(j.machine, [(OBLIGATIONS[oid], op)], depth, s.search_solver, s.timeout_ms, s.rlimit)
    if r.status == "violated":
        calls = ", ".join(c["call"] for c in r.decoded.get("calls", [])) if r.decoded else ""
        return f"violated: {r.depth}-step trace from the initial state ({calls})"
    return f"{r.status}: no trace within {depth} steps" if r.status == "clean" else "unknown"


# ---------------------------------------------------------------------------
# the run

def run(mutants: list[Mutant], settings: Settings, jobs: int, trace_depth: int = 0,
        obligations: Optional[list[str]] = None, progress=None) -> tuple[list[Control], list[Outcome]]:
    progress = progress or (lambda line: print(line, flush=True))
    bases = list(dict.fromkeys((m.system, m.base) for m in mutants))
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        controls = [f.result() for f in [pool.submit(run_control, b, settings, obligations, EXPECTATIONS, sid)
                                         for sid, b in bases]]
        for c in controls:
            progress(f"control {c.base}: {len(c.verdicts)} checks, "
                     f"{sum(c.seconds.values()):.1f} s" + ("" if not c.mismatches else
                                                          ", MISMATCH: " + "; ".join(c.mismatches)))
        if any(c.mismatches for c in controls):
            return controls, []
        by_base = {(c.system, c.base): c for c in controls}
        futures = [pool.submit(judge, m.id, by_base[(m.system, m.base)], settings, trace_depth)
                   for m in mutants]
        for f in as_completed(futures):
            progress(_line(f.result()))
        outcomes = [f.result() for f in futures]  # catalogue order
    return controls, outcomes


def _line(o: Outcome) -> str:
    if o.status == "killed":
        tail = f"by {o.killed_by}: {o.how}" + (f"; {o.trace}" if o.trace else "")
    elif o.status == "survived":
        tail = o.survives or "UNEXPLAINED: no invariant tells it apart"
    else:
        tail = o.how
    return f"{o.status:8} {o.mutant:58} {o.seconds:6.1f} s  {tail}"


def summary(outcomes: list[Outcome]) -> dict:
    killed = [o for o in outcomes if o.status == "killed"]
    survivors = [o for o in outcomes if o.status == "survived"]
    return {
        "mutants": len(outcomes),
        "killed": len(killed),
        "survived": len(survivors),
        "unknown": sum(o.status == "unknown" for o in outcomes),
        "explained_survivors": sum(bool(o.survives) for o in survivors),
        "unexplained_survivors": [o.mutant for o in survivors if not o.survives],
        "killed_but_listed_as_survivor": [o.mutant for o in killed if o.survives],
        "score": f"{len(killed)}/{len(outcomes)}",
    }


def exit_code(controls: list[Control], outcomes: list[Outcome]) -> int:
    s = summary(outcomes)
    if any(c.mismatches for c in controls) or s["unexplained_survivors"] or s["killed_but_listed_as_survivor"]:
        return EXIT_MISMATCH
    return EXIT_SOLVER if s["unknown"] else EXIT_OK


def main(argv: Optional[Iterable[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proofs.mutation",
                                 description="mutation testing of the proof suite")
    ap.add_argument("mutants", nargs="*", help="mutant ids (base~mutation) or mutation ids; default all")
    ap.add_argument("--base", action="append", help="only mutants of this version (repeatable)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("MUTANT_JOBS", os.cpu_count() or 1)))
    ap.add_argument("--trace", type=int, default=int(os.environ.get("MUTANT_TRACE", 0)), metavar="DEPTH",
                    help="also search a trace (BMC, DEPTH steps) for each kill")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per solver query")
    ap.add_argument("--obligation", action="append", metavar="ID",
                    help="judge only these obligations (repeatable; default all)")
    ap.add_argument("--json", default="build/mutants.json")
    ap.add_argument("--list", action="store_true", help="print the catalogue and exit")
    args = ap.parse_args(list(argv) if argv is not None else None)
    try:
        ids = args.mutants or [x for x in os.environ.get("MUTANTS", "").split(",") if x]
        mutants = select(ids, args.base)
        if args.list:
            for m in mutants:
                print(f"{m.id:58} {m.mutation.function:22} {m.mutation.what}")
            return EXIT_OK
        if args.jobs < 1 or args.trace < 0:
            raise PtproveError("--jobs must be at least 1 and --trace at least 0")
        bad = [o for o in args.obligation or [] if o not in all_obligation_ids()]
        if bad:
            raise PtproveError(f"unknown obligation {bad[0]!r} (known: {', '.join(all_obligation_ids())})")
        settings = Settings(timeout_ms=args.timeout * 1000, jobs=1)
        t0 = time.perf_counter()
        controls, outcomes = run(mutants, settings, args.jobs, args.trace, args.obligation)
    except PtproveError as e:
        print(f"ptprove mutants: {e}", file=sys.stderr)
        return e.status
    s = summary(outcomes)
    s["seconds"] = round(time.perf_counter() - t0, 1)
    s["jobs"] = args.jobs
    print(f"\nscore: {s['killed']} of {s['mutants']} mutants killed, {s['survived']} survived "
          f"({s['explained_survivors']} explained), {s['unknown']} unknown; {s['seconds']} s, "
          f"{args.jobs} jobs; bounds {settings.mode}, pool {settings.pool}, z3")
    survivors = [o for o in outcomes if o.status == "survived"]
    if survivors:
        print("survivors:")
        for o in survivors:
            print(f"  {o.mutant}: {o.what} -- {o.survives or 'UNEXPLAINED'}")
    for name in s["killed_but_listed_as_survivor"]:
        print(f"  {name}: killed, but the catalogue says it survives: update its reason")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"summary": s, "bounds": bounds(settings),
                                           "controls": [asdict(c) for c in controls],
                                           "outcomes": [asdict(o) for o in outcomes]}, indent=2))
    return exit_code(controls, outcomes)


if __name__ == "__main__":
    sys.exit(main())
