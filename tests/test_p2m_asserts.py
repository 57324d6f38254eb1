"""The p2m model records each ASSERT a call fails, with the C's text, as the release-build C
harness notes them; vectors carry them, `show` says where a debug build stops, and a replay on
the compiled C compares them.  And the two model fixes the C harness found under `any` callers
(issues 16/17): the split retries its metadata allocation at every child, and p2m_free_subtree
walks and frees below a level-0 table pointer."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from model.arm.p2m import ArmP2MUpstream
from model.riscv.p2m_state import INVALID_MFN, NO_MD, Oracle, P2MGeometry, P2MState
from model.riscv.p2m_upstream import ASSERT_LEVEL, UNREACHABLE, RiscvP2MUpstream
from model.term import TRUE, bv
from needs import c_compiler, xen_file
from proofs import vector as vec
from proofs.systems.p2m.c_harness import assert_differences
from proofs.systems.p2m.vectors import render

ROOT = Path(__file__).resolve().parent.parent
RISCV_ANY = ROOT / "counterexamples" / "riscv-p2m-upstream@any"
ARM_ANY = ROOT / "counterexamples" / "arm-p2m-upstream@any"
GEO = P2MGeometry(idx_bits=1, pool=3)  # the any vectors' bounds
PADDR_RISCV = "ASSERT(!(mfn_to_maddr(mfn) & ~PADDR_MASK) || mfn_eq(mfn, INVALID_MFN))"
PADDR_ARM = "ASSERT(!(mfn_to_maddr(mfn) & ~PADDR_MASK))"


def call(m, st, gfn, level, mfn, t, fails=()):
    post, _ = m.call(st, bv(gfn, 64), level, bv(mfn, 64), bv(t, 4), Oracle(list(fails)))
    return post


def initial(m):
    return P2MState.initial(m.geo, bv(0, 44))


# -- the ASSERTs the model records -------------------------------------------------

@pytest.mark.parametrize("mfn, fails", [(0x1000, False), (1 << 44, True), (1 << 51, True),
                                        (1 << 52, False),  # shifted out of the 64-bit paddr_t
                                        (INVALID_MFN, False)])
def test_riscv_paddr_assert_is_the_64_bit_maddr_above_paddr_bits(mfn, fails):
    m = RiscvP2MUpstream(GEO)
    post = call(m, initial(m), 0, 0, mfn, m.RAM_RW)
    assert (PADDR_RISCV in post.failed_asserts()) is fails


@pytest.mark.parametrize("mfn, fails", [(0x1000, False), (1 << 36, True), (1 << 51, True), (1 << 52, False)])
def test_arm_paddr_assert_is_48_bits(mfn, fails):
    m = ArmP2MUpstream(GEO)
    post = call(m, initial(m), 0, 0, mfn, m.RAM_RW)
    assert post.failed_asserts() == ([PADDR_ARM] if fails else [])


def test_p2m_ext_storage_as_a_type_is_p2m_set_permissions_unreachable_default():
    m = RiscvP2MUpstream(GEO)
    assert call(m, initial(m), 0, 0, 0x1000, m.EXT_STORAGE).failed_asserts() == [UNREACHABLE]
    for t in m.types():  # every case of the switch: none
        assert call(m, initial(m), 0, 0, 0x1000, t).failed_asserts() == []


def test_each_call_starts_with_no_asserts():
    m = RiscvP2MUpstream(GEO)
    st = call(m, initial(m), 0, 0, 0x1000, m.EXT_STORAGE)
    assert call(m, st, 6, 0, 0x1000, m.RAM_RW).failed_asserts() == []


# -- fix 1: the split retries the metadata allocation at every child -----------------

def test_a_split_whose_first_metadata_attempt_fails_gives_later_children_their_slot():
    """The old footprint trace: a 1G foreign leaf in a root page split at 2M, the new
    page's metadata allocation (attempt 2) failing once.  The C's child 1 retries and gets
    page 6 (metadata 0x80005[1] = p2m_map_foreign_rw, 3 pool pages in use); the model had
    every later child fail too (slot 0, 2 pages)."""
    m = RiscvP2MUpstream(GEO)
    st = call(m, initial(m), 0x10, 2, 0, m.FOREIGN_RW)
    post = call(m, st, 0x10, 1, 0, m.P2M_INVALID, fails=(False, True))
    assert bool(post.ev_crash) and not bool(post.ev_md_missing)
    assert int(post.md_page[5]) == 6 and int(post.md[5 * GEO.entries + 1]) == m.FOREIGN_RW
    assert sum(not bool(f) for f in post.free) == 3
    assert post.failed_asserts() == ["ASSERT(type > p2m_first_external)"]  # child 0 has no slot
    # an empty pool: every child's attempt fails and none has its page (the model before)
    post = call(m, st, 0x10, 1, 0, m.P2M_INVALID, fails=(False, True, True))
    assert int(post.md_page[5]) == NO_MD and bool(post.ev_md_missing)


# -- fix 2: p2m_free_subtree below a level-0 table pointer -------------------------------

def test_freeing_below_a_level_0_pointer_walks_and_frees_as_the_c_does():
    """The old no-leak trace: p2m_ext_storage leaves a 2M leaf without R/W/X naming root
    page 0, so the 4K call walks through it; replacing root[0] frees the subtree below a
    level-0 pointer at the wrapped levels: 4 level ASSERTs (0x80004's 2 entries, root page
    0's 2), the level-1 table and its metadata page back in the pool, the root page freed
    (a page the walker always reads).  The model stopped at level 0 (2 pages kept)."""
    m = RiscvP2MUpstream(GEO)
    st = call(m, initial(m), 0, 1, 0x80000, m.EXT_STORAGE)
    post = call(m, st, 0, 0, 0, m.P2M_INVALID)
    assert post.failed_asserts() == [ASSERT_LEVEL] * 4
    assert all(bool(f) for f in post.free) and bool(post.ev_free_walkable)
    assert not bool(post.ev_endless)


def test_a_walk_below_level_0_that_comes_back_to_its_page_is_endless():
    m = RiscvP2MUpstream(GEO)
    st = initial(m)
    ptr = m.page_to_p2m_table(bv(4, 16))  # a table pointer naming page 4, in page 4
    st = m.write_pte(st, TRUE, bv(4, 16), bv(0, 16), ptr)
    post = m.free_below_zero(st, TRUE, ptr)
    assert bool(post.ev_endless)
    other = m.free_below_zero(initial(m), TRUE, ptr)  # page 4 empty: one table, then done
    assert not bool(other.ev_endless) and other.failed_asserts() == [ASSERT_LEVEL] * GEO.entries


# -- vectors, show, the comparison with the C ---------------------------------------------

def test_vectors_carry_the_asserts_and_show_says_where_a_debug_build_stops():
    v = vec.load(RISCV_ANY / "flush-before-free.json")
    assert v["calls"][0]["asserts"] == [UNREACHABLE]
    assert f"a debug build stops here: {UNREACHABLE}" in render(v)
    v["calls"][0]["asserts"] = []
    assert vec.validate(v, vec.schema())  # present means at least one


def test_an_assert_list_that_differs_from_the_c_is_a_difference():
    assert assert_differences(0, [UNREACHABLE], [UNREACHABLE]) == []
    assert assert_differences(0, [ASSERT_LEVEL, UNREACHABLE], [UNREACHABLE, ASSERT_LEVEL]) == []
    missed = assert_differences(1, [], [UNREACHABLE])
    extra = assert_differences(1, [UNREACHABLE, UNREACHABLE], [UNREACHABLE])
    assert missed == [f"call 2: failed ASSERTs differ: model [], C [{UNREACHABLE}]"]
    assert len(extra) == 1 and "failed ASSERTs differ" in extra[0]
    other = assert_differences(0, [], ["put_page on a page without a reference"])
    assert other == ["call 1: in the C, put_page on a page without a reference"]


@pytest.fixture
def cc() -> str:
    return c_compiler()


@pytest.mark.parametrize("name", ["flush-before-free", "no-leak", "return", "reserved"])
def test_riscv_any_vectors_fail_the_asserts_the_c_does(cc, name):
    from proofs.systems.p2m.c_harness import P2MHarness

    h = P2MHarness(str(xen_file("riscv-pt-upstream", "xen/arch/riscv/p2m.c")), cc)
    try:
        v = vec.load(RISCV_ANY / f"{name}.json")
        assert h.compare(v) == []
        wrong = copy.deepcopy(v)
        wrong["calls"][-1]["asserts"] = wrong["calls"][-1].get("asserts", []) + [ASSERT_LEVEL]
        assert any("failed ASSERTs differ" in p for p in h.compare(wrong))
    finally:
        h.close()


def test_the_old_no_leak_trace_matches_the_c_freeing_below_level_0(cc):
    """The C frees root page 0 into the pool; the driver prints the root pages always, as the
    model keeps them, so the tables compare (C and model: root[0] = 0xd0)."""
    from proofs.systems.p2m.c_harness import P2MHarness
    from proofs.systems.p2m.vectors import ConcreteCall, build, machine_of

    mach = machine_of("riscv-p2m-upstream@any")
    m = mach.m
    calls = [ConcreteCall(1, 0, 0x80000, m.EXT_STORAGE), ConcreteCall(0, 0, 0, m.P2M_INVALID)]
    v = build(mach, None, None, calls, 0, 0, mach.bounds(), "z3", regression=("no-leak", "old trace", "test"))
    assert v["calls"][1]["asserts"] == [ASSERT_LEVEL] * 4 and v["expected"]["pool_handed_out"] == 0
    h = P2MHarness(str(xen_file("riscv-pt-upstream", "xen/arch/riscv/p2m.c")), cc)
    try:
        assert h.compare(v) == []
    finally:
        h.close()


def test_arm_any_refcount_fails_the_paddr_assert_the_c_does(cc):
    from proofs.systems.p2m.arm_c_harness import ArmP2MHarness

    h = ArmP2MHarness(str(xen_file("riscv-pt-upstream", "xen/arch/arm/mmu/p2m.c")), cc)
    try:
        v = vec.load(ARM_ANY / "refcount.json")
        assert v["calls"][0]["asserts"] == [PADDR_ARM] and h.compare(v) == []
        v["calls"][0].pop("asserts")
        assert any("failed ASSERTs differ" in p for p in h.compare(v))
    finally:
        h.close()
