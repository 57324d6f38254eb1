"""Each p2m invariant on a hand-made state (or call) that breaks it and one that keeps it."""
from __future__ import annotations

from dataclasses import replace

import pytest

from model.arm.p2m import ArmP2MUpstream
from model.riscv.p2m_state import INVALID_MFN, ROOT_PAGES, Oracle, P2MGeometry, P2MState
from model.riscv.p2m_upstream import RiscvP2MUpstream
from model.riscv.p2m_v2 import RiscvP2MV2
from model.term import FALSE, TRUE, bv
from proofs.systems.p2m.theorem import CLAIMS as OBLIGATIONS, Call, metadata
from proofs.systems.p2m.split import _claim

GEO = P2MGeometry(idx_bits=1, pool=2)


def call(m, st, gfn, level, mfn, t, fails=()):
    c = Call(bv(gfn, 64), level, bv(mfn, 64), bv(t, 4))
    post, _ = m.call(st, c.gfn, level, c.mfn, c.t, Oracle(list(fails)))
    return post, c


def holds(oid, m, pre, post=None, c=None, other=0):
    ob = OBLIGATIONS[oid]
    if ob.kind == "state":
        return bool(ob.holds(m, post if post is not None else pre))
    return bool(ob.holds(m, pre, post, c, bv(other, 64)))


def mapped(cls=RiscvP2MUpstream, watch=0x31, geo=GEO):
    """A 4K RAM leaf at gfn 1 (two table pages in use)."""
    m = cls(geo)
    st, _ = call(m, P2MState.initial(geo, bv(watch, 44)), 1, 0, 0x30, m.RAM_RW)
    return m, st


def set_cell(st, page, idx, value):
    c = st.cell(page, idx)
    return replace(st, cells=st.cells[:c] + (bv(value, 64),) + st.cells[c + 1:])


def test_well_formed():
    m, st = mapped()
    assert holds("well-formed", m, st)
    # the root entry now points at the free pool page 5 as a second table
    broken = set_cell(st, 0, 1, m.page_to_p2m_table(bv(ROOT_PAGES + 1, 16)).v)
    broken = replace(broken, free=(broken.free[0], TRUE))
    assert not holds("well-formed", m, broken)
    # a leaf at level 0 pointing ... the level-1 table linked twice
    twice = set_cell(st, 0, 1, st.cells[st.cell(0, 0)].v)
    assert not holds("well-formed", m, twice)


def test_well_formed_clause_by_clause():
    """Each change breaks one clause of well-formed alone: a table entry to a page back in the
    pool, a pointer at level 0 (to a third page, in use and linked once); a leaf whose type
    bits say "external" with no metadata page breaks `metadata` (upstream keeps the type
    out of well-formed), and with its metadata page but no foreign type in the slot too."""
    m, st = mapped()
    assert holds("well-formed", m, st)
    assert not holds("well-formed", m, replace(st, free=(st.free[0], TRUE)))  # the level-0 table freed
    leaf = st.cells[st.cell(ROOT_PAGES + 1, 1)].v
    external = set_cell(st, ROOT_PAGES + 1, 1, (leaf & ~0x300) | (m.EXT_STORAGE << 8))
    assert holds("well-formed", m, external) and bool(metadata(m, st))
    assert not bool(metadata(m, external))  # no metadata page
    with_page = replace(external, md_page=external.md_page[:ROOT_PAGES + 1] + (bv(ROOT_PAGES + 1, 16),)
                        + external.md_page[ROOT_PAGES + 2:])
    assert not bool(metadata(m, with_page))  # a metadata page, p2m_invalid in the slot
    geo3 = P2MGeometry(idx_bits=1, pool=3)
    m3 = RiscvP2MUpstream(geo3)
    st3, _ = call(m3, P2MState.initial(geo3, bv(0x31, 44)), 1, 0, 0x30, m3.RAM_RW)
    assert holds("well-formed", m3, st3)
    third = replace(st3, free=(st3.free[0], st3.free[1], FALSE))
    assert holds("well-formed", m3, third)  # in use but unlinked: well-formed says nothing (no-leak does)
    pointer = set_cell(third, ROOT_PAGES + 1, 0, m3.page_to_p2m_table(bv(ROOT_PAGES + 2, 16)).v)
    assert not holds("well-formed", m3, pointer)


def test_no_leak():
    m, st = mapped()
    assert holds("no-leak", m, st)
    unlinked = set_cell(st, 0, 0, 0)  # the tables are in use but no longer reachable
    assert not holds("no-leak", m, unlinked)


def test_reserved():
    m, st = mapped()
    assert holds("reserved", m, st)
    leaf = st.cells[st.cell(ROOT_PAGES + 1, 1)].v
    assert not holds("reserved", m, set_cell(st, ROOT_PAGES + 1, 1, leaf & ~0x2))  # W without R
    assert not holds("reserved", m, set_cell(st, ROOT_PAGES + 1, 1, leaf & ~0x10))  # no U


def test_flush_before_free():
    m, st = mapped()
    post, c = call(m, st, 0, 1, INVALID_MFN, 0)  # frees the level-0 table after a flush
    assert holds("flush-before-free", m, st, post, c)

    class NoFlush(RiscvP2MUpstream):
        def p2m_tlb_flush_sync(self, st, g):
            return st

    bad = NoFlush(GEO)
    post, c = call(bad, st, 0, 1, INVALID_MFN, 0)
    assert bool(post.ev_free_walkable)
    assert not holds("flush-before-free", bad, st, post, c)


def _clean_free():
    """Upstream removing the 2M range over the 4K leaf: a table freed after its flush."""
    m, st = mapped()
    post, c = call(m, st, 0, 1, INVALID_MFN, 0)
    return m, st, post, c


def _first_true(flags: tuple) -> tuple:
    return (TRUE,) + tuple(flags[1:])


#: flush-before-free, clause by clause: each change to the clean post-state breaks one clause
FREE_CLAUSES = {
    "no page freed while a walk may use it": lambda m, post: replace(post, ev_free_walkable=TRUE),
    "nothing left to flush": lambda m, post: replace(post, need_flush=TRUE),
    "no TLB entry stale": lambda m, post: replace(post, stale=_first_true(post.stale)),
    # a linked (reachable, in use) page a walk may not use: only 'walkable = linked' breaks
    "walkable pages are the linked ones": lambda m, post: replace(
        post, walkable=tuple(FALSE if bool(r) else w for w, r in zip(post.walkable, m.reachable(post)))),
    "no free page walkable": lambda m, post: replace(post, walkable=tuple(TRUE for _ in post.walkable)),
}


@pytest.mark.parametrize("clause", list(FREE_CLAUSES))
def test_flush_before_free_clause_by_clause(clause):
    m, st, post, c = _clean_free()
    assert holds("flush-before-free", m, st, post, c)  # the keeping case
    assert not holds("flush-before-free", m, st, FREE_CLAUSES[clause](m, post), c)


def test_refcount():
    m, st = mapped(watch=0x50, geo=P2MGeometry(idx_bits=1, pool=3))  # room for the metadata page
    post, c = call(m, st, 0, 0, 0x50, m.FOREIGN_RW)  # next to gfn 1: no new table
    assert holds("refcount", m, st, post, c) and not bool(post.ev_crash)
    # upstream: replacing the foreign leaf by RAM at another frame clears its metadata
    # slot first, so p2m_free_subtree reads p2m_invalid and puts nothing
    post2, c2 = call(m, post, 0, 0, 0x60, m.RAM_RW)
    assert int(post2.refs) == 1 and int(m.live_foreign_maps(post2)) == 0
    assert not holds("refcount", m, post, post2, c2)


def test_footprint_and_type_preserved():
    for oid in ("footprint", "type-preserved"):
        m = RiscvP2MUpstream(GEO)
        st, _ = call(m, P2MState.initial(GEO, bv(0, 44)), 2, 1, 0x40, m.RAM_RW)
        post, c = call(m, st, 2, 0, 0x99, m.MMIO_DIRECT_IO)
        assert holds(oid, m, st, post, c, other=3)
        v2 = RiscvP2MV2(GEO)
        st, _ = call(v2, P2MState.initial(GEO, bv(0, 44)), 2, 1, 0x40, v2.RAM_RW)
        post, c = call(v2, st, 2, 0, 0x99, v2.MMIO_DIRECT_IO)
        assert not holds(oid, v2, st, post, c, other=3)
        assert holds(oid, v2, st, post, c, other=2)  # the frame it was asked to map


#: footprint, field by field: the leaf of frame 3 (outside the call) changed in one field only
LEAF_FIELDS = {"frame": 1 << 10, "permissions": 1 << 3, "type": 3 << 8}  # PPN bit 0; X; RAM_RW -> MMIO


def _leaf_cell(m, st, gfn: int) -> int:
    """The cell holding the leaf that translates `gfn` (the one whose PPN bit 0 moves the frame by one)."""
    want = int(m.translate(st, bv(gfn, 64))[1])
    for k, e in enumerate(st.cells):
        moved = replace(st, cells=st.cells[:k] + (bv(int(e) ^ (1 << 10), 64),) + st.cells[k + 1:])
        ok, mfn = m.translate(moved, bv(gfn, 64))[:2]
        if bool(ok) and int(mfn) == want ^ 1:  # still a translation, one frame off: the leaf itself
            return k
    raise AssertionError(f"no leaf translates gfn {gfn}")


@pytest.mark.parametrize("field", list(LEAF_FIELDS))
def test_footprint_field_by_field(field):
    m = RiscvP2MUpstream(GEO)
    st, _ = call(m, P2MState.initial(GEO, bv(0, 44)), 2, 1, 0x40, m.RAM_RW)
    post, c = call(m, st, 2, 0, 0x99, m.MMIO_DIRECT_IO)
    assert holds("footprint", m, st, post, c, other=3)
    k = _leaf_cell(m, post, 3)
    changed = replace(post, cells=post.cells[:k] + (bv(int(post.cells[k]) ^ LEAF_FIELDS[field], 64),)
                      + post.cells[k + 1:])
    assert not holds("footprint", m, st, changed, c, other=3)


def test_footprint_sees_a_type_kept_in_the_metadata_page():
    """A leaf whose type lives in the metadata slot (bits 8-9 = external): changing only the
    slot changes only the type, and footprint (outside the call) notices."""
    m = RiscvP2MUpstream(GEO)
    st, _ = call(m, P2MState.initial(GEO, bv(0, 44)), 2, 1, 0x40, m.RAM_RW)
    post, c = call(m, st, 2, 0, 0x99, m.MMIO_DIRECT_IO)
    k = _leaf_cell(m, post, 3)
    external = (int(post.cells[k]) & ~0x300) | (m.EXT_STORAGE << 8)

    page = k // GEO.entries

    def with_md(t: int) -> P2MState:  # the leaf's table page gets a metadata page
        return replace(post, cells=post.cells[:k] + (bv(external, 64),) + post.cells[k + 1:],
                       md=post.md[:k] + (bv(t, post.md[k].width),) + post.md[k + 1:],
                       md_page=post.md_page[:page] + (bv(ROOT_PAGES, 16),) + post.md_page[page + 1:])

    before, after = with_md(m.FOREIGN_RW), with_md(m.FOREIGN_RO)
    assert [int(x) for x in m.translate(before, bv(3, 64))[1:3]] == \
        [int(x) for x in m.translate(after, bv(3, 64))[1:3]]  # same frame and permissions
    assert holds("footprint", m, before, before, c, other=3)
    assert not holds("footprint", m, before, after, c, other=3)


def test_bbm():
    for cls, keeps in ((ArmP2MUpstream, True), (RiscvP2MUpstream, False)):
        m = cls(GEO)
        st, _ = call(m, P2MState.initial(GEO, bv(0, 44)), 0, 1, 0x40, m.RAM_RW)
        post, c = call(m, st, 0, 0, 0x99, m.RAM_RW)  # split, then replace a valid leaf
        assert holds("bbm", m, st, post, c) is keeps


def test_split_preserves():
    w = bv
    for cls, keeps in ((RiscvP2MUpstream, True), (RiscvP2MV2, False)):
        m = cls(P2MGeometry(mode="sv57x4", idx_bits=9, pool=1))
        sp = m.pte_set_mfn(w(0xDF, 64), w(1 << 36, 44))  # a level-4 RWX leaf, U/A/D
        pre, same, _ = _claim(m, 4, 3, sp, w(0, 64), w(33 << 27, 64), w(0, 4))
        assert bool(pre) and bool(same) is keeps
        pre, same, _ = _claim(m, 4, 3, sp, w(0, 64), w(31 << 27, 64), w(0, 4))
        assert bool(same)  # below the 32-bit overflow both agree


def test_a_foreign_leaf_whose_metadata_page_cannot_be_allocated_crashes_the_domain():
    """p2m_set_type: with both pool pages taken by the tables, the metadata page cannot be
    allocated: domain_crash, and the leaf is written with type bits 0 (p2m_invalid) while
    the caller keeps its reference (refcount breaks on the C's own path)."""
    m, st = mapped(watch=0x50)
    post, c = call(m, st, 0, 0, 0x50, m.FOREIGN_RW)
    assert bool(post.ev_crash)
    leaf = int(post.cells[post.cell(ROOT_PAGES + 1, 0)])
    assert leaf & 1 and (leaf >> 8) & 3 == 0
    assert not holds("refcount", m, st, post, c)
    assert bool(metadata(m, post))  # no leaf says p2m_ext_storage


def test_replacing_the_last_foreign_leaf_of_a_table_frees_the_metadata_page_it_then_reads():
    """p2m_set_type for the new RAM leaf clears the last external slot: used_entries drops
    to 0 and the metadata page is freed; p2m_free_subtree of the replaced foreign leaf then
    calls p2m_get_type, which maps v.md.pg: NULL (2 calls, no allocation failing)."""
    geo = P2MGeometry(idx_bits=1, pool=3)
    m = RiscvP2MUpstream(geo)
    st, _ = call(m, P2MState.initial(geo, bv(0x40, 44)), 4, 0, 0x40, m.FOREIGN_RW)
    post, c = call(m, st, 4, 0, 0x41, m.RAM_RW)
    assert bool(post.ev_md_missing) and not bool(post.ev_crash)
    assert bool(metadata(m, post)) and not holds("metadata", m, st, post, c)
    assert sum(not bool(f) for f in post.free) == 2  # the metadata page went back to the pool


def test_a_failed_split_metadata_allocation_leaves_children_without_their_page():
    """The finding: a foreign 2M leaf split when the pool has no page left for the new
    table's metadata page: the children keep p2m_ext_storage without a metadata page
    (`metadata` breaks) and freeing the replaced child maps the missing page."""
    geo = P2MGeometry(idx_bits=1, pool=3)
    m = RiscvP2MUpstream(geo)
    st, _ = call(m, P2MState.initial(geo, bv(0x40, 44)), 4, 1, 0x40, m.FOREIGN_RW)
    assert bool(metadata(m, st)) and not bool(st.ev_crash)
    post, c = call(m, st, 5, 0, 0x48, m.RAM_RW)
    assert bool(post.ev_crash) and bool(post.ev_md_missing)
    assert not bool(metadata(m, post)) and holds("well-formed", m, post) and holds("no-leak", m, post)


@pytest.mark.parametrize("cls,broken", [(RiscvP2MUpstream, True), (RiscvP2MV2, True), (ArmP2MUpstream, False)])
def test_in_bounds_a_1g_map_over_4k_tables_frees_past_the_table_below(cls, broken):
    """in-bounds: p2m_free_subtree below a root entry loops P2M_PAGETABLE_ENTRIES(p2m, 2),
    4 x the level-1 table's entries (RISC-V upstream and seed 003); Arm's p2m_free_entry
    loops XEN_PT_LPAE_ENTRIES (keeps it).  A 4K map, then the 1G range over it."""
    m, st = mapped(cls)
    post, c = call(m, st, 0, 2, 0x40000, m.RAM_RW)
    assert bool(post.ev_oob) is broken
    assert holds("in-bounds", m, st, post, c) is not broken
    again, c2 = call(m, post, 0x10000, 0, 0x30, m.RAM_RW)  # a call that frees no table keeps it
    assert holds("in-bounds", m, post, again, c2)


def test_return_holds_for_a_map_a_removal_and_an_einval():
    """`return`: 0 after a map that translates as asked (every frame of the range), 0 after
    a removal (nothing translates), -EINVAL for a gfn beyond the root, each kept."""
    m, st = mapped()
    post, c = call(m, st, 0, 0, 0x44, m.RAM_RW)
    assert int(post.rc) == 0 and holds("return", m, st, post, c, other=0) and holds("return", m, st, post, c, other=1)
    gone, c = call(m, post, 0, 0, INVALID_MFN, m.RAM_RW)
    assert int(gone.rc) == 0 and holds("return", m, post, gone, c, other=0)
    full, c = call(m, st, 2, 0, 0x44, m.RAM_RW)  # no pool page left for gfn 2's table
    assert int(full.rc) == (1 << 32) - 12 and holds("return", m, st, full, c, other=2)
    bad, c = call(m, st, 1 << 40, 0, 0x44, m.RAM_RW)
    assert int(bad.rc) == (1 << 32) - 22 and holds("return", m, st, bad, c, other=1 << 40)


def test_return_breaks_when_a_call_says_0_and_the_frame_is_not_as_asked():
    """The metadata page cannot be allocated (pool full): domain_crash, the leaf keeps type
    bits p2m_invalid, and p2m_set_entry returns 0 (upstream p2m.c: p2m_set_type returns void)."""
    m, st = mapped(watch=0x50)
    post, c = call(m, st, 0, 0, 0x50, m.FOREIGN_RW)
    assert bool(post.ev_crash) and int(post.rc) == 0
    assert not holds("return", m, st, post, c, other=0)
    assert holds("return", m, st, post, c, other=1)  # outside the range: not its business
    # a positive rc is no errno, 0 with nothing done is wrong too
    from dataclasses import replace as _r
    ok, c = call(m, st, 0, 0, 0x44, m.RAM_RW)
    assert not holds("return", m, st, _r(ok, rc=bv(3, 32)), c, other=0)
    assert not holds("return", m, st, _r(st, rc=bv(0, 32)), c, other=0)
