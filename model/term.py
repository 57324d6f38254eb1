"""One semantics, two evaluations.

Every definition in `model/` is written once over `Word` (a fixed-width bit
vector) and `Bool`.  A value is either *concrete* (a Python int / bool) or
*symbolic* (a pysmt term).  Operations on two concrete values compute a
concrete result, so the same code runs as a plain interpreter (used to replay
counterexamples) and as an SMT encoder (used to prove invariants).

Python control flow on a symbolic `Bool` is an error (`bool()` raises): model
code must branch with `ite` or with guards, which is what keeps the two
evaluations identical.  All comparisons are unsigned, as in the C code.
"""
from __future__ import annotations

from typing import Iterable, Union

from pysmt import shortcuts as S
from pysmt.fnode import FNode
from pysmt.typing import BVType

IntLike = Union[int, "Word"]
BoolLike = Union[bool, "Bool"]


class SymbolicBranch(TypeError):
    """Raised when model code uses Python control flow on a symbolic value."""


def _mask(width: int) -> int:
    return (1 << width) - 1


class Bool:
    """A boolean that is either a Python bool or a pysmt formula."""

    __slots__ = ("v",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, v: Union[bool, FNode]):
        self.v = v

    # -- inspection -----------------------------------------------------
    @property
    def is_concrete(self) -> bool:
        return isinstance(self.v, bool)

    def __bool__(self) -> bool:
        if isinstance(self.v, bool):
            return self.v
        raise SymbolicBranch("Python branch on a symbolic Bool; use ite() or a guard")

    def node(self) -> FNode:
        return S.Bool(self.v) if isinstance(self.v, bool) else self.v

    # -- connectives ----------------------------------------------------
    # the connectives are the hottest code of a concrete run (every invariant at every
    # step): concrete operands are tested with `type(...) is bool`, not `is_concrete`
    def __and__(self, o: BoolLike) -> "Bool":
        a = self.v
        if type(o) is not Bool:
            o = as_bool(o)
        b = o.v
        if type(a) is bool:
            if type(b) is bool:
                return TRUE if a and b else FALSE
            return o if a else FALSE
        if type(b) is bool:
            return self if b else FALSE
        return Bool(S.And(a, b))

    __rand__ = __and__

    def __or__(self, o: BoolLike) -> "Bool":
        a = self.v
        if type(o) is not Bool:
            o = as_bool(o)
        b = o.v
        if type(a) is bool:
            if type(b) is bool:
                return TRUE if a or b else FALSE
            return TRUE if a else o
        if type(b) is bool:
            return TRUE if b else self
        return Bool(S.Or(a, b))

    __ror__ = __or__

    def __invert__(self) -> "Bool":
        a = self.v
        if type(a) is bool:
            return FALSE if a else TRUE
        return Bool(S.Not(a))

    def __xor__(self, o: BoolLike) -> "Bool":
        o = as_bool(o)
        if self.is_concrete and o.is_concrete:
            return Bool(self.v != o.v)
        return Bool(S.Xor(self.node(), o.node()))

    def implies(self, o: BoolLike) -> "Bool":
        return ~self | as_bool(o)

    def iff(self, o: BoolLike) -> "Bool":
        return ~(self ^ o)

    def __repr__(self) -> str:
        return f"Bool({self.v})"


TRUE = Bool(True)
FALSE = Bool(False)


def as_bool(b: BoolLike) -> Bool:
    if isinstance(b, Bool):
        return b
    if isinstance(b, bool):
        return TRUE if b else FALSE
    raise TypeError(f"not a Bool: {b!r}")


class Word:
    """An unsigned fixed-width bit vector, concrete (int) or symbolic."""

    __slots__ = ("v", "width")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, v: Union[int, FNode], width: int):
        if isinstance(v, int):
            v &= _mask(width)
        self.v = v
        self.width = width

    # -- inspection -----------------------------------------------------
    @property
    def is_concrete(self) -> bool:
        return isinstance(self.v, int)

    def __int__(self) -> int:
        if isinstance(self.v, int):
            return self.v
        raise SymbolicBranch("int() of a symbolic Word")

    __index__ = __int__

    def node(self) -> FNode:
        return S.BV(self.v, self.width) if isinstance(self.v, int) else self.v

    def _co(self, o: IntLike) -> "Word":
        if isinstance(o, Word):
            if o.width != self.width:
                raise TypeError(f"width mismatch {self.width} vs {o.width}")
            return o
        if isinstance(o, int):
            return Word(o, self.width)
        raise TypeError(f"not a Word: {o!r}")

    def _bin(self, o: IntLike, conc, sym) -> "Word":
        a = self.v
        if type(a) is int:  # the concrete run's fast path: an int operand or a concrete Word
            if type(o) is int:
                return Word(conc(a, o & _mask(self.width)), self.width)
            if type(o) is Word and type(o.v) is int and o.width == self.width:
                return Word(conc(a, o.v), self.width)
        o = self._co(o)
        if self.is_concrete and o.is_concrete:
            return Word(conc(self.v, o.v), self.width)
        return Word(sym(self.node(), o.node()), self.width)

    def _cmp(self, o: IntLike, conc, sym) -> Bool:
        a = self.v
        if type(a) is int:
            if type(o) is int:
                return TRUE if conc(a, o & _mask(self.width)) else FALSE
            if type(o) is Word and type(o.v) is int and o.width == self.width:
                return TRUE if conc(a, o.v) else FALSE
        o = self._co(o)
        if self.is_concrete and o.is_concrete:
            return Bool(conc(self.v, o.v))
        return Bool(sym(self.node(), o.node()))

    # -- bitwise and arithmetic (modulo 2**width) -------------------------
    def __and__(self, o: IntLike) -> "Word":
        return self._bin(o, lambda a, b: a & b, S.BVAnd)

    __rand__ = __and__

    def __or__(self, o: IntLike) -> "Word":
        return self._bin(o, lambda a, b: a | b, S.BVOr)

    __ror__ = __or__

    def __xor__(self, o: IntLike) -> "Word":
        return self._bin(o, lambda a, b: a ^ b, S.BVXor)

    __rxor__ = __xor__

    def __invert__(self) -> "Word":
        if self.is_concrete:
            return Word(~self.v, self.width)
        return Word(S.BVNot(self.v), self.width)

    def __add__(self, o: IntLike) -> "Word":
        return self._bin(o, lambda a, b: a + b, S.BVAdd)

    __radd__ = __add__

    def __sub__(self, o: IntLike) -> "Word":
        return self._bin(o, lambda a, b: a - b, S.BVSub)

    def __rsub__(self, o: IntLike) -> "Word":
        return self._co(o) - self

    def __mul__(self, o: IntLike) -> "Word":
        return self._bin(o, lambda a, b: a * b, S.BVMul)

    __rmul__ = __mul__

    def __lshift__(self, n: IntLike) -> "Word":
        return self._bin(n, lambda a, b: a << b if b < self.width else 0, S.BVLShl)

    def __rshift__(self, n: IntLike) -> "Word":
        return self._bin(n, lambda a, b: a >> b, S.BVLShr)

    # -- unsigned comparisons ---------------------------------------------
    def __eq__(self, o: IntLike) -> Bool:  # type: ignore[override]
        return self._cmp(o, lambda a, b: a == b, S.Equals)

    def __ne__(self, o: IntLike) -> Bool:  # type: ignore[override]
        return ~(self == o)

    def __lt__(self, o: IntLike) -> Bool:
        return self._cmp(o, lambda a, b: a < b, S.BVULT)

    def __le__(self, o: IntLike) -> Bool:
        return self._cmp(o, lambda a, b: a <= b, S.BVULE)

    def __gt__(self, o: IntLike) -> Bool:
        return self._cmp(o, lambda a, b: a > b, S.BVUGT)

    def __ge__(self, o: IntLike) -> Bool:
        return self._cmp(o, lambda a, b: a >= b, S.BVUGE)

    # -- bit fields -------------------------------------------------------
    def bits(self, hi: int, lo: int) -> "Word":
        """Bits hi..lo inclusive, as a (hi-lo+1)-bit Word."""
        assert 0 <= lo <= hi < self.width, (hi, lo, self.width)
        w = hi - lo + 1
        if self.is_concrete:
            return Word(self.v >> lo, w)
        return Word(S.BVExtract(self.v, lo, hi), w)

    def bit(self, i: int) -> Bool:
        if type(self.v) is int:
            return TRUE if (self.v >> i) & 1 else FALSE
        return Bool(S.Equals(S.BVExtract(self.v, i, i), S.BV(1, 1)))

    def any(self) -> Bool:
        """True iff some bit is set (C's truth value of an integer)."""
        return self != 0

    def zext(self, width: int) -> "Word":
        assert width >= self.width
        if width == self.width:
            return self
        if self.is_concrete:
            return Word(self.v, width)
        return Word(S.BVZExt(self.v, width - self.width), width)

    def trunc(self, width: int) -> "Word":
        return self.bits(width - 1, 0)

    def __repr__(self) -> str:
        if self.is_concrete:
            return f"Word({self.v:#x}, {self.width})"
        return f"Word({self.v}, {self.width})"


# ---------------------------------------------------------------------------
# constructors and combinators


def bv(value: int, width: int) -> Word:
    return Word(value, width)


def sym_word(name: str, width: int) -> Word:
    return Word(S.Symbol(name, BVType(width)), width)


def sym_bool(name: str) -> Bool:
    return Bool(S.Symbol(name))


def ite(c: BoolLike, a, b):
    """If-then-else over Words, Bools, or equal-shape tuples of them."""
    c = as_bool(c)
    if isinstance(a, tuple):
        return tuple(ite(c, x, y) for x, y in zip(a, b, strict=True))
    if c.is_concrete:
        return a if c.v else b
    if isinstance(a, Word) or isinstance(b, Word):
        if not isinstance(a, Word):
            a = b._co(a)
        if not isinstance(b, Word):
            b = a._co(b)
        if a.width != b.width:
            raise TypeError("ite width mismatch")
        if a.is_concrete and b.is_concrete and a.v == b.v:
            return a
        return Word(S.Ite(c.v, a.node(), b.node()), a.width)
    a, b = as_bool(a), as_bool(b)
    if a.is_concrete and b.is_concrete and a.v == b.v:
        return a
    return Bool(S.Ite(c.v, a.node(), b.node()))


def all_of(items: Iterable[BoolLike]) -> Bool:
    """The conjunction; the rest is not built once it is concretely false."""
    r = TRUE
    for b in items:
        r = r & b
        if r is FALSE:
            return r
    return r


def any_of(items: Iterable[BoolLike]) -> Bool:
    """The disjunction; the rest is not built once it is concretely true."""
    r = FALSE
    for b in items:
        r = r | b
        if r is TRUE:
            return r
    return r


def concat(hi: Word, lo: Word) -> Word:
    if hi.is_concrete and lo.is_concrete:
        return Word((hi.v << lo.width) | lo.v, hi.width + lo.width)
    return Word(S.BVConcat(hi.node(), lo.node()), hi.width + lo.width)


# ---------------------------------------------------------------------------
# evaluation of symbolic values under an assignment (used by replay and tests)


def evaluate(x, assignment):
    """Fold a symbolic value to a constant under an assignment.

    `assignment` is either a mapping from pysmt symbols to constants, or a
    solver model (anything with `get_value(term)`, e.g. `proofs.engine.solver.Answer.model`),
    which also interprets uninterpreted functions.  Returns a concrete Word/Bool;
    raises if the value is not fully determined.
    """
    if isinstance(x, tuple):
        return tuple(evaluate(y, assignment) for y in x)
    if x.is_concrete:
        return x
    if hasattr(assignment, "get_value"):
        n = assignment.get_value(x.v)
    else:
        n = S.simplify(S.substitute(x.v, dict(assignment)))
    if isinstance(x, Word):
        if not n.is_bv_constant():
            raise ValueError(f"not constant after substitution: {n}")
        return Word(n.constant_value(), x.width)
    if not n.is_bool_constant():
        raise ValueError(f"not constant after substitution: {n}")
    return Bool(n.constant_value())
