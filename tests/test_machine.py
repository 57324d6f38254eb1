"""Concrete semantics of each version's pt.c, checked against what the C does.

Every expectation below was read off the C code: upstream pt.c (xen master),
v9 as merged (557b7f1b9a) and v5 as posted (seed 000_8afac2f4e5276757).
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from helpers import (
    ALL_VERSIONS,
    L0_TABLE,
    L1_TABLE,
    MFN,
    PAGE,
    ROOT,
    SUPER,
    UPSTREAM,
    V5,
    V9,
    VA,
    call_prefix,
    call_steps,
    destroy,
    done_writes,
    entries,
    handed_out,
    leaf,
    leaf_entry,
    map_,
    modify,
    pc,
    populate,
    rc,
    run_calls,
    run_steps,
    tr,
    variant,
    vpns,
    write_mem,
)
from model.riscv.machine import (
    EINVAL,
    ENOENT,
    ENOMEM,
    EOPNOTSUPP,
    INVALID_MFN,
    PC_HALTED,
    PC_IDLE,
    PC_LOOP,
    initial_state,
)
from model.riscv.pte import (
    PAGE_HYPERVISOR_NOCACHE,
    PAGE_HYPERVISOR_RO,
    PAGE_HYPERVISOR_RW,
    PAGE_HYPERVISOR_RX,
    PAGE_HYPERVISOR_WC,
    PTE_EXECUTABLE,
    PTE_PBMT_IO,
    PTE_PBMT_MASK,
    PTE_PBMT_NOCACHE,
    PTE_SMALL,
    PTE_TABLE,
    PTE_VALID,
    PTE_WRITABLE,
)

WRAPPED = 2**64  # `left` is an unsigned long

each_version = pytest.mark.parametrize("name", ALL_VERSIONS)


# -- inserting ------------------------------------------------------------------------

@each_version
def test_map_one_page_read_write(name):
    v = variant(name)
    s, results = run_calls(v, [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW)])
    assert results == [(0, 1)]
    assert leaf(v, s, VA) == (MFN, 0, "rw")
    assert leaf(v, s, VA + PAGE) is None
    assert int(s.next_free) == 2  # a level-1 and a level-0 table
    assert entries(s, L1_TABLE) == {1: (L0_TABLE << 10) | PTE_TABLE}
    assert entries(s, L0_TABLE) == {0: leaf_entry(MFN, PAGE_HYPERVISOR_RW)}


@each_version
@pytest.mark.parametrize("small, iterations, tables, level", [
    (0, 1, 1, 1),  # a superpage by default: one level-1 leaf, no level-0 table
    (PTE_SMALL, 512, 2, 0),  # PTE_SMALL: 512 level-0 leaves
], ids=["superpage", "small"])
def test_map_2m_aligned_range(name, small, iterations, tables, level):
    v = variant(name)
    s, results = run_calls(v, [map_(VA, MFN, 512, PAGE_HYPERVISOR_RW | small)])
    assert results == [(0, iterations)]
    assert int(s.next_free) == tables
    for page in (0, 5, 511):
        assert leaf(v, s, VA + page * PAGE) == (MFN + page, level, "rw")
    assert leaf(v, s, VA + SUPER) is None
    if level == 1:
        assert entries(s, L1_TABLE) == {1: leaf_entry(MFN, PAGE_HYPERVISOR_RW)}
    else:
        assert len(entries(s, L0_TABLE)) == 512


@each_version
def test_map_over_a_valid_entry_is_einval_without_writes(name):
    v = variant(name)
    steps = run_steps(v, [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW), map_(VA, MFN + 7, 1, PAGE_HYPERVISOR_RO)])
    assert rc(steps[-1].post) == -EINVAL
    assert done_writes(steps[-1]) == []
    assert leaf(v, steps[-1].post, VA) == (MFN, 0, "rw")


@each_version
@pytest.mark.parametrize("spec", [
    map_(VA, MFN, 1, PAGE_HYPERVISOR_RW | PTE_EXECUTABLE),  # W+X request
    map_(VA + 8, MFN, 1, PAGE_HYPERVISOR_RW),  # virt not page aligned
    destroy(VA, VA),  # s >= e: destroy_xen_mappings returns -EINVAL itself
    destroy(VA + PAGE, VA),
], ids=["wx-request", "unaligned-virt", "destroy-empty", "destroy-reversed"])
def test_rejected_before_the_loop(name, spec):
    v = variant(name)
    steps = call_steps(v, initial_state(v.geo), spec)
    assert len(steps) == 1  # the prologue returns at once
    s = steps[0].post
    assert (pc(s), rc(s)) == (PC_IDLE, -EINVAL)
    assert done_writes(steps[0]) == []
    assert s.mem.cells == {} and int(s.next_free) == 0


# -- allocation failure -------------------------------------------------------------------

@pytest.mark.parametrize("name, spec, want", [
    (V5, map_(VA, MFN, 1, PAGE_HYPERVISOR_RW), -ENOENT),  # MAP_FAILED with PTE_VALID
    (V9, map_(VA, MFN, 1, PAGE_HYPERVISOR_RW), -ENOMEM),
    (UPSTREAM, map_(VA, MFN, 1, PAGE_HYPERVISOR_RW), -ENOMEM),
    (V5, populate(VA, 1), 0),  # MAP_FAILED without PTE_VALID: rc 0, the loop moves on
    (V9, populate(VA, 1), -ENOMEM),
    (UPSTREAM, populate(VA, 1), -ENOMEM),
], ids=[f"{n}-{op}" for op in ("map", "populate") for n in ("v5", "v9", "upstream")])
def test_allocation_failure_with_one_pool_page(name, spec, want):
    v = variant(name, pool=1)
    s, results = run_calls(v, [spec])
    assert results == [(want, 1)]
    assert int(s.next_free) == 1  # the level-1 table; the level-0 one could not be had
    assert entries(s, L1_TABLE) == {}
    assert int(s.left) == (0 if want == 0 else 1)


# -- destroying and unmapped addresses ------------------------------------------------------

@pytest.mark.parametrize("name", [V5, V9])
def test_destroy_4k_inside_superpage_is_eopnotsupp(name):
    # pt_mapping_level gives level 0; the walk meets the level-1 leaf first.
    v = variant(name)
    s, results = run_calls(v, [map_(VA, MFN, 512, PAGE_HYPERVISOR_RW), destroy(VA + PAGE, VA + 2 * PAGE)])
    assert results == [(0, 1), (-EOPNOTSUPP, 1)]
    assert leaf(v, s, VA + PAGE) == (MFN + 1, 1, "rw")


@pytest.mark.parametrize("mapped, removed_pages", [
    (True, 512),  # the walk stops at the 2M leaf and removes all of it
    (False, 1 << 18),  # nothing mapped: the walk stops at the empty root entry
], ids=["inside-superpage", "unmapped"])
def test_upstream_destroy_4k_advances_by_the_leaf_level_and_overruns(mapped, removed_pages):
    # pt_update: `left -= 1UL << order` with the walk's level wraps, so
    # `while ( left )` keeps going past the one page asked for.
    v = variant(UPSTREAM)
    s = initial_state(v.geo)
    if mapped:
        s, _ = run_calls(v, [map_(VA, MFN, 512, PAGE_HYPERVISOR_RW)], s)
    steps = call_prefix(v, s, destroy(VA + PAGE, VA + 2 * PAGE), iterations=8)
    first = steps[1].post
    assert leaf(v, first, VA) is None and leaf(v, first, VA + 511 * PAGE) is None
    assert int(first.nr) == 1 and int(first.left) == (1 - removed_pages) % WRAPPED
    for st in steps[1:]:
        assert (pc(st.post), rc(st.post)) == (PC_LOOP, 0)
        assert int(st.post.left) > int(st.post.nr)


@pytest.mark.parametrize("name, spec, want", [
    # modify of an unmapped page: v5 MAP_FAILED with PTE_VALID; v9 MAP_NONE is
    # rc 0; upstream walks to the empty root entry and pt_check_entry refuses
    (V5, modify(VA, 1, PAGE_HYPERVISOR_RW), -ENOENT),
    (V9, modify(VA, 1, PAGE_HYPERVISOR_RW), 0),
    (UPSTREAM, modify(VA, 1, PAGE_HYPERVISOR_RW), -EINVAL),
    (V5, destroy(VA, VA + PAGE), 0),
    (V9, destroy(VA, VA + PAGE), 0),
], ids=["v5-modify", "v9-modify", "upstream-modify", "v5-destroy", "v9-destroy"])
def test_unmapped_page(name, spec, want):
    v = variant(name)
    s, results = run_calls(v, [spec])
    assert results == [(want, 1)]
    assert s.mem.cells == {} and int(s.next_free) == 0


# -- modifying -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, perms", [
    (V5, "rwx"),  # v5 copies the pte and ORs the new permissions in
    (V9, "rw"),  # v9 clears PTE_ACCESS_MASK first
    (UPSTREAM, "rw"),
])
def test_modify_rx_to_rw(name, perms):
    v = variant(name)
    s, results = run_calls(v, [map_(VA, MFN, 1, PAGE_HYPERVISOR_RX), modify(VA, 1, PAGE_HYPERVISOR_RW)])
    assert results == [(0, 1), (0, 1)]
    assert leaf(v, s, VA) == (MFN, 0, perms)


@pytest.mark.parametrize("name, rcs, end_pc, perms", [
    # v5's ASSERT(!mfn_eq(mfn, INVALID_MFN) || (flags & PTE_VALID)) lets it in: a modify
    (V5, [(0, 1), (0, 1)], PC_IDLE, "rwx"),
    # v9 and upstream ASSERT(!mfn_eq(mfn, INVALID_MFN) && (flags & PTE_VALID))
    (V9, [(0, 1), (None, 0)], PC_HALTED, "rw"),
    (UPSTREAM, [(0, 1), (None, 0)], PC_HALTED, "rw"),
])
def test_map_pages_to_xen_with_invalid_mfn(name, rcs, end_pc, perms):
    v = variant(name)
    s, results = run_calls(v, [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW),
                               map_(VA, INVALID_MFN, 1, PAGE_HYPERVISOR_RX)])
    assert results == rcs
    assert pc(s) == end_pc
    assert leaf(v, s, VA) == (MFN, 0, perms)


@pytest.mark.parametrize("name, flags, pbmt", [
    (UPSTREAM, PAGE_HYPERVISOR_NOCACHE, PTE_PBMT_IO),  # b3d5fad63a: PBMT from the flags
    (UPSTREAM, PAGE_HYPERVISOR_WC, PTE_PBMT_NOCACHE),
    (V9, PAGE_HYPERVISOR_NOCACHE, 0),  # only PTE_ACCESS_MASK is taken from the flags
    (V5, PAGE_HYPERVISOR_NOCACHE, 0),  # only PTE_RWX_MASK(flags)
], ids=["upstream-nocache", "upstream-wc", "v9-nocache", "v5-nocache"])
def test_pbmt_of_a_new_leaf(name, flags, pbmt):
    v = variant(name)
    s, results = run_calls(v, [map_(VA, MFN, 1, flags)])
    assert results == [(0, 1)]
    assert int(tr(v, s, VA).attrs) & PTE_PBMT_MASK == pbmt
    assert leaf(v, s, VA) == (MFN, 0, "rw")


# -- v5's read-only leaf read as a table -----------------------------------------------------

@pytest.mark.parametrize("name, want", [(V5, 0), (V9, -EOPNOTSUPP), (UPSTREAM, -EOPNOTSUPP)],
                         ids=ALL_VERSIONS)
def test_4k_map_inside_a_read_only_superpage(name, want):
    # v5's pte_is_mapping tests W|X only: the V|R leaf is followed as a table,
    # and the new entry is written into the superpage's first data frame.
    v = variant(name)
    steps = run_steps(v, [map_(VA, MFN, 512, PAGE_HYPERVISOR_RO),
                          map_(VA + PAGE, MFN + 0x1000, 1, PAGE_HYPERVISOR_RW)])
    last = steps[-1]
    assert rc(last.post) == want
    ro_leaf = leaf_entry(MFN, PAGE_HYPERVISOR_RO)
    descents = [(int(d.level), int(d.entry)) for d in last.descents if bool(d.guard)]
    if name == V5:
        assert (1, ro_leaf) in descents
        assert done_writes(last) == [(MFN, 1, leaf_entry(MFN + 0x1000, PAGE_HYPERVISOR_RW))]
    else:
        assert (1, ro_leaf) not in descents
        assert done_writes(last) == []
    assert leaf(v, last.post, VA + PAGE) == (MFN + 1, 1, "r")  # the MMU still sees the superpage


# -- the TLB ghost ---------------------------------------------------------------------------

SEQUENCES = {
    "map-small-then-destroy": [map_(VA, MFN, 3, PAGE_HYPERVISOR_RW | PTE_SMALL), destroy(VA, VA + 3 * PAGE)],
    "map-then-modify": [map_(VA, MFN, 2, PAGE_HYPERVISOR_RO | PTE_SMALL), modify(VA, 2, PAGE_HYPERVISOR_RW)],
    "populate-then-map": [populate(VA, 2), map_(VA, MFN, 2, PAGE_HYPERVISOR_RW)],
}


@each_version
@pytest.mark.parametrize("seq", SEQUENCES.values(), ids=SEQUENCES)
def test_tlb_stale_exactly_inside_calls_after_a_write(name, seq):
    v = variant(name)
    steps = run_steps(v, seq)
    assert all(pc(st.post) != PC_HALTED for st in steps)
    after_prologue = [bool(st.post.tlb_stale) for st in steps if pc(st.pre) == PC_IDLE]
    mid_call = [bool(st.post.tlb_stale) for st in steps if (pc(st.pre), pc(st.post)) == (PC_LOOP, PC_LOOP)]
    returned = [bool(st.post.tlb_stale) for st in steps if pc(st.post) == PC_IDLE]
    assert after_prologue == [False] * len(seq)  # nothing written yet
    assert mid_call and all(mid_call)  # every iteration of these calls writes
    assert returned == [False] * len(seq)  # flush_tlb_range_va(0, 0) at the end


# -- the predicates' ASSERT on a V|W entry -------------------------------------------------------


@pytest.mark.parametrize("name", [V9, UPSTREAM])
@pytest.mark.parametrize("spec", [
    # pt_check_entry (modify): pte_is_table(entry) ASSERTs
    modify(VA, 1, PAGE_HYPERVISOR_RW),
    # pt_check_entry (insert): `if ( pte_is_valid(entry) ) { if ( pte_is_mapping(entry) ) ...`
    map_(VA, MFN + 1, 1, PAGE_HYPERVISOR_RW),
], ids=["modify", "insert"])
def test_a_v_w_entry_at_the_target_halts_on_the_predicate_assert(name, spec):
    # A V|W (R clear) level-0 entry where the call lands.  pte_is_table() and
    # pte_is_mapping() both start with
    #     ASSERT((pte & PAGE_HYPERVISOR_RW) != (PTE_VALID | PTE_WRITABLE));
    v = variant(name)
    vpn2, vpn1, vpn0 = vpns(VA)
    cells = {(ROOT, vpn2): (L1_TABLE << 10) | PTE_TABLE, (L1_TABLE, vpn1): (L0_TABLE << 10) | PTE_TABLE,
             (L0_TABLE, vpn0): (MFN << 10) | PTE_VALID | PTE_WRITABLE}
    s = handed_out(replace(initial_state(v.geo), mem=write_mem(cells)),
                   [(1, (ROOT, vpn2)), (0, (L1_TABLE, vpn1))])
    steps = call_steps(v, s, spec)
    assert pc(steps[-1].post) == PC_HALTED


@pytest.mark.parametrize("name", [V9, UPSTREAM])
@pytest.mark.parametrize("mode", ["sv39", "sv48", "sv57"])
def test_every_table_allocation_can_fail_and_every_invariant_holds_there(name, mode):
    """The pool is the allocator: with `pool` pages left, a 4K map from the empty tree
    gets `pool` tables and fails at the next create_table, one level further down per
    page; each such path returns -ENOMEM, writes nothing for the failed table, and keeps
    every invariant at every step (the step proofs take the pool count free, so they
    cover a failure at any level from any state), but upstream's `pmap`: its -ENOMEM exit
    leaves the table the walk mapped still mapped (unmap_table(ptep), ptep NULL)."""
    from helpers import CLASSES, holds, run_steps
    from model.riscv.machine import Geometry
    from model.riscv.pte import MODES
    from proofs.systems.riscv_pt.theorem import INVARIANTS

    levels = MODES[mode].levels
    for pool in range(levels - 1):
        v = CLASSES[name](Geometry(MODES[mode], pool=pool))
        steps = run_steps(v, [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW)])
        last = steps[-1].post
        assert (rc(last), int(last.next_free)) == (-ENOMEM, pool)
        assert [int(w.level) for w in steps[-1].writes if bool(w.guard)] == \
            list(range(levels - 1, levels - 1 - pool, -1))  # one table link per page had
        leaks = name == UPSTREAM
        for st in steps:
            assert all(holds(i, v, st, VA) for i in INVARIANTS if i != "pmap"), (mode, pool)
        assert [holds("pmap", v, st, VA) for st in steps] == [True, not leaks], (mode, pool)
