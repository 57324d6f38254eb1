"""The p2m model run concretely: leaves, types, walks, splits, frees, the pool, set_range."""
from __future__ import annotations

import pytest

from model.arm.p2m import ArmP2MUpstream
from model.riscv.p2m_state import INVALID_MFN, Oracle, P2MGeometry, P2MState
from model.riscv.p2m_upstream import EINVAL, ENOENT, ENOMEM, RiscvP2MUpstream
from model.riscv.p2m_v2 import RiscvP2MV2
from model.riscv.pte import PTE_ACCESSED, PTE_DIRTY, PTE_PBMT_IO, PTE_USER
from model.term import bv

GEO = P2MGeometry(idx_bits=2, pool=3)  # 4 entries per table, 16 root entries


def run(m, st, gfn, level, mfn, t, fails=()):
    st, rc = m.call(st, bv(gfn, 64), level, bv(mfn, 64), bv(t, 4), Oracle(list(fails)))
    v = int(rc)
    return st, (v - (1 << 32) if v >> 31 else v)


def walk(m, st, gfn):
    ok, mfn, attrs, t = m.translate(st, bv(gfn, 64))
    return (int(mfn), int(attrs), int(t)) if bool(ok) else None


def fresh(cls=RiscvP2MUpstream, geo=GEO, watch=0x777):
    return cls(geo), P2MState.initial(geo, bv(watch, 44))


def test_leaf_has_u_ad_rwx_by_type_and_pbmt_for_mmio():
    m, st = fresh()
    st, rc = run(m, st, 0, 0, 0x100, m.RAM_RW)
    st, _ = run(m, st, 1, 0, 0x200, m.MMIO_DIRECT_IO)
    st, _ = run(m, st, 2, 0, 0x300, m.FOREIGN_RO)
    assert rc == 0
    ram, mmio, fro = walk(m, st, 0), walk(m, st, 1), walk(m, st, 2)
    assert ram[1] & 0xF == 0xF and ram[1] & PTE_USER and ram[1] & (PTE_ACCESSED | PTE_DIRTY)
    assert mmio[1] & 0xF == 0x7 and mmio[1] & PTE_PBMT_IO and not ram[1] & PTE_PBMT_IO
    assert fro[1] & 0xF == 0x3
    assert (ram[2], mmio[2], fro[2]) == (m.RAM_RW, m.MMIO_DIRECT_IO, m.FOREIGN_RO)
    assert (ram[1] >> 8) & 3 == 1 and (fro[1] >> 8) & 3 == 3  # foreign: p2m_ext_storage


def test_superpage_walk_and_split_keeps_every_other_frame():
    m, st = fresh()
    st, _ = run(m, st, 0, 1, 0x40, m.RAM_RW)  # 4-page "2M" superpage at gfn 0
    assert [walk(m, st, g)[0] for g in range(4)] == [0x40, 0x41, 0x42, 0x43]
    st, rc = run(m, st, 2, 0, 0x999, m.MMIO_DIRECT_IO)
    assert rc == 0
    assert [walk(m, st, g)[0] for g in range(4)] == [0x40, 0x41, 0x999, 0x43]
    assert walk(m, st, 1)[2] == m.RAM_RW and walk(m, st, 2)[2] == m.MMIO_DIRECT_IO


def test_v2_descend_loop_writes_the_4k_leaf_at_the_superpage_level():
    m, st = fresh(RiscvP2MV2)
    st, _ = run(m, st, 0, 1, 0x40, m.RAM_RW)
    st, rc = run(m, st, 2, 0, 0x999, m.MMIO_DIRECT_IO)
    assert rc == 0
    assert all(walk(m, st, g) is None for g in range(4))  # a misaligned "2M" leaf faults
    assert [bool(f) for f in st.free] == [False, True, True]  # the split table freed again


def test_out_of_range_gfn_is_einval_and_removing_nothing_is_0():
    m, st = fresh()
    st, rc = run(m, st, 1 << GEO.gfn_bits, 0, 0x1, m.RAM_RW)
    assert rc == -EINVAL
    st, rc = run(m, st, 5, 0, INVALID_MFN, 0)
    assert rc == 0 and all(bool(f) for f in st.free)


def test_allocation_failure_is_enomem_and_leaks_nothing():
    m, st = fresh()
    st2, rc = run(m, st, 5, 0, 0x10, m.RAM_RW, fails=[False, True])
    assert rc == -ENOMEM
    assert walk(m, st2, 5) is None
    assert [bool(f) for f in st2.free] == [False, True, True]  # the level-1 table stays linked
    assert bool(m.reachable(st2)[0])


def test_removing_frees_subtree_after_flush_and_puts_foreign_refs():
    m, st = fresh(watch=0x300)
    st, _ = run(m, st, 4, 0, 0x300, m.FOREIGN_RW)
    assert int(st.refs) == 1 and int(m.live_foreign_maps(st)) == 1
    st, rc = run(m, st, 4, 1, INVALID_MFN, 0)  # remove the 2M range holding the 4K table
    assert rc == 0 and int(st.refs) == 0
    assert [bool(f) for f in st.free] == [False, True, True]
    assert not bool(st.ev_free_walkable)


def test_set_range_returns_the_pages_left_on_failure():
    m, st = fresh()
    assert m.p2m_mapping_order(0, 0x40, 16) == 4  # 1G order at 2 index bits
    assert m.p2m_mapping_order(4, 0x44, 5) == 2
    st2, rc = m.p2m_set_range(st, 0, 6, 0x40, m.RAM_RW, Oracle())
    assert rc == 0 and walk(m, st2, 5)[0] == 0x45
    # gfn 1-3 take the level-1 and one level-0 table; gfn 4's level-0 table fails
    st3, rc = m.p2m_set_range(st, 1, 6, 0x41, m.RAM_RW, Oracle([False, False, True]))
    assert rc == 3  # gfn 4, 5, 6 left: a positive count, not -ENOMEM
    assert walk(m, st3, 3)[0] == 0x43 and walk(m, st3, 4) is None


def test_arm_set_range_puts_nr_in_the_mask_and_returns_the_errno():
    """Arm's p2m_set_entry (mmu/p2m.c): mask = mfn | gfn | nr, and the first failing
    __p2m_set_entry's errno is returned (RISC-V's p2m_set_range returns the frames left)."""
    m, st = fresh(ArmP2MUpstream)
    order2 = m.geo.level_order(2)
    assert m.p2m_mapping_order(0, 0x40, 1 << order2) == order2  # aligned nr: a FIRST_ORDER block
    assert m.p2m_mapping_order(0, 0x40, (1 << order2) + 1) == 0  # odd nr: 4K, RISC-V would block
    assert RiscvP2MUpstream.p2m_mapping_order(m, 0, 0x40, (1 << order2) + 1) == order2
    st2, rc = m.p2m_set_range(st, 1, 6, 0x41, m.RAM_RW, Oracle([False, False, True]))
    assert rc == -ENOENT  # the errno (GUEST_TABLE_MAP_FAILED), not the 3 frames left
    assert walk(m, st2, 1)[0] == 0x41


def test_arm_split_failure_frees_the_live_superpage_references():
    m, st = fresh(ArmP2MUpstream, watch=0x41)
    st, _ = run(m, st, 0, 1, 0x40, m.FOREIGN_RW)
    assert int(st.refs) == 1
    st, rc = run(m, st, 2, 0, 0x999, m.RAM_RW, fails=[True])
    assert rc == -ENOMEM
    assert walk(m, st, 1)[0] == 0x41  # still mapped ...
    assert int(st.refs) == 0 and int(m.live_foreign_maps(st)) == 1  # ... its reference gone


def test_full_width_split_of_1g_down_to_4k():
    geo = P2MGeometry(idx_bits=9, pool=2)
    m, st = fresh(geo=geo)
    st, _ = run(m, st, 0, 2, 0x40000, m.RAM_RW)
    st, rc = run(m, st, 0x12345, 0, 0x999, m.RAM_RW)
    assert rc == 0
    assert walk(m, st, 0x12345)[0] == 0x999
    assert walk(m, st, 0x12346)[0] == 0x52346 and walk(m, st, 0x3FFFF)[0] == 0x7FFFF


@pytest.mark.parametrize("cls", [RiscvP2MUpstream, ArmP2MUpstream])
def test_geometry_rejects_unknown_mode(cls):
    with pytest.raises(ValueError):
        cls(P2MGeometry(mode="sv32x4"))



ARM_INVALID_BLOCK = 0x4000000000077D  # valid, block, mattr MEM, read-only, SH inner, AF, XN, type 0


def arm_invalid_block():
    """A 2-frame block a caller mapped as p2m_invalid at gfn 0 (in the level-1 table 0x80004)."""
    m, st = fresh(ArmP2MUpstream, geo=P2MGeometry(idx_bits=1, pool=2))
    st, rc = run(m, st, 0, 1, 0x0, m.P2M_INVALID)
    assert rc == 0 and int(st.read(bv(4, 16), bv(0, 16))) == ARM_INVALID_BLOCK
    return m, st


def test_arm_maps_a_new_table_over_a_p2m_invalid_block_as_mmu_p2m_c_does():
    """mmu/p2m.c's p2m_next_level tests `!p2m_is_valid(*entry)` (the type): a p2m_invalid
    block (valid=1, type 0) gets a new table over it, not walked into as a table.  The
    descriptors are those the compiled mmu/p2m.c writes for this trace
    (counterexamples/arm-p2m-upstream@any/bbm.json, replayed on the C)."""
    m, st = arm_invalid_block()
    st, rc = run(m, st, 0, 0, 0x0, m.P2M_INVALID)
    assert rc == 0
    assert [int(st.read(bv(p, 16), bv(0, 16))) for p in (0, 4, 5)] == [
        0x800000800047FF, 0x800000800057FF, 0x4000000000077F]  # root -> 0x80004 -> 0x80005 -> page
    assert [bool(f) for f in st.free] == [False, False]  # C: 2 pool pages in use
    assert bool(st.stale[st.cell(4, 0)])  # the block was overwritten with no flush: still cached


def test_arm_walk_translates_through_a_p2m_invalid_block():
    """The stage-2 walker reads the valid and table bits, not the p2m type (software bits):
    the p2m_invalid block translates, read-only, until a table replaces it."""
    m, st = arm_invalid_block()
    assert walk(m, st, 1) == (0x1, ARM_INVALID_BLOCK & ~0xFFFFFFFFF000, m.P2M_INVALID)
    st, _ = run(m, st, 0, 0, 0x0, m.P2M_INVALID)
    assert walk(m, st, 0)[0] == 0x0 and walk(m, st, 1) is None  # gfn 1 lost the block's frame
