"""Mutants of any registered system, decided by the engine like its versions.

The riscv-pt runner (`proofs/mutation.py`) knows that engine's step checks
and stops at a mutant's first kill.  For any other system (the p2m, the
fixmap, Arm's xen_pt_update) a mutant is judged the slow, general way: its
class is registered under the mutant's name in the system's `VERSIONS`
(in the worker process only), `run_system` decides every obligation, and each
result is compared with the base version's result for the same obligation
and member (operation, mode, level).
"""
from __future__ import annotations

from typing import Optional

from proofs import systems
from proofs.expectations import aggregate, compare, load_expectations, member_label
from proofs.engine.result import UNKNOWN, Result


def _key(r: Result) -> str:
    return f"{r.invariant}|{member_label(r)}"


def control_results(system_id: str, base: str, settings, obligations: Optional[list[str]],
                    expectations: str) -> tuple[dict, dict, list[str]]:
    """(verdicts, seconds, mismatches with the expectations) of the base version."""
    s = systems.system(system_id)
    obs = [o for o in (obligations or list(s.obligations)) if o in s.obligations]
    results = s.run([base], obs, settings)
    diffs = compare(aggregate(results), load_expectations(expectations), [(base, o) for o in obs])
    return ({_key(r): r.verdict for r in results}, {_key(r): r.seconds for r in results},
            [f"{d.variant} {d.invariant}: {d.message}" for d in diffs])


def mutant_results(mutant, settings, obligations: list[str]) -> list[Result]:
    """The mutant's results, with its class registered for the duration of the run."""
    s = systems.system(mutant.system)
    table = s.variants
    table[mutant.id] = mutant.model_class()
    try:
        return s.run([mutant.id], obligations, settings)
    finally:
        del table[mutant.id]


def first_difference(results: list[Result], verdicts: dict, obligations: dict
                     ) -> tuple[Optional[str], str, list[str]]:
    """(the first differing key or None, how, keys left undecided), informative obligations last."""
    informative = lambda r: bool(getattr(obligations.get(r.invariant), "informative", False))  # noqa: E731
    unknown = []
    for r in sorted(results, key=informative):
        base_v = verdicts.get(_key(r))
        if r.verdict == UNKNOWN or base_v == UNKNOWN:
            unknown.append(_key(r))
        elif base_v is not None and r.verdict != base_v:
            return _key(r), f"{r.verdict}, base {base_v}" + (f" ({r.detail})" if r.detail else ""), unknown
    return None, "", unknown
