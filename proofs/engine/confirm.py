"""`ptprove prove --confirm cvc5`: a second opinion on the engine's verdicts.

A proved step result's step query must be unsat and its vacuity query sat for
the second solver too; a proved query member's `domain & ~claim` unsat and its
domain sat; a violated step result's trace must break the obligation again
when replayed concretely, and a violated query's formula must be sat.
"""
from __future__ import annotations

from typing import Iterable

from proofs.engine.decide import _machine, members, system_module
from proofs.engine.result import PROVED, VIOLATED, Result
from proofs.engine.search import Trace, replay
from proofs.engine.settings import Settings
from proofs.engine.solver import SAT, UNSAT, available, check
from proofs.engine.step import ReplayError, step_query
from proofs.errors import SolverError


def _formulas(module: str, r: Result, settings: Settings) -> list[tuple[str, object, str]]:
    """(what, formula, the answer a proof needs) for one result."""
    mod = system_module(module)
    ob = mod.OBLIGATIONS[r.invariant]
    if ob.kind == "query":
        mem = next(x for x in members(mod, r.variant, ob, settings)
                   if x.operation == r.operation and x.bounds == r.bounds)
        domain, claim = mem.formula()
        if r.verdict == VIOLATED:
            return [("query", (domain & ~claim).node(), SAT)]
        return [("query", (domain & ~claim).node(), UNSAT), ("domain", domain.node(), SAT)]
    m = _machine(module, r.variant, settings)
    op = next(k for k, name in m.operations.items() if name == r.operation)
    q = step_query(m, ob, op)
    return [("step query", (q.assumptions & q.violation).node(), UNSAT),
            ("vacuity query", q.assumptions.node(), SAT)]


def confirm(results: Iterable[Result], solver: str, settings: Settings,
            modules: dict[str, str]) -> list[str]:
    """One line per disagreement between `results` and the second opinion;
    `modules` maps a result's system id to its package."""
    if not available(solver):
        raise SolverError(f"solver {solver!r} is not installed (pip install {solver}); cannot confirm")
    out = []
    for r in results:
        module = modules[r.system]
        name = f"{r.variant} {r.invariant} {r.operation}"
        kind = system_module(module).OBLIGATIONS[r.invariant].kind
        if r.verdict == VIOLATED and kind == "step":
            m = _machine(module, r.variant, settings)
            try:
                replay(m, system_module(module).OBLIGATIONS[r.invariant],
                       Trace.from_json(m, r.extra["replay"]))
            except ReplayError as e:
                out.append(f"DISAGREEMENT: {name}: the trace does not replay ({e})")
            continue
        if r.verdict not in (PROVED, VIOLATED):
            continue
        for what, formula, want in _formulas(module, r, settings):
            got = check(formula, solver, settings.timeout_ms).status
            if got != want:
                out.append(f"DISAGREEMENT: {name}: {solver} answers {got} on the {what} "
                           f"(expected {want})")
    return out
