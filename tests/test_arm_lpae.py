"""Arm VMSAv8-64 4KB stage-1 descriptors (Arm ARM D8.3.1, pte-encodings.md 4.1-4.2)
and Xen's lpae_* helpers."""
import functools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pysmt import shortcuts as S

from model.arm.lpae import (
    DESC_FAULT_REASONS, ArmLpae, classify_desc, desc_fields, format_desc, output_address,
)
from model.cite import citations
from model.term import Word, evaluate, sym_word

INVALID, BLOCK, TABLE = 0b00, 0b01, 0b11
GB, MB2 = 1 << 30, 1 << 21

# (value, level, kind, reasons)
CASES = [
    (0, 0, "invalid", []),
    (0xFFFF_FFFF_FFFF_FFFE, 2, "invalid", []),  # bit0=0: bits 63:1 ignored
    (TABLE | 0x8000_0000, 0, "table", []),
    (BLOCK, 0, "fault", ["level0-block"]),  # 512 GB block only with DS=1
    (BLOCK | GB, 1, "block", []),
    (BLOCK | GB | (1 << 16), 1, "block", []),  # nT is not an address bit
    (BLOCK | GB | MB2, 1, "fault", ["block-misaligned"]),
    (BLOCK | GB | 0x1000, 1, "fault", ["block-misaligned"]),
    (BLOCK | MB2, 2, "block", []),
    (BLOCK | MB2 | (1 << 17), 2, "fault", ["block-misaligned"]),
    (TABLE | 0x1234_5000, 2, "table", []),
    (BLOCK | 0x1234_5000, 3, "fault", ["level3-reserved"]),
    (TABLE | 0x1234_5000, 3, "page", []),
]


def test_cases_cover_every_reason():
    assert {r for c in CASES for r in c[3]} == set(DESC_FAULT_REASONS)


@pytest.mark.parametrize("value,level,kind,reasons", CASES)
def test_classify_desc(value, level, kind, reasons):
    c = classify_desc(Word(value, 64), level)
    assert (c.kind(), c.reason_list()) == (kind, reasons)


def test_fields_and_output_address():
    page = TABLE | (5 << 2) | (1 << 5) | (3 << 6) | (3 << 8) | (1 << 10) | (1 << 11) \
        | (1 << 52) | (1 << 53) | (1 << 54) | 0x8_0200_0000
    f = desc_fields(page, 3)
    assert f == {"attrindx": 5, "ns": 1, "ap": 3, "sh": 3, "af": 1, "ng": 1,
                 "contiguous": 1, "pxn": 1, "uxn": 1, "oa": 0x8_0200_0000}
    assert int(output_address(Word(BLOCK | GB | (1 << 16), 64), 1)) == GB
    assert format_desc(page, 3) == "page oa=0x802000000 attr=5 AP=RO SH=ISH flags=AF,nG,NS,Cont,PXN,UXN"
    assert format_desc(TABLE | 0x5000, 1) == "table next=0x5000"


def test_xen_predicates():
    x = ArmLpae()
    blk = Word(BLOCK, 64)
    # level 0 `01`: Xen calls it a mapping/superpage, the architecture a fault
    assert bool(x.lpae_is_mapping(blk, 0)) and bool(x.lpae_is_superpage(blk, 0))
    # level 3 `01`: neither table nor mapping (matches "reserved")
    assert not bool(x.lpae_is_table(blk, 3)) and not bool(x.lpae_is_mapping(blk, 3))
    pg = Word(TABLE, 64)
    assert bool(x.lpae_is_mapping(pg, 3)) and not bool(x.lpae_is_table(pg, 3))
    assert not bool(x.lpae_is_superpage(pg, 3))
    # none but lpae_is_valid looks at bit 0
    assert bool(x.lpae_is_table(Word(0b10, 64), 1)) and not bool(x.lpae_is_valid(Word(0b10, 64)))
    assert {name for name, _, _ in citations(ArmLpae)} == {
        "lpae_is_valid", "lpae_is_table", "lpae_is_mapping", "lpae_is_superpage"}


@functools.lru_cache(maxsize=None)
def symbolic(level):
    d = sym_word("arm.d", 64)
    x = ArmLpae()
    preds = (x.lpae_is_table(d, level), x.lpae_is_mapping(d, level), x.lpae_is_superpage(d, level))
    return d, classify_desc(d, level), output_address(d, level), preds


#: descriptors at the edges: zero, all ones, each low-2-bit pattern alone and under a full
#: output address, the top attribute bits, the highest output-address bit
EDGE_DESCRIPTORS = [0, 2**64 - 1, 0b01, 0b10, 0b11, 0b01 | (2**36 - 1) << 12, 0b11 | (2**36 - 1) << 12,
                    0b11 | (1 << 47), 0b01 | (0xFFF << 52), 0b00 | (2**36 - 1) << 12]


def edge_descriptors(test):
    for value in EDGE_DESCRIPTORS:
        for level in range(4):
            test = example(value, level)(test)
    return test


@settings(max_examples=120)
@edge_descriptors
@given(st.one_of(st.integers(0, 2**64 - 1),
                 st.builds(lambda t, a: t | (a << 12), st.integers(0, 3), st.integers(0, 2**36 - 1))),
       st.integers(0, 3))
def test_symbolic_concrete_agree(value, level):
    d, sym, sym_oa, sym_preds = symbolic(level)
    env = {d.node(): S.BV(value, 64)}
    conc = classify_desc(Word(value, 64), level)
    for f in ("invalid", "table", "block", "page", "fault"):
        assert bool(evaluate(getattr(sym, f), env)) == bool(getattr(conc, f))
    assert [bool(getattr(conc, f)) for f in ("invalid", "table", "block", "page", "fault")].count(True) == 1
    for name in DESC_FAULT_REASONS:
        assert bool(evaluate(sym.reasons[name], env)) == bool(conc.reasons[name])
    assert int(evaluate(sym_oa, env)) == int(output_address(Word(value, 64), level))
    x, w = ArmLpae(), Word(value, 64)
    conc_preds = (x.lpae_is_table(w, level), x.lpae_is_mapping(w, level), x.lpae_is_superpage(w, level))
    assert [bool(evaluate(s, env)) for s in sym_preds] == [bool(c) for c in conc_preds]
