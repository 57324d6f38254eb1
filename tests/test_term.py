"""The term layer: every word operation against a Python-int oracle, on both evaluations.

Each operation is computed three ways and compared with the oracle (plain
integer arithmetic modulo 2**width, written here independently of
model/term.py): on concrete Words, on symbolic Words folded by substitution,
and on symbolic Words decided by z3 (the operand values asserted, the
disagreement with the oracle shown unsatisfiable).  The edge cases of each
encoding (equal operands, zero, all ones, wrap-around, shifts by the width and
past it, the top bit set) are explicit examples, so they run on every seed.
"""
from __future__ import annotations

import operator
from typing import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pysmt import shortcuts as S

from model.term import FALSE, TRUE, Bool, SymbolicBranch, Word, all_of, any_of, bv, concat, evaluate, ite, sym_bool, sym_word

WIDTHS = (1, 8, 64)


def mask(w: int) -> int:
    return (1 << w) - 1


#: name -> (the Word operation, the oracle on unsigned ints of width w)
BINARY: dict[str, tuple[Callable, Callable[[int, int, int], int | bool]]] = {
    "and": (operator.and_, lambda x, y, w: x & y),
    "or": (operator.or_, lambda x, y, w: x | y),
    "xor": (operator.xor, lambda x, y, w: x ^ y),
    "add": (operator.add, lambda x, y, w: (x + y) % 2 ** w),
    "sub": (operator.sub, lambda x, y, w: (x - y) % 2 ** w),
    "mul": (operator.mul, lambda x, y, w: (x * y) % 2 ** w),
    # by the width or more: every bit shifted out (2**min(y, w) keeps the oracle's ints small)
    "shl": (operator.lshift, lambda x, y, w: x * 2 ** min(y, w) % 2 ** w),
    "shr": (operator.rshift, lambda x, y, w: x // 2 ** min(y, w)),  # logical: zeros come in
    "eq": (operator.eq, lambda x, y, w: x == y),
    "ne": (operator.ne, lambda x, y, w: x != y),
    "lt": (operator.lt, lambda x, y, w: x < y),  # unsigned, as in C
    "le": (operator.le, lambda x, y, w: x <= y),
    "gt": (operator.gt, lambda x, y, w: x > y),
    "ge": (operator.ge, lambda x, y, w: x >= y),
}


def unary(w: int, x: int, y: int) -> list[tuple[str, Callable[[Word], object], int | bool]]:
    """Single-operand operations at positions drawn from y, with their oracle values."""
    hi = y % w
    lo = (x // 3) % (hi + 1)
    return [
        ("invert", lambda a: ~a, mask(w) - x),
        ("bits", lambda a: a.bits(hi, lo), (x // 2 ** lo) % 2 ** (hi - lo + 1)),
        ("bit", lambda a: a.bit(hi), (x // 2 ** hi) % 2 == 1),
        ("any", lambda a: a.any(), x != 0),
        ("zext", lambda a: a.zext(w + 3), x),
        ("trunc", lambda a: a.trunc(hi + 1), x % 2 ** (hi + 1)),
        ("concat-hi", lambda a: concat(a, bv(y, w)), x * 2 ** w + y),
        ("concat-lo", lambda a: concat(bv(y, w), a), y * 2 ** w + x),
    ]


@st.composite
def operands(draw) -> tuple[int, int, int]:
    w = draw(st.sampled_from(WIDTHS))
    return w, draw(st.integers(0, mask(w))), draw(st.integers(0, mask(w)))


def symbolic(w: int) -> tuple[Word, Word]:
    return sym_word(f"term.a{w}", w), sym_word(f"term.b{w}", w)


def plain(v: Word | Bool) -> int | bool:
    return int(v) if isinstance(v, Word) else bool(v)


def node_of(want: int | bool, like: Word | Bool):
    return S.BV(want, like.width) if isinstance(like, Word) else S.Bool(want)


def cases(w: int, x: int, y: int):
    """(name, concrete value, symbolic value, oracle) for every operation on (x, y)."""
    a, b = symbolic(w)
    out = []
    for name, (op, oracle) in BINARY.items():
        want = oracle(x, y, w)
        out.append((name, op(bv(x, w), bv(y, w)), op(a, b), want))
        out.append((f"{name} (int right operand)", op(bv(x, w), y), op(a, y), want))
    for name, f, want in unary(w, x, y):
        out.append((name, f(bv(x, w)), f(a), want))
    return a, b, out


EDGES = [(w, x, y) for w in WIDTHS for x, y in [
    (0, 0), (mask(w), mask(w)), (mask(w), 1), (1, mask(w)), (mask(w), 0), (0, 1),
    (1 << (w - 1), 1), (1 << (w - 1), 1 << (w - 1)), (1, w), (mask(w), w - 1),
] if y <= mask(w)] + [(8, 0x80, 7), (8, 0xFF, 8), (8, 3, 9), (64, 5, 64), (64, 1 << 63, 63), (64, 7, 65)]


def edge_examples(test):
    for e in EDGES:
        test = example(e)(test)
    return test


@edge_examples
@given(operands())
def test_every_word_operation_matches_the_oracle_concretely_and_by_substitution(xyz):
    w, x, y = xyz
    a, b, table = cases(w, x, y)
    env = {a.node(): S.BV(x, w), b.node(): S.BV(y, w)}
    for name, conc, sym, want in table:
        assert conc.is_concrete and plain(conc) == want, (name, w, x, y)
        assert not sym.is_concrete and plain(evaluate(sym, env)) == want, (name, w, x, y)


@edge_examples
@given(operands())
def test_every_word_operation_matches_the_oracle_when_z3_decides_it(xyz):
    """z3, not pysmt's simplifier, evaluates the symbolic side: with the operands
    fixed, no operation may take a value other than the oracle's."""
    w, x, y = xyz
    a, b, table = cases(w, x, y)
    fixed = S.And(S.Equals(a.node(), S.BV(x, w)), S.Equals(b.node(), S.BV(y, w)))
    wrong = [(name, S.Not(S.Iff(sym.node(), node_of(want, sym))) if isinstance(sym, Bool)
              else S.NotEquals(sym.node(), node_of(want, sym))) for name, _, sym, want in table]
    if S.is_sat(S.And(fixed, S.Or([f for _, f in wrong])), solver_name="z3"):
        bad = [name for name, f in wrong if S.is_sat(S.And(fixed, f), solver_name="z3")]
        pytest.fail(f"z3 finds a value other than the oracle's for {bad} at width {w}, x={x:#x}, y={y:#x}")


@given(operands(), st.booleans(), st.booleans())
@example((8, 0x12, 0x34), True, False)
@example((8, 0x12, 0x34), False, True)
@example((8, 7, 7), True, True)
def test_ite_and_bool_connectives_match_the_oracle(p, c, d):
    w, x, y = p
    a, b = symbolic(w)
    cs, ds = sym_bool("term.c"), sym_bool("term.d")
    e = {a.node(): S.BV(x, w), b.node(): S.BV(y, w), cs.node(): S.Bool(c), ds.node(): S.Bool(d)}
    assert int(evaluate(ite(cs, a, b), e)) == (x if c else y)
    assert int(ite(c, bv(x, w), bv(y, w))) == (x if c else y)
    assert int(evaluate(ite(cs, (a, b), (b, a))[1], e)) == (y if c else x)
    assert bool(evaluate(ite(cs, ds, ~ds), e)) == (d if c else not d)
    oracle = {"and": c and d, "or": c or d, "xor": c != d, "implies": (not c) or d, "iff": c == d}
    ops = {"and": operator.and_, "or": operator.or_, "xor": operator.xor, "implies": Bool.implies,
           "iff": Bool.iff}
    for name, f in ops.items():
        assert bool(evaluate(f(cs, ds), e)) == oracle[name], name
        assert bool(f(Bool(c), Bool(d))) == oracle[name], name
        assert bool(evaluate(f(cs, Bool(d)), e)) == oracle[name], name  # one side concrete
        assert bool(evaluate(f(Bool(c), ds), e)) == oracle[name], name
    assert bool(evaluate(~cs, e)) == (not c) and bool(~Bool(c)) == (not c)


def test_symbolic_bool_refuses_python_branch():
    with pytest.raises(SymbolicBranch):
        bool(sym_word("term.z", 8) == 0)
    with pytest.raises(SymbolicBranch):
        int(sym_word("term.z", 8))
    with pytest.raises(TypeError):
        bv(1, 8) & Word(1, 16)


def test_an_int_operand_is_taken_modulo_the_width_as_a_word_of_it_is():
    """The concrete fast paths (an int operand) agree with Word(int, width)'s masking."""
    w = bv(5, 8)
    assert bool(w == 261) and bool(w == bv(261, 8)) and not bool(w < 261)
    assert int(bv(1, 8) << 257) == int(bv(1, 8) << bv(257, 8)) == 2
    assert int(bv(3, 8) + -1) == 2 and int(bv(0xF0, 8) & -16) == 0xF0


def test_all_of_and_any_of_stop_once_decided_and_say_the_same():
    def conjuncts(values, seen):
        for v in values:
            seen.append(v)
            yield Bool(v)
    seen: list = []
    assert all_of(conjuncts([True, False, True], seen)) is FALSE and seen == [True, False]
    assert all_of([TRUE, TRUE]) is TRUE and any_of([FALSE, FALSE]) is FALSE
    seen = []
    assert any_of(conjuncts([False, True, False], seen)) is TRUE and seen == [False, True]
    x = sym_bool("short_x")
    assert all_of([TRUE, x]).node() == x.node() and all_of([x, FALSE]) is FALSE
