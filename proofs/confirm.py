"""`ptprove prove --confirm cvc5`: a second opinion on the engine's verdicts.

A proved state-machine result's step query must be unsat and its vacuity query
sat for the second solver too; a violated result's trace must break the
invariant again when replayed concretely.
"""
from __future__ import annotations

from typing import Iterable

from model.riscv.machine import OP_IDS, OPS
from pysmt.fnode import FNode
from proofs.engine import OBLIGATIONS, Settings
from proofs.errors import SolverError
from proofs.induction import step_query
from proofs.lemmas import NEEDS
from proofs.result import PROVED, VIOLATED, Result
from proofs.solver import SAT, UNSAT, available, check
from proofs.trace import ReplayError, Trace, replay

#: "map_pages_to_xen (...)" -> "map": results name the entry point, queries the op id
OP_OF_OPERATION = {OPS[OP_IDS[k]]: k for k in OP_IDS}


def step_formulas(variant: str, invariant: str, op: str, settings: Settings) -> tuple[FNode, FNode]:
    """(step query, vacuity query) of one state-machine obligation, as pysmt formulas."""
    assumptions, violation, _ = step_query(settings.variant(variant), OBLIGATIONS[invariant],
                                           OP_IDS[op], NEEDS[invariant])
    return (assumptions & violation).node(), assumptions.node()


def confirm(results: Iterable[Result], solver: str, settings: Settings) -> list[str]:
    """One line per disagreement between `results` and the second opinion."""
    if not available(solver):
        raise SolverError(f"solver {solver!r} is not installed (pip install {solver}); cannot confirm")
    out = []
    for r in results:
        if r.operation not in OP_OF_OPERATION or r.invariant not in OBLIGATIONS:
            continue  # encoding obligations: not re-checked
        name = f"{r.variant} {r.invariant} {r.operation}"
        if r.verdict == PROVED:
            step, vacuity = step_formulas(r.variant, r.invariant, OP_OF_OPERATION[r.operation], settings)
            for what, formula, want in (("step query", step, UNSAT), ("vacuity query", vacuity, SAT)):
                got = check(formula, solver, settings.timeout_ms).status
                if got != want:
                    out.append(f"DISAGREEMENT: {name}: {solver} answers {got} on the {what} "
                               f"(expected {want})")
        elif r.verdict == VIOLATED and "replay" in r.extra:
            try:
                replay(settings.variant(r.variant), OBLIGATIONS[r.invariant],
                       Trace.from_json(r.extra["replay"]))
            except ReplayError as e:
                out.append(f"DISAGREEMENT: {name}: the trace does not replay ({e})")
    return out
