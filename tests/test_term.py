"""The term layer computes the same value concretely and symbolically."""
import operator

from hypothesis import given, settings
from hypothesis import strategies as st
from pysmt import shortcuts as S

from model.term import Bool, Word, bv, concat, evaluate, ite, sym_bool, sym_word

WIDTHS = (1, 8, 64)
EXAMPLES = settings(max_examples=60, deadline=None)


@st.composite
def pairs(draw):
    w = draw(st.sampled_from(WIDTHS))
    top = (1 << w) - 1
    return w, draw(st.integers(0, top)), draw(st.integers(0, top))


def symbolic(w):
    return sym_word(f"term.a{w}", w), sym_word(f"term.b{w}", w)


def env(a, b, x, y):
    return {a.node(): S.BV(x, a.width), b.node(): S.BV(y, b.width)}


WORD_OPS = [operator.and_, operator.or_, operator.xor, operator.add, operator.sub,
            operator.lshift, operator.rshift]
CMP_OPS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]


def plain(v):
    return int(v) if isinstance(v, Word) else bool(v)


@EXAMPLES
@given(pairs(), st.sampled_from(WORD_OPS + CMP_OPS))
def test_binary_ops_agree(p, op):
    w, x, y = p
    a, b = symbolic(w)
    want = op(bv(x, w), bv(y, w))
    assert want.is_concrete and plain(evaluate(op(a, b), env(a, b, x, y))) == plain(want)
    if op in CMP_OPS:  # unsigned, as in C
        assert plain(want) == op(x, y)


@EXAMPLES
@given(pairs())
def test_invert_bits_any_zext_trunc_agree(p):
    w, x, y = p
    a, b = symbolic(w)
    e = env(a, b, x, y)
    hi = y % w
    lo = x % (hi + 1)
    for sym, conc in [
        (~a, ~bv(x, w)),
        (a.bits(hi, lo), bv(x, w).bits(hi, lo)),
        (a.zext(w + 3), bv(x, w).zext(w + 3)),
        (a.trunc(hi + 1), bv(x, w).trunc(hi + 1)),
        (concat(a, b), concat(bv(x, w), bv(y, w))),
    ]:
        assert int(evaluate(sym, e)) == int(conc)
    assert bool(evaluate(a.bit(hi), e)) == bool((x >> hi) & 1) == bool(bv(x, w).bit(hi))
    assert bool(evaluate(a.any(), e)) == (x != 0)


def test_subtraction_wraps_and_shift_past_width_is_zero():
    assert int(bv(0, 8) - 1) == 0xFF
    assert int(bv(1, 8) << 8) == 0 and int(bv(0x80, 8) >> 9) == 0
    a, b = symbolic(8)
    assert int(evaluate(a - b, env(a, b, 0, 1))) == 0xFF
    assert int(evaluate(a << b, env(a, b, 1, 8))) == 0


@EXAMPLES
@given(pairs(), st.booleans(), st.booleans())
def test_ite_and_bool_connectives_agree(p, c, d):
    w, x, y = p
    a, b = symbolic(w)
    cs, ds = sym_bool("term.c"), sym_bool("term.d")
    e = {**env(a, b, x, y), cs.node(): S.Bool(c), ds.node(): S.Bool(d)}
    assert int(evaluate(ite(cs, a, b), e)) == (x if c else y)
    assert int(evaluate(ite(cs, (a, b), (b, a))[0], e)) == (x if c else y)
    cc, dc = Bool(c), Bool(d)
    for f in (operator.and_, operator.or_, operator.xor, Bool.implies, Bool.iff):
        assert bool(evaluate(f(cs, ds), e)) == bool(f(cc, dc))
    assert bool(evaluate(~cs, e)) == (not c)


def test_symbolic_bool_refuses_python_branch():
    import pytest

    from model.term import SymbolicBranch

    with pytest.raises(SymbolicBranch):
        bool(sym_word("term.z", 8) == 0)
    with pytest.raises(TypeError):
        bv(1, 8) & Word(1, 16)
