"""Deciding a refinement obligation claim by claim, and replaying a counterexample.

For each claim the solver looks for inputs (and a pre-state memory) satisfying the
obligation's assumptions where the claim fails.  unsat: proved.  sat: the inputs
and the memory cells the two executions read are decoded, the obligation is built
again on those concrete values (the lifted C and the model both run concretely),
and the replay must show the same claim failing before the counterexample is
reported, with both sides' outputs.
"""
from __future__ import annotations

import time
from typing import Optional, Sequence

from model.memory import Memory
from model.term import Bool, Word, all_of, evaluate, sym_bool, sym_word
from proofs.refine.obligations import Built, Obligation
from proofs.engine.result import PROVED, UNKNOWN, VIOLATED, Result
from proofs.engine.solver import SAT, UNSAT, Incremental, check

INVARIANT = "refines"


def symbolic_inputs(spec: dict) -> dict:
    return {k: (sym_bool(f"refine.{k}") if w == 0 else sym_word(f"refine.{k}.{w}", w)) for k, w in spec.items()}


def shown(v) -> str:
    """A concrete executor or model value for a person."""
    if isinstance(v, Bool):
        return str(bool(v))
    if isinstance(v, Word):
        x = int(v)
        signed = x - (1 << v.width) if v.width == 32 and x >> (v.width - 1) else x  # return codes
        return str(signed) if -4096 < signed < 4096 else f"{x:#x}"
    if v is None:
        return "-"
    if hasattr(v, "region"):
        return f"frame {shown(v.base)} + {shown(v.off)}" if v.region == "frame" else v.region
    return str(v)


def decode(spec: dict, inputs: dict, mem: Memory, model) -> tuple[dict, dict]:
    values = {k: evaluate(inputs[k], model) for k in spec}
    return values, mem.cells_read(model)


def replay(setup, ob: Obligation, values: dict, cells: dict) -> Built:
    mem = Memory(cells={k: v for k, v in cells.items() if v})
    return ob.build(setup, values, mem)


MINIMIZE_SECONDS = 5.0  # budget for zeroing a counterexample's inputs


def smallest(formula: Bool, inputs: dict, solver: str, timeout_ms: int, first: object) -> object:
    """A model of `formula` with as many inputs 0 or 1 (or false) as the budget finds, input
    by input in order: the counterexample a person reads first.  `first`: the model found."""
    inc = Incremental(solver, timeout_ms)
    try:
        inc.add(formula.node())
        t0, model = time.monotonic(), first
        for v in inputs.values():
            for small in ([~v] if isinstance(v, Bool) else [v == 0, v == 1]):
                if time.monotonic() - t0 > MINIMIZE_SECONDS:
                    return model
                ans = inc.check_with(small.node())
                if ans.status == SAT:
                    inc.add(small.node())
                    model = ans.model
                    break
        return model
    finally:
        inc.close()


def prove(setup, ob: Obligation, solver: str = "z3", timeout_ms: int = 60_000,
          rlimit: Optional[int] = None, minimize: bool = False, drop: Sequence[str] = ()) -> Result:
    """Every claim of `ob` decided; `minimize`: counterexamples with inputs zeroed where possible;
    `drop`: assumptions (by their text) left out, to see what each one carries."""
    t0 = time.monotonic()
    inputs = symbolic_inputs(ob.inputs)
    mem = Memory.arbitrary("refine.mem")
    built = ob.build(setup, inputs, mem)
    built.assumptions = [(c, w) for c, w in built.assumptions if w not in drop]
    lift_s = time.monotonic() - t0
    assume = all_of(c for c, _ in built.assumptions)
    claims, verdict, cex, detail = [], PROVED, None, ""
    # all claims in one query first; if that finds a difference, a fresh query per claim
    # (measured faster than one incremental solver: z3 keeps what it learnt on one claim
    # and is slowed by it on the next, `left` 1 s -> 120 s)
    def ask(f: Bool) -> tuple:
        t = time.monotonic()
        return check(f.node(), solver, timeout_ms, rlimit), time.monotonic() - t
    together, together_s = ask(assume & ~all_of(c.holds for c in built.claims)) if ob.together else (None, 0.0)
    if together is not None and together.status == UNSAT:  # every claim at once (measured 40% faster than one by one)
        claims = [{"claim": c.name, "verdict": PROVED, "seconds": 0.0, "together": True} for c in built.claims]
    for claim in built.claims if together is None or together.status != UNSAT else ():
        ans, secs = ask(assume & ~claim.holds)
        if minimize and ans.status == SAT and cex is None:
            ans.model = smallest(assume & ~claim.holds, inputs, solver, timeout_ms, ans.model)
        verdict, cex, detail = decide(setup, ob, (ans, secs), claim, inputs, mem, claims,
                                      verdict, cex, detail)
    vac = ask(assume)[0]
    bounds = {**setup.bounds(), **ob.bounds}
    why = sorted({w for _, w in built.assumptions})
    return Result(variant=setup.version, invariant=ob.invariant, operation=ob.operation, verdict=verdict,
                  bounds=bounds, solver=solver, seconds=time.monotonic() - t0, statement=ob.statement,
                  where=ob.where,
                  vacuity=None if vac.status not in (SAT, UNSAT) else vac.status == SAT,
                  counterexample=cex, detail=detail,
                  extra={"claims": claims, "assumptions": why, "lift_seconds": round(lift_s, 4),
                         "claims_together_seconds": round(together_s, 4)})


def decide(setup, ob: Obligation, timed: tuple, claim, inputs: dict, mem: Memory, claims: list,
           verdict: str, cex, detail: str):
    """One claim's answer: proved, or a counterexample replayed (the first reproduced one is kept)."""
    ans, seconds = timed
    entry = {"claim": claim.name, "seconds": round(seconds, 4)}
    if ans.status == UNSAT:
        entry["verdict"] = PROVED
    elif ans.status == SAT:
        found, why, reproduced = counterexample(setup, ob, inputs, mem, ans.model, claim.name)
        entry["verdict"] = VIOLATED if reproduced else UNKNOWN
        if cex is None or (reproduced and verdict != VIOLATED):
            cex, detail = found, why
        verdict = VIOLATED if reproduced else (verdict if verdict == VIOLATED else UNKNOWN)
    else:
        entry["verdict"] = UNKNOWN
        if verdict == PROVED:
            verdict = UNKNOWN
    claims.append(entry)
    return verdict, cex, detail


def counterexample(setup, ob: Obligation, inputs: dict, mem: Memory, model,
                   claim: str) -> tuple[dict, str, bool]:
    values, cells = decode(ob.inputs, inputs, mem, model)
    again = replay(setup, ob, values, cells)
    failing = [c.name for c in again.claims if c.holds.is_concrete and not c.holds.v]
    out = {"claim": claim,
           "inputs": {k: shown(v) for k, v in values.items()},
           "memory": {f"{f:#x}[{i}]": f"{v:#018x}" for (f, i), v in sorted(cells.items())},
           "replay": {"failing_claims": failing,
                      "outputs": {k: {"C": shown(c), "model": shown(m)} for k, (c, m) in again.show.items()}}}
    if ob.call_of is not None and hasattr(setup, "lifted"):
        from proofs.refine.harness_replay import replay_call
        out["whole_call"] = replay_call(setup, *ob.call_of(values))
    if claim in failing:
        return out, f"{claim} differs (replayed concretely on the lifted C and the model)", True
    return out, f"{claim} differs symbolically, but the concrete replay does not reproduce it", False
