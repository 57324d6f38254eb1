"""RISC-V PTE classification, table-driven from the privileged spec
(pte-encodings.md 1.3-1.5, 2), plus concrete/symbolic agreement."""
import functools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pysmt import shortcuts as S

from model.riscv.pte import (
    FAULT_REASONS, MODES, PTE_ACCESSED, PTE_DIRTY, PTE_EXECUTABLE, PTE_GLOBAL, PTE_N,
    PTE_PBMT_IO, PTE_PBMT_MASK, PTE_PBMT_NOCACHE, PTE_READABLE, PTE_USER, PTE_VALID,
    PTE_WRITABLE, SV39, SV39X4, SV48, SV48X4, SV57, SV57X4, Extensions, classify,
    format_pte, leaf_pa, pte_word,
)
from model.term import Word, evaluate, sym_word

V, R, W, X, U, G, A, D = (PTE_VALID, PTE_READABLE, PTE_WRITABLE, PTE_EXECUTABLE,
                          PTE_USER, PTE_GLOBAL, PTE_ACCESSED, PTE_DIRTY)
NONE = Extensions(svpbmt=False)
NAPOT = Extensions(svnapot=True)
SS = Extensions(zicfiss=True)
RSW60 = Extensions(svrsw60t59b=True)
DEFAULT = Extensions()


def ppn(n: int) -> int:
    return n << 10


def kind(value, level, mode=SV39, ext=DEFAULT):
    c = classify(pte_word(value), level, mode, ext)
    return c.kind(), c.reason_list()


# (value, level, mode, ext, kind, reasons): every reason id at least once
TABLE = [
    (0, 0, SV39, DEFAULT, "invalid", []),
    (~V & (2**64 - 1), 2, SV39, DEFAULT, "invalid", []),  # V=0: everything else is don't-care
    (V, 1, SV39, DEFAULT, "pointer", []),
    (V | G | ppn(0x80000), 2, SV39, DEFAULT, "pointer", []),
    (V, 0, SV39, DEFAULT, "fault", ["pointer-at-level-0"]),
    (V | R, 0, SV39, DEFAULT, "leaf", []),
    (V | X, 0, SV39, DEFAULT, "leaf", []),
    (V | R | W | X | U | A | D, 0, SV39, DEFAULT, "leaf", []),
    (V | W, 0, SV39, DEFAULT, "fault", ["reserved-rwx"]),
    (V | W | X, 1, SV39, DEFAULT, "fault", ["reserved-rwx"]),
    (V | W, 0, SV39, SS, "leaf", []),  # shadow-stack page
    (V | W, 0, SV39X4, SS, "fault", ["reserved-rwx"]),  # never in G-stage
    (V | R | (1 << 54), 0, SV39, DEFAULT, "fault", ["reserved-bits"]),
    (V | R | (1 << 60), 0, SV39, DEFAULT, "fault", ["reserved-bits"]),
    (V | R | (1 << 60) | (1 << 59), 0, SV39, RSW60, "leaf", []),
    (V | R | (1 << 58), 0, SV39, RSW60, "fault", ["reserved-bits"]),
    (V | R | PTE_N | ppn(0b1000), 0, SV39, DEFAULT, "fault", ["napot-without-svnapot"]),
    (V | R | PTE_PBMT_IO, 0, SV39, NONE, "fault", ["pbmt-without-svpbmt"]),
    (V | R | PTE_PBMT_NOCACHE, 0, SV39, DEFAULT, "leaf", []),
    (V | R | PTE_PBMT_MASK, 0, SV39, DEFAULT, "fault", ["pbmt-reserved"]),
    (V | D, 1, SV39, DEFAULT, "fault", ["nonleaf-d"]),
    (V | A, 1, SV39, DEFAULT, "fault", ["nonleaf-a"]),
    (V | U, 1, SV39, DEFAULT, "fault", ["nonleaf-u"]),
    (V | PTE_PBMT_IO, 1, SV39, DEFAULT, "fault", ["nonleaf-pbmt"]),
    (V | PTE_N, 1, SV39, NAPOT, "fault", ["nonleaf-n"]),
    (V | R | PTE_N | ppn(0b1000), 0, SV39, NAPOT, "leaf", []),
    (V | R | PTE_N | ppn(0x80008), 0, SV39, NAPOT, "leaf", []),
    (V | R | PTE_N | ppn(0b0001), 0, SV39, NAPOT, "fault", ["napot-bad-encoding"]),
    (V | R | PTE_N | ppn(0b0000), 0, SV39, NAPOT, "fault", ["napot-bad-encoding"]),
    (V | R | PTE_N | ppn(0b1100), 0, SV39, NAPOT, "fault", ["napot-bad-encoding"]),
    (V | R | PTE_N, 1, SV39, NAPOT, "fault", ["napot-bad-encoding"]),  # only level 0
    (V | R | ppn(1), 1, SV39, DEFAULT, "fault", ["misaligned-superpage"]),
    (V | R | ppn(0x200), 1, SV39, DEFAULT, "leaf", []),
    (V | R, 0, SV39X4, DEFAULT, "fault", ["gstage-leaf-u0"]),
    (V | R | U, 2, SV39X4, DEFAULT, "leaf", []),
    (V | R | U | G, 0, SV39X4, DEFAULT, "leaf", []),  # G ignored in G-stage
    # several reasons at once, in walk order
    (V | D | A | (1 << 55), 0, SV39, DEFAULT, "fault",
     ["reserved-bits", "nonleaf-d", "nonleaf-a", "pointer-at-level-0"]),
    (V | X | PTE_PBMT_MASK | ppn(3), 2, SV39X4, DEFAULT, "fault",
     ["pbmt-reserved", "misaligned-superpage", "gstage-leaf-u0"]),
]


def test_table_covers_every_reason():
    seen = {r for row in TABLE for r in row[5]}
    assert seen == set(FAULT_REASONS)


@pytest.mark.parametrize("value,level,mode,ext,want_kind,want_reasons", TABLE)
def test_classify_table(value, level, mode, ext, want_kind, want_reasons):
    c = classify(pte_word(value), level, mode, ext)
    assert (c.kind(), c.reason_list()) == (want_kind, want_reasons)
    assert c.first_reason() == (want_reasons[0] if want_reasons else None)


@pytest.mark.parametrize("mode", list(MODES.values()), ids=list(MODES))
def test_misaligned_superpage_every_level(mode):
    leaf = V | R | (U if mode.gstage else 0)
    assert kind(leaf | ppn(1), 0, mode) == ("leaf", [])
    for level in range(1, mode.levels):
        span = 9 * level
        for bad in (1, 1 << (span - 1)):
            assert kind(leaf | ppn(bad), level, mode) == ("fault", ["misaligned-superpage"])
        assert kind(leaf | ppn(1 << span), level, mode) == ("leaf", [])


def test_permissions_of_leaves():
    c = classify(pte_word(V | R | X | U), 1, SV39, DEFAULT)
    assert c.perms() == "rx" and bool(c.u)
    ss = classify(pte_word(V | W), 0, SV39, SS)
    assert ss.perms() == "r" and bool(ss.shadow_stack)
    bad = classify(pte_word(V | R | W | ppn(1)), 1, SV39, DEFAULT)
    assert bad.perms() == "" and not bool(bad.u)


def test_mode_geometry():
    assert [m.va_bits for m in (SV39, SV48, SV57)] == [39, 48, 57]
    assert [m.va_bits for m in (SV39X4, SV48X4, SV57X4)] == [41, 50, 59]
    assert (SV48.root_level, SV48.root_entries, SV48X4.root_entries) == (3, 512, 2048)
    assert [SV39X4.index_bits(i) for i in range(3)] == [9, 9, 11]
    assert SV39.index_bits(2) == 9
    with pytest.raises(ValueError):
        classify(pte_word(V), 3, SV39, DEFAULT)


def test_leaf_pa():
    va = Word(0x7FFF_1234_5678, 64)
    assert int(leaf_pa(pte_word(V | R | ppn(0x80200)), va, 1, SV39)) == 0x8020_0000 | (0x1234_5678 & 0x1F_FFFF)
    assert int(leaf_pa(pte_word(V | R | ppn(0x80201)), va, 0, SV39)) == 0x8020_1678
    assert int(leaf_pa(pte_word(V | R | ppn(0x40000)), va, 2, SV39)) == 0x4000_0000 | (0x1234_5678 & 0x3FFF_FFFF)
    # NAPOT: ppn[3:0] comes from vpn[0][3:0] (va bits 15:12 = 5)
    assert int(leaf_pa(pte_word(V | R | PTE_N | ppn(0x80008)), va, 0, SV39)) == 0x8000_5678


def test_format_pte():
    assert format_pte(V | R | X | A | D | ppn(0x80200), SV39, 1) == \
        "V R - X - - A D  rsw=0 ppn=0x80200 pbmt=PMA"
    assert format_pte(V | W | (1 << 8) | PTE_PBMT_MASK | PTE_N | (1 << 54), SV39, 0) == \
        "V - W - - - - -  rsw=1 ppn=0x0 pbmt=RSVD bits60:54=0x1 N"


# -- concrete/symbolic agreement -------------------------------------------

EXTS = [DEFAULT, NONE, NAPOT, SS, RSW60, Extensions(True, True, True, True)]


@functools.lru_cache(maxsize=None)
def symbolic_classify(mode, level, ext):
    p, va = sym_word("rv.p", 64), sym_word("rv.va", 64)
    return p, va, classify(p, level, mode, ext), leaf_pa(p, va, level, mode)


FIELDS = ("invalid", "pointer", "leaf", "fault", "r", "w", "x", "u", "shadow_stack")

# values biased towards interesting encodings: low flag bits, PBMT/N, small PPNs
entries = st.builds(
    lambda lo, ppn_, hi: lo | (ppn_ << 10) | (hi << 54),
    st.integers(0, 0x3FF), st.one_of(st.integers(0, 0x3FF), st.integers(0, 2**44 - 1)),
    st.integers(0, 0x3FF),
)


#: encodings at the edges: all zeros / all ones, V alone, reserved W without R, the highest PPN,
#: NAPOT's only good pattern and a bad one, a misaligned and an aligned superpage, PBMT reserved,
#: G-stage without U, the reserved bits 60:54 and RSW 60:59
EDGE_ENTRIES = [0, 2**64 - 1, V, V | W, V | W | X, V | R | ((2**44 - 1) << 10), V | R | PTE_N | ppn(0b1000),
                V | R | PTE_N | ppn(0b0100), V | R | ppn(1), V | R | ppn(0x200), V | R | PTE_PBMT_MASK,
                V | R | U, V | R | (1 << 54), V | R | (3 << 59), V | D | A | U]


def edge_entries(test):
    for value in EDGE_ENTRIES:
        for mode, level in ((SV39, 0), (SV39, 2), (SV39X4, 0)):
            test = example(value, 2**64 - 1 if value else 0, mode, level, Extensions(True, True, True, True))(test)
    for ext in EXTS:
        test = example(V | W, 0x1234_5000, SV39, 0, ext)(test)
    return test


@settings(max_examples=150)
@edge_entries
@given(entries, st.integers(0, 2**64 - 1), st.sampled_from(list(MODES.values())),
       st.integers(0, 4), st.sampled_from(EXTS))
def test_classify_and_leaf_pa_agree_symbolic_concrete(value, va_value, mode, level, ext):
    level %= mode.levels
    p, va, sym, sym_pa = symbolic_classify(mode, level, ext)
    env = {p.node(): S.BV(value, 64), va.node(): S.BV(va_value, 64)}
    conc = classify(pte_word(value), level, mode, ext)
    for f in FIELDS:
        assert bool(evaluate(getattr(sym, f), env)) == bool(getattr(conc, f)), f
    for name in FAULT_REASONS:
        assert bool(evaluate(sym.reasons[name], env)) == bool(conc.reasons[name]), name
        assert bool(evaluate(sym.first(name), env)) == (conc.first_reason() == name)
    assert [bool(getattr(conc, k)) for k in ("invalid", "pointer", "leaf", "fault")].count(True) == 1
    assert int(evaluate(sym_pa, env)) == int(leaf_pa(pte_word(value), Word(va_value, 64), level, mode))
