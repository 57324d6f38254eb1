"""Running a query: one place that knows solver names, timeouts and 'unknown'."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from pysmt import shortcuts as S
from pysmt.exceptions import PysmtException, SolverReturnedUnknownResultError
from pysmt import operators as _op
from pysmt.fnode import FNode

from model.term import TRUE, Bool, any_of
from proofs.errors import SolverError

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"
SOLVERS = ("z3", "cvc5", "bitwuzla")  # bitwuzla: its own package (proofs/engine/bitwuzla.py)


@dataclass
class Answer:
    status: str  # sat / unsat / unknown
    model: Optional[object] = None  # a pysmt model (get_value(term) -> constant), when sat


class _Model:
    """A solver's model: `get_value(term)` folds any term to a constant."""

    def __init__(self, solver: str, model):
        self.solver, self.model = solver, model

    def get_value(self, term: FNode) -> FNode:
        try:
            return self.model.get_value(term)
        except PysmtException as e:
            raise SolverError(f"solver {self.solver!r} gives no value for a term of its model "
                              f"({str(e).splitlines()[0]}); counterexamples need z3") from None


def available(name: str) -> bool:
    if name == "bitwuzla":
        from proofs.engine import bitwuzla
        return bitwuzla.installed()
    try:
        return name in S.get_env().factory.all_solvers()
    except Exception:  # a broken optional solver must not break the factory user
        return False


def _options(solver: str, timeout_ms: int, rlimit: Optional[int]) -> dict:
    """Solver options: a wall-clock limit and, for z3, a deterministic resource limit."""
    if solver != "z3":
        return {"tlimit-per": str(timeout_ms)}
    return {"timeout": timeout_ms, **({"rlimit": rlimit} if rlimit else {})}


_ARRAY_OPS = frozenset({_op.ARRAY_SELECT, _op.ARRAY_STORE, _op.ARRAY_VALUE})


def logic_of(formula: FNode):
    """QF_BV when `formula` has no array and no function symbol, else QF_AUFBV.  Given
    to z3 for step queries only (`check_step`): its QF_BV solver (bit-blasting) decides
    the p2m's, whose tables are explicit words, about 1.5x faster than its QF_AUFBV one
    (riscv-p2m-upstream's 18 step obligations 168 s -> 112 s, well-formed set-4k 31 s ->
    11 s), while the refinement units (`refines`), pure bit-vectors too, take longer
    with it (p2m.c's 16 units 84 s -> 132 s): those keep QF_AUFBV."""
    from pysmt.logics import QF_AUFBV, QF_BV

    return QF_BV if _pure_bv(formula) else QF_AUFBV


def _pure_bv(formula: FNode) -> bool:
    seen, todo = set(), [formula]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if n.is_function_application() or n.node_type() in _ARRAY_OPS:
            return False
        if n.is_symbol() and not (n.symbol_type().is_bv_type() or n.symbol_type().is_bool_type()):
            return False
        todo.extend(n.args())
    return True


def _open(solver: str, timeout_ms: int, rlimit: Optional[int], incremental: bool = False,
          logic=None):
    """A solver object with pysmt's interface (add_assertion, push, pop, solve, get_model);
    `logic`: the one its first formula is in (`logic_of`; default QF_AUFBV)."""
    if solver not in SOLVERS:
        raise SolverError(f"unknown solver {solver!r} (known: {', '.join(SOLVERS)})")
    if not available(solver):
        raise SolverError(f"solver {solver!r} is not installed (pip install {solver})")
    try:
        if solver == "bitwuzla":
            from proofs.engine import bitwuzla
            return bitwuzla.solver(timeout_ms, rlimit)
        from pysmt.logics import QF_AUFBV
        return S.Solver(name=solver, logic=logic or QF_AUFBV,
                        solver_options=_options(solver, timeout_ms, rlimit), incremental=incremental)
    except PysmtException as e:
        raise SolverError(f"solver {solver!r}: {str(e).splitlines()[0]}") from None


def check(formula: FNode, solver: str = "z3", timeout_ms: int = 60_000,
          rlimit: Optional[int] = None, logic=None) -> Answer:
    """Is `formula` satisfiable?  With a model of its free symbols when it is."""
    try:
        with _open(solver, timeout_ms, rlimit, logic=logic if solver == "z3" else None) as s:
            s.add_assertion(formula)
            try:
                sat = s.solve()
            except SolverReturnedUnknownResultError:
                return Answer(UNKNOWN)
            if not sat:
                return Answer(UNSAT)
            return Answer(SAT, _Model(solver, s.get_model()))
    except SolverReturnedUnknownResultError:
        return Answer(UNKNOWN)
    except PysmtException as e:
        raise SolverError(f"solver {solver!r} cannot take this query: {str(e).splitlines()[0]}") from None


@dataclass
class StepAnswer:
    """A one-step obligation's answer: `cti` (with the model of the violation),
    `proved` (with whether the assumptions alone have a witness) or `unknown`."""

    status: str
    model: Any = None
    vacuity: Optional[bool] = None


def check_step(assumptions: Bool, violation: Bool, solver: str = "z3", timeout_ms: int = 60_000,
               rlimit: Optional[int] = None, cases: Sequence[Bool] = ()) -> StepAnswer:
    """`assumptions & violation`: sat is a counterexample to the step; unsat is a
    proof, reported with its vacuity witness (is `assumptions` satisfiable?).
    With `cases`, one query per case and one for what no case covers, so the
    cases need not be exhaustive: the claim asked is the same."""
    query = assumptions & violation
    logic = logic_of(query.node()) if solver == "z3" else None
    for case in [*cases, ~any_of(cases)] if cases else [TRUE]:
        ans = check((query & case).node(), solver, timeout_ms, rlimit, logic)
        if ans.status == SAT:
            return StepAnswer("cti", ans.model)
        if ans.status != UNSAT:
            return StepAnswer(UNKNOWN)
    witness = check(assumptions.node(), solver, timeout_ms, rlimit, logic)
    if witness.status not in (SAT, UNSAT):
        return StepAnswer(UNKNOWN)
    return StepAnswer("proved", vacuity=witness.status == SAT)


class Incremental:
    """One solver kept across queries (BMC deepens the same unrolling)."""

    def __init__(self, solver: str = "z3", timeout_ms: int = 60_000, rlimit: Optional[int] = None):
        self.name = solver
        self.s = _open(solver, timeout_ms, rlimit, incremental=True)

    def add(self, formula: FNode) -> None:
        try:
            self.s.add_assertion(formula)
        except PysmtException as e:
            raise SolverError(f"solver {self.name!r} cannot take this query: {str(e).splitlines()[0]}") from None

    def check_with(self, formula: FNode) -> Answer:
        """Is the asserted context plus `formula` satisfiable?"""
        self.s.push()
        try:
            self.add(formula)
            try:
                sat = self.s.solve()
            except SolverReturnedUnknownResultError:
                return Answer(UNKNOWN)
            except PysmtException as e:
                raise SolverError(f"solver {self.name!r} failed: {str(e).splitlines()[0]}") from None
            return Answer(SAT, _Model(self.name, self.s.get_model())) if sat else Answer(UNSAT)
        finally:
            self.s.pop()

    def close(self) -> None:
        self.s.exit()
