"""What the engine decides: step obligations and single queries.

A `StepObligation` is an invariant of one atomic step of a machine, seen
through the machine's view at a witness address; it is decided by a one-step
check assuming lemmas, the greatest fixpoint of those lemmas, and bounded
model checking from the initial state.  A `Query` is a claim decided by one
solver question per member (an encoding at a mode and level, a layout fact,
a superpage split): unsat is a proof, sat a concrete value that breaks it.

`where` is read off the statement itself: the file and line of the function
that states it (`cites`, or `holds` when it is the statement).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from model.term import Bool

ROOT = Path(__file__).resolve().parents[2]


def where(fn: Callable) -> str:
    """`path:line` of a function, relative to the repository."""
    fn = inspect.unwrap(fn)
    path = Path(inspect.getsourcefile(fn) or "?").resolve()
    try:
        shown = path.relative_to(ROOT).as_posix()
    except ValueError:
        shown = path.name
    return f"{shown}:{inspect.getsourcelines(fn)[1]}"


@dataclass(frozen=True)
class StepObligation:
    """`holds(view)` must be true of every step a contract-abiding call takes.

    `needs` names the lemmas its step proof assumes of the pre-state; `lemma`
    is the lemma this obligation establishes (its proof is the lemma's).  A
    lemma with `per_operation` is about the call in progress: a step of a call
    to `op` assumes it for `op` only, and its obligation for `op` proves it.
    With `by_case`, the step query is asked once per case of the machine's
    `cases` (which cover every pre-state and call) instead of once whole: the
    same claim, which z3 decides far faster case by case for some obligations
    (`make bench` shows which).  With `sat_first`, the step query is first
    asked of the search solver (Bitwuzla), which finds the counterexample to the
    step of some obligations far faster than z3: its sat answer is a
    counterexample to the step, replayed concretely like z3's; any other answer
    leaves the query to the run's solver, as without it (so no proof rests on
    it).  For obligations whose step has a counterexample in every version (else
    a proof pays for the first ask).  With `by_callers`, the statement itself
    depends on the caller contract (a lemma restating it): its proof under
    `any` is not one under `presets` (`proofs/engine/callers.py`)."""

    id: str
    statement: str
    holds: Callable[[Any], Bool]
    needs: tuple[str, ...] = ()
    lemma: Optional[str] = None
    per_operation: bool = False
    informative: bool = False
    cites: Optional[Callable] = None  # the function that states it, if not `holds`
    by_case: bool = False
    by_callers: bool = False
    sat_first: bool = False

    kind = "step"

    @property
    def where(self) -> str:
        return where(self.cites or self.holds)


@dataclass
class Member:
    """One solver question of a query: `domain & ~claim` over free values.

    `decide(check)` turns the answer into (verdict, counterexample, detail,
    extra, vacuity); `check(formula)` is the run's solver.  A counterexample is
    re-evaluated concretely there before it is returned."""

    operation: str
    bounds: dict
    formula: Callable[[], tuple[Bool, Bool]]  # (domain, claim)
    decide: Callable[[Callable], tuple]
    statement: Optional[str] = None  # the query's statement as this member reads it
    name: Optional[str] = None  # a file name for it (export); the operation by default


@dataclass(frozen=True)
class Query:
    """A claim decided by one solver question per member."""

    id: str
    statement: str
    members: Callable[[Any, Any], list[Member]]  # (version's model, settings) -> members
    informative: bool = False
    cites: Optional[Callable] = None

    kind = "query"

    @property
    def where(self) -> str:
        return where(self.cites or self.members)
