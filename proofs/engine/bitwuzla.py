"""Bitwuzla through its own Python package, behind the interface the engine uses of
a pysmt solver (add_assertion, push, pop, solve, get_model, exit).

pysmt has no Bitwuzla backend, so formulas are translated here, node by node, with
one memo per solver: the terms of a BMC unrolling are shared by every depth and
translated once.  A model is taken when `solve` answers sat (the values of every
symbol asserted so far, and of every uninterpreted function at every point it was
applied), so it stays valid after the frame is popped, as a pysmt model does; a term
is then evaluated bottom-up on those values (a point of a function no assertion
applied it to is free: 0).
"""
from __future__ import annotations

from typing import Optional

from pysmt import operators as op
from pysmt import shortcuts as S
from pysmt.exceptions import PysmtException, SolverReturnedUnknownResultError
from pysmt.fnode import FNode


def installed() -> bool:
    from importlib.util import find_spec
    return find_spec("bitwuzla") is not None


def version() -> str:
    import bitwuzla
    return bitwuzla.version()


class Unsupported(PysmtException):
    """A formula node Bitwuzla is not given here (the engine reports it as one line)."""


_SIMPLE = {  # pysmt operator -> Bitwuzla kind, same arguments in the same order
    op.AND: "AND", op.OR: "OR", op.NOT: "NOT", op.IMPLIES: "IMPLIES", op.IFF: "IFF", op.ITE: "ITE",
    op.EQUALS: "EQUAL", op.BV_NOT: "BV_NOT", op.BV_AND: "BV_AND", op.BV_OR: "BV_OR",
    op.BV_XOR: "BV_XOR", op.BV_CONCAT: "BV_CONCAT", op.BV_ULT: "BV_ULT", op.BV_ULE: "BV_ULE",
    op.BV_NEG: "BV_NEG", op.BV_ADD: "BV_ADD", op.BV_SUB: "BV_SUB", op.BV_MUL: "BV_MUL",
    op.BV_UDIV: "BV_UDIV", op.BV_UREM: "BV_UREM", op.BV_LSHL: "BV_SHL", op.BV_LSHR: "BV_SHR",
    op.BV_SLT: "BV_SLT", op.BV_SLE: "BV_SLE", op.BV_COMP: "BV_COMP", op.BV_SDIV: "BV_SDIV",
    op.BV_SREM: "BV_SREM", op.BV_ASHR: "BV_ASHR", op.ARRAY_SELECT: "ARRAY_SELECT",
    op.ARRAY_STORE: "ARRAY_STORE",
}


class BitwuzlaSolver:
    """One Bitwuzla instance (incremental) with its own translation memo."""

    def __init__(self, timeout_ms: int):
        import bitwuzla as bw

        self.bw = bw
        opts = bw.Options()
        opts.set(bw.Option.PRODUCE_MODELS, True)
        opts.set(bw.Option.TIME_LIMIT_PER, int(timeout_ms))
        self.tm = bw.TermManager()
        self.solver = bw.Bitwuzla(self.tm, opts)
        self.memo: dict[FNode, object] = {}
        self.sorts: dict = {}
        self.symbols: dict[FNode, object] = {}  # pysmt symbol -> Bitwuzla constant
        self.applications: list[FNode] = []  # every uninterpreted function application translated

    # -- the pysmt solver interface the engine uses ------------------------------------
    def add_assertion(self, formula: FNode) -> None:
        self.solver.assert_formula(self.term(formula))

    def push(self) -> None:
        self.solver.push(1)

    def pop(self) -> None:
        self.solver.pop(1)

    def solve(self) -> bool:
        r = self.solver.check_sat()
        if r == self.bw.Result.UNKNOWN:
            raise SolverReturnedUnknownResultError()
        if r == self.bw.Result.SAT:
            self.model = self._model()
        return r == self.bw.Result.SAT

    def _model(self) -> "Model":
        def value(n: FNode):
            return self._value(n.get_type(), self.solver.get_value(self.memo[n]))
        symbols = {s: value(s) for s in self.symbols}
        points = {(a.function_name(), tuple(value(x).constant_value() for x in a.args())): value(a)
                  for a in self.applications}
        return Model(symbols, points)

    def get_model(self) -> "Model":
        return self.model

    def exit(self) -> None:
        self.memo.clear()

    def __enter__(self) -> "BitwuzlaSolver":
        return self

    def __exit__(self, *exc) -> None:
        self.exit()

    # -- translation --------------------------------------------------------------------
    def sort(self, ty):
        if ty not in self.sorts:
            if ty.is_bool_type():
                self.sorts[ty] = self.tm.mk_bool_sort()
            elif ty.is_bv_type():
                self.sorts[ty] = self.tm.mk_bv_sort(ty.width)
            elif ty.is_array_type():
                self.sorts[ty] = self.tm.mk_array_sort(self.sort(ty.index_type), self.sort(ty.elem_type))
            else:
                raise Unsupported(f"Bitwuzla is not given terms of type {ty}")
        return self.sorts[ty]

    def term(self, root: FNode):
        """The Bitwuzla term of `root` (iterative: unrollings are deep DAGs)."""
        memo, stack = self.memo, [root]
        while stack:
            n = stack[-1]
            if n in memo:
                stack.pop()
                continue
            todo = [a for a in n.args() if a not in memo]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            memo[n] = self._node(n, [memo[a] for a in n.args()])
        return memo[root]

    def _node(self, n: FNode, args: list):
        K, tm, t = self.bw.Kind, self.tm, n.node_type()
        if t in _SIMPLE:
            return tm.mk_term(getattr(K, _SIMPLE[t]), args)
        if t == op.SYMBOL:
            c = tm.mk_const(self.sort(n.symbol_type()), n.symbol_name())
            self.symbols[n] = c
            return c
        if t == op.FUNCTION:
            f = n.function_name()
            if f not in self.memo:
                ty = f.symbol_type()
                fun = tm.mk_fun_sort([self.sort(p) for p in ty.param_types], self.sort(ty.return_type))
                self.memo[f] = tm.mk_const(fun, f.symbol_name())
            self.applications.append(n)
            return tm.mk_term(K.APPLY, [self.memo[f], *args])
        if t == op.BOOL_CONSTANT:
            return tm.mk_true() if n.constant_value() else tm.mk_false()
        if t == op.BV_CONSTANT:
            return tm.mk_bv_value(tm.mk_bv_sort(n.bv_width()), n.constant_value())
        if t == op.BV_EXTRACT:
            return tm.mk_term(K.BV_EXTRACT, args, [n.bv_extract_end(), n.bv_extract_start()])
        if t == op.BV_ZEXT:
            return tm.mk_term(K.BV_ZERO_EXTEND, args, [n.bv_extend_step()])
        if t == op.BV_SEXT:
            return tm.mk_term(K.BV_SIGN_EXTEND, args, [n.bv_extend_step()])
        if t == op.BV_ROL:
            return tm.mk_term(K.BV_ROLI, args, [n.bv_rotation_step()])
        if t == op.BV_ROR:
            return tm.mk_term(K.BV_RORI, args, [n.bv_rotation_step()])
        if t == op.ARRAY_VALUE:
            return tm.mk_const_array(self.sort(n.get_type()), self.term(n.array_value_default()))
        raise Unsupported(f"Bitwuzla is not given {op.op_to_str(t)} terms")

    def _value(self, ty, value):
        if ty.is_bool_type():
            return S.Bool(value.is_true())
        if ty.is_bv_type():
            return S.BV(int(value.value(2), 2), ty.width)
        raise Unsupported(f"no value of type {ty} is read back from Bitwuzla")


def _default(ty) -> FNode:
    return S.Bool(False) if ty.is_bool_type() else S.BV(0, ty.width)


class Model:
    """A sat answer: its symbols' values and its functions' values at the points
    applied; any other symbol or point is 0 (or false)."""

    def __init__(self, symbols: dict[FNode, FNode], points: dict[tuple, FNode]):
        self.symbols, self.points = symbols, points

    def get_value(self, term: FNode) -> FNode:
        mgr = S.get_env().formula_manager
        done: dict[FNode, FNode] = {}
        stack = [term]
        while stack:
            n = stack[-1]
            if n in done:
                stack.pop()
                continue
            todo = [a for a in n.args() if a not in done]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            args = tuple(done[a] for a in n.args())
            if n.is_symbol():
                done[n] = self.symbols.get(n) or _default(n.symbol_type())
            elif n.is_function_application():
                key = (n.function_name(), tuple(a.constant_value() for a in args))
                done[n] = self.points.get(key) or _default(n.get_type())
            elif n.is_constant():
                done[n] = n
            else:
                done[n] = mgr.create_node(n.node_type(), args, n._content.payload).simplify()
                if not done[n].is_constant():
                    raise Unsupported(f"a {op.op_to_str(n.node_type())} term of the model did not fold")
        return done[term]


def solver(timeout_ms: int, rlimit: Optional[int]) -> BitwuzlaSolver:
    if rlimit:
        raise Unsupported("--rlimit is z3's resource limit; Bitwuzla has none (give --timeout)")
    return BitwuzlaSolver(timeout_ms)
