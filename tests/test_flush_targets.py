"""Flushes carry their targets (issue 17): the range a RISC-V flush_tlb_range_va covers and
the harts a p2m flush reaches, against the TLB ghost's stale pages and harts.

pt.c flushes with flush_tlb_range_va(0, 0), sbi_remote_sfence_vma's whole address space;
p2m.c fences d->dirty_cpumask.  Each test has the C's flush (keeping) and a narrower one,
the catalogue's mutant (breaking).
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from helpers import ALL_VERSIONS, MFN, PAGE, SUPER, UPSTREAM, VA, destroy, holds, map_, populate, run_steps, variant
from model.riscv.machine import ALL_PAGES, LEVEL_BITS, PC_LOOP, Exec, initial_state
from model.riscv.p2m_state import ALL_HARTS, CURRENT_HART, INVALID_MFN, NR_HARTS, P2MState
from model.riscv.p2m_upstream import RiscvP2MUpstream
from model.riscv.pte import PAGE_HYPERVISOR_RW, PTE_SMALL, PTE_VALID
from model.term import TRUE, bv
from proofs.mutant import select
from proofs.systems.trace_vectors import last_flush
from test_p2m_invariants import GEO, call, holds as p2m_holds, mapped

HULL = (VA >> 12, (VA >> 12) + 1)  # two stale pages


def _mutant(mutation: str, base: str):
    (m,) = [x for x in select([mutation]) if x.base == base]
    return m.model_class()


def _flushed(start: int, size: int) -> bool:
    """Is the TLB ghost clean after sbi_remote_sfence_vma(NULL, start, size) with HULL stale?"""
    v = variant(UPSTREAM)
    s = replace(initial_state(v.geo), tlb_stale=TRUE, stale_lo=bv(HULL[0], 64), stale_hi=bv(HULL[1], 64))
    x = Exec(v.geo, s)
    v.sbi_remote_sfence_vma(x, TRUE, bv(start, 64), bv(size, 64))
    return not bool(x.state.tlb_stale)


def test_sbi_remote_sfence_vma_whole_space_or_the_range():
    """(0, 0) and size 2^XLEN - 1 are the whole address space; otherwise [start, start + size)
    must reach every stale page; a range that wraps reaches none."""
    assert _flushed(0, 0) and _flushed(0, (1 << 64) - 1) and _flushed(VA + PAGE, (1 << 64) - 1)
    assert _flushed(VA, 2 * PAGE) and _flushed(VA - PAGE, 3 * PAGE)
    assert not _flushed(VA, PAGE) and not _flushed(VA + PAGE, PAGE) and not _flushed(VA, 0)
    assert not _flushed(VA + PAGE, (1 << 64) - 2 * PAGE)  # wraps


def test_the_stale_hull_is_the_changed_leaves_and_a_table_is_every_page():
    """A leaf's change is stale for the pages it maps (a 2M leaf: 512); a new table entry for
    every page (an SFENCE.VMA with an address orders only that address's leaf entries)."""
    v = variant(UPSTREAM)
    steps = run_steps(v, [populate(VA, 2)])
    first = steps[1].post  # populate's first iteration linked two tables, in the loop still
    assert int(first.pc) == PC_LOOP and bool(first.tlb_stale)
    assert (int(first.stale_lo), int(first.stale_hi)) == tuple(int(w) for w in ALL_PAGES)
    s = steps[-1].post  # clean: the tables exist
    for spec, pages in ((map_(VA, MFN, 2, PAGE_HYPERVISOR_RW | PTE_SMALL), 1),
                        (map_(VA + SUPER, MFN, 1024, PAGE_HYPERVISOR_RW), 512)):
        st = run_steps(v, [spec], s)[1]  # the first iteration, in the loop still
        base = (VA if pages == 1 else VA + SUPER) >> 12
        assert int(st.post.pc) == PC_LOOP and bool(st.post.tlb_stale)
        assert (int(st.post.stale_lo), int(st.post.stale_hi)) == (base, base + pages - 1)


def test_an_entry_that_is_or_becomes_a_table_is_stale_everywhere():
    """pt_update_entry's span: a leaf's own pages; every page when the old or the new entry is
    a table (no version writes one there, but a patch could)."""
    v = variant(UPSTREAM)
    table, leaf = bv(v.geo.pool_base << 10 | PTE_VALID, 64), bv(MFN << 10 | PAGE_HYPERVISOR_RW, 64)
    at = (bv(VA, 64), bv(1, LEVEL_BITS))
    assert tuple(int(w) for w in v.stale_span(*at, leaf, bv(0, 64))) == (VA >> 12, (VA >> 12) + 511)
    for old, new in ((table, bv(0, 64)), (bv(0, 64), table), (table, leaf)):
        assert tuple(int(w) for w in v.stale_span(*at, old, new)) == tuple(int(w) for w in ALL_PAGES)


@pytest.mark.parametrize("name", ALL_VERSIONS)
@pytest.mark.parametrize("mutation, ok", [(None, True), ("flush-one-page", False), ("flush-request-range", False)])
def test_tlb_after_a_first_map_needs_the_whole_space(name, mutation, ok):
    """A first map links new tables: only flush_tlb_range_va(0, 0) covers them."""
    v = variant(name if mutation is None else _mutant(mutation, name))
    steps = run_steps(v, [map_(VA, MFN, 2, PAGE_HYPERVISOR_RW | PTE_SMALL)])
    assert int(steps[-1].post.rc) == 0
    assert holds("tlb", v, steps[-1], VA) == ok and bool(steps[-1].post.tlb_stale) == (not ok)


@pytest.mark.parametrize("name", ALL_VERSIONS)
@pytest.mark.parametrize("mutation, ok", [(None, True), ("flush-one-page", False), ("flush-request-range", True)])
def test_tlb_over_existing_tables_needs_the_leaves_changed(name, mutation, ok):
    """Two 4K leaves removed from tables a real call made: the request's range covers them,
    one page does not."""
    s = run_steps(variant(name), [map_(VA, MFN, 2, PAGE_HYPERVISOR_RW | PTE_SMALL)])[-1].post
    v = variant(name if mutation is None else _mutant(mutation, name))
    steps = run_steps(v, [destroy(VA, VA + 2 * PAGE)], s)
    assert int(steps[-1].post.rc) == 0
    assert holds("tlb", v, steps[-1], VA) == ok


@pytest.mark.parametrize("mutation, ok", [(None, True), ("flush-one-page", False), ("flush-request-range", True)])
def test_a_superpage_removed_is_stale_for_its_512_pages(mutation, ok):
    """Upstream destroys a 2M leaf: one page flushed leaves 511 of its pages stale."""
    s = run_steps(variant(UPSTREAM), [map_(VA, MFN, 512, PAGE_HYPERVISOR_RW)])[-1].post
    v = variant(UPSTREAM if mutation is None else _mutant(mutation, UPSTREAM))
    steps = run_steps(v, [destroy(VA, VA + SUPER)], s)
    assert int(steps[-1].post.rc) == 0 and holds("tlb", v, steps[-1], VA) == ok
    if not ok:
        assert (int(steps[-1].post.stale_lo), int(steps[-1].post.stale_hi)) == (VA >> 12, (VA >> 12) + 511)


@pytest.mark.parametrize("mutation, flush", [(None, (0, 0)), ("flush-one-page", (VA, PAGE)),
                                             ("flush-request-range", (VA, 2 * PAGE))])
def test_a_trace_records_the_flush_the_call_made(mutation, flush):
    """The trace vector's call carries its flush_tlb_range_va arguments (compared with the C's,
    `proofs/c_harness.py`); pt.c's (0, 0) is left out of the vector."""
    v = variant(UPSTREAM if mutation is None else _mutant(mutation, UPSTREAM))
    assert last_flush(run_steps(v, [map_(VA, MFN, 2, PAGE_HYPERVISOR_RW | PTE_SMALL)])) == flush


# -- p2m: the harts a flush reaches ------------------------------------------------------------

CURRENT = 1 << CURRENT_HART


@pytest.mark.parametrize("harts, narrow_ok", [(ALL_HARTS, False), (CURRENT, True)])
def test_p2m_flush_reaches_every_hart_the_domain_ran_on(harts, narrow_ok):
    """Removing the 2M range over a 4K leaf frees its level-0 table after p2m_tlb_flush_sync.
    d->dirty_cpumask reaches every hart that may hold the domain's translations; a flush of
    the current hart only is enough exactly when the domain ran nowhere else."""
    narrow = _mutant("flush-current-hart-only", "riscv-p2m-upstream")(GEO)
    for m, ok in ((RiscvP2MUpstream(GEO), True), (narrow, narrow_ok)):
        _, st = mapped()
        st = replace(st, harts=bv(harts, NR_HARTS))
        post, c = call(m, st, 0, 1, INVALID_MFN, 0)
        assert bool(post.flushed)
        assert p2m_holds("flush-before-free", m, st, post, c) == ok
        assert bool(post.ev_free_walkable) == (not ok)


def test_p2m_harts_are_every_hart_from_the_initial_state():
    assert int(P2MState.initial(GEO, bv(0x31, 44)).harts) == ALL_HARTS
