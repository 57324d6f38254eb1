"""p2m under the `any` caller contract, the range loop's return value (`return-range`),
and the mutants of the new paths (a wrong return value, an unchecked metadata allocation)."""
from __future__ import annotations

from model.riscv.p2m_state import ROOT_PAGES, Oracle, P2MGeometry, P2MState
from model.term import bv
from proofs.engine.solver import check
from proofs.mutant import select
from proofs.systems.p2m.contract import contract
from proofs.systems.p2m.machine import machine
from proofs.systems.p2m.set_range import replay
from proofs.systems.p2m.theorem import CLAIMS, OBLIGATIONS, Call
from proofs.systems.p2m.versions import VERSIONS, model_class

UP, ARM = "riscv-p2m-upstream", "arm-p2m-upstream"


def _call(gfn, target, mfn, t):
    return Call(bv(gfn, 64), target, bv(mfn, 64), bv(t, 4))


def test_any_is_the_range_loops_calls_presets_what_xen_passes():
    """any: aligned gfn and mfn (what p2m_mapping_order gives p2m_set_entry), every
    p2m_type_t value; presets also bounds the gfn, the frame and the type."""
    pre, any_ = machine(UP, None).m, machine(f"{UP}@any", None).m
    assert type(any_).__mro__[1] is VERSIONS[UP] and any_.name == f"{UP}@any"
    ext = _call(0, 0, 0, pre.EXT_STORAGE)  # p2m_ext_storage: a value of the enum
    wide = _call(0, 0, 1 << 50, pre.RAM_RW)  # beyond PADDR_BITS
    foreign_1g = _call(0, 2, 0, pre.FOREIGN_RW)
    for c in (ext, wide, foreign_1g):
        assert bool(contract(any_, c)) and not bool(contract(pre, c))
    ok = _call(4, 1, 0x40, pre.RAM_RW)
    assert bool(contract(any_, ok)) and bool(contract(pre, ok))
    unaligned = _call(5, 1, 0x40, pre.RAM_RW)  # no range loop passes it at order 1
    assert not bool(contract(any_, unaligned)) and not bool(contract(pre, unaligned))
    assert not bool(contract(any_, _call(0, 0, 0, 6)))  # not a p2m_type_t value
    arm = machine(f"{ARM}@any", None).m
    assert bool(contract(arm, _call(0, 0, 0, 11))) and not bool(contract(arm, _call(0, 0, 0, 12)))


def test_any_machine_replays_the_presets_traces_and_says_its_contract():
    m = machine(f"{UP}@any", None)
    assert m.traces_from == (UP,) and machine(UP, None).traces_from == ()
    assert m.bounds()["callers"].startswith("any") and model_class("nope@any") is None


def test_return_under_any_a_frame_beyond_paddr_bits_is_mapped_truncated():
    """p2m_set_entry returns 0 for an mfn above the PTE's 44 bits: pte_set_mfn drops the
    high bits, so the guest frame maps another frame (the breaking case under any)."""
    geo = P2MGeometry(idx_bits=1, pool=3)
    m = model_class(f"{UP}@any")(geo)
    st = P2MState.initial(geo, bv(0, 44))
    c = _call(0, 2, 1 << 50, m.RAM_RW)
    post, r = m.call(st, c.gfn, 2, c.mfn, c.t, Oracle())
    assert int(r) == 0
    assert not bool(CLAIMS["return"].holds(m, st, post, c, bv(0, 64)))
    c = _call(0, 2, 0x40, m.RAM_RW)  # the keeping case: a frame the PTE can hold
    post, r = m.call(st, c.gfn, 2, c.mfn, c.t, Oracle())
    assert int(r) == 0 and bool(CLAIMS["return"].holds(m, st, post, c, bv(1, 64)))


def test_set_range_returns_the_frames_left_as_an_int():
    """upstream p2m_set_range: `return !left ? rc : left;` -- a count, positive, or 0 when
    the count left is 2^32 (nothing mapped, yet success); Arm returns the errno."""
    geo = P2MGeometry(idx_bits=1, pool=3)
    up, arm = VERSIONS[UP](geo), VERSIONS[ARM](geo)
    beyond = 1 << geo.gfn_bits
    st = P2MState.initial(geo, bv(0, 44))
    assert up.p2m_set_range(st, beyond, 5, 0x41, up.RAM_RW, Oracle())[1] == 5
    assert up.p2m_set_range(st, beyond, 1 << 32, 0x41, up.RAM_RW, Oracle())[1] == 0
    assert up.p2m_set_range(st, beyond, 1 << 31, 0x41, up.RAM_RW, Oracle())[1] == -(1 << 31)
    assert arm.p2m_set_range(st, beyond, 5, 0x41, arm.RAM_RW, Oracle())[1] == -22
    done = up.p2m_set_range(st, 0, 3, 0x40, up.RAM_RW, Oracle())
    assert done[1] == 0
    out = replay(up, geo, 7, 6)  # part way: the last frame mapped, the next beyond the root
    assert out["returned"] == 6 and out["breaks"]
    assert not replay(arm, geo, 7, 6)["breaks"]


def _decide(version: str) -> list[str]:
    q = OBLIGATIONS["return-range"]
    return [mem.decide(lambda f: check(f.node(), "z3", 60_000, None))[0]
            for mem in q.members(VERSIONS[version], None)]


def test_return_range_refutes_upstream_and_proves_arm():
    assert _decide(UP) == ["violated", "violated"]
    assert _decide(ARM) == ["proved", "proved"]


def test_return_range_breaks_on_a_model_that_returns_the_count_and_keeps_on_one_that_does_not():
    """The query reads the model's own set_range_result: Arm's with upstream's return
    statement is refuted, upstream's with `return rc` proved."""
    class ArmCount(VERSIONS[ARM]):
        set_range_result = VERSIONS[UP].set_range_result

    class UpRc(VERSIONS[UP]):
        set_range_result = VERSIONS[ARM].set_range_result

    q = OBLIGATIONS["return-range"]
    ask = lambda f: check(f.node(), "z3", 60_000, None)  # noqa: E731
    assert {mem.decide(ask)[0] for mem in q.members(ArmCount, None)} == {"violated"}
    assert {mem.decide(ask)[0] for mem in q.members(UpRc, None)} == {"proved"}


def test_mutant_split_failure_returns_0_breaks_return():
    """Arm's __p2m_set_entry returning 0 after a failed split: the 4K frame is not mapped."""
    mutant, = select(["split-failure-returns-0"])
    geo = P2MGeometry(idx_bits=1, pool=2)
    base, m = VERSIONS[ARM](geo), mutant.model_class()(geo)
    for model, holds in ((base, True), (m, False)):
        st = P2MState.initial(geo, bv(0, 44))
        st, r = model.call(st, bv(4, 64), 1, bv(0x40, 64), bv(model.RAM_RW, 4), Oracle())
        assert int(r) == 0
        c = _call(5, 0, 0x48, model.RAM_RW)
        post, r = model.call(st, c.gfn, 0, c.mfn, c.t, Oracle([True]))  # the split's page
        assert bool(CLAIMS["return"].holds(model, st, post, c, bv(5, 64))) == holds


def test_mutant_unchecked_metadata_allocation_breaks_well_formed():
    """p2m_set_type taking a page the pool did not give: the metadata page named is no
    in-use pool page (upstream: domain_crash, the tree stays well-formed)."""
    mutant, = select(["metadata-allocation-unchecked"])
    geo = P2MGeometry(idx_bits=1, pool=2)
    for cls, holds in ((VERSIONS[UP], True), (mutant.model_class(), False)):
        m = cls(geo)
        st = P2MState.initial(geo, bv(0x50, 44))
        st, _ = m.call(st, bv(1, 64), 0, bv(0x30, 64), bv(m.RAM_RW, 4), Oracle())
        post, r = m.call(st, bv(0, 64), 0, bv(0x50, 64), bv(m.FOREIGN_RW, 4), Oracle())
        assert int(r) == 0 and bool(post.md_page[ROOT_PAGES + 1] != 0xFFFF) != holds
        assert bool(CLAIMS["well-formed"].holds(m, post)) == holds
