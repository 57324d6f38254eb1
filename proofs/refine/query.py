"""The `refines` query obligation of a system: one member per refinement unit.

Each unit (`proofs.refine.obligations.Obligation`) of a version's lifted C becomes
a `Member` whose result is the claim-by-claim decision of `proofs.refine.check`
(bounds naming the C file, its sha256, the compiler and the target; assumptions in
`extra.assumptions`; a difference decoded and replayed on both sides).  riscv-pt
and p2m share this; each system says only where a version's C is and how its
units are built.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from typing import Callable

from model.term import all_of
from proofs.engine.obligation import Member, Query
from proofs.engine.settings import Settings

STATEMENT = ("the version's C, lifted from LLVM IR, does what its model does, unit by unit "
             "(every output a claim)")


def member(setup, ob, settings: Settings) -> Member:
    """One unit of `setup` (a riscv-pt or p2m setup) as a query member."""
    from model.memory import Memory
    from proofs.refine.check import prove, symbolic_inputs

    def formula():
        built = ob.build(setup, symbolic_inputs(ob.inputs), Memory.arbitrary("refine.mem"))
        return (all_of(c for c, _ in built.assumptions), all_of(c.holds for c in built.claims))

    def decide(ask) -> tuple:
        r = prove(setup, ob, settings.solver, settings.timeout_ms, settings.rlimit)
        return r.verdict, r.counterexample, r.detail, r.extra, r.vacuity

    return Member(ob.operation, {**setup.bounds(), **ob.bounds}, formula, decide,
                  statement=ob.statement, name=ob.operation.replace(" ", "-").replace("/", "-"))


@lru_cache(maxsize=None)
def say_missing(version: str, why: str) -> None:
    """One line, once per process: this version has no C to refine."""
    print(f"ptprove: refines: {why}: nothing refined", file=sys.stderr)


def refines_query(members: Callable) -> Query:
    """The system's `refines` obligation; `members(cls, settings)` lists its units."""
    return Query("refines", STATEMENT, members)
