"""Arm xen_pt_update (model/arm/pt.py): concrete semantics of both versions, and every
invariant of proofs/systems/arm_pt/theorem.py broken by one concrete step and kept by another."""
from __future__ import annotations

from dataclasses import replace

import pytest

from model.arm.lpae import classify_desc
from model.arm.pt import (_PAGE_BLOCK, _PAGE_CONTIG, _PAGE_NORMAL, CONTIG_BITS, MT_NORMAL_NC,
                          PAGE_HYPERVISOR_RO, PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RX, PTE_CONTIG,
                          ArmPtRfc, ArmPtUpstream, arm_geometry)
from model.arm.walk import translate
from model.memory import FRAME_BITS
from model.riscv.machine import (EINVAL, EOPNOTSUPP, INVALID_MFN, LEVEL_BITS, OP_DESTROY, OP_MAP,
                                 OP_MODIFY, PC_IDLE, PC_LOOP, Call, rc_value)
from model.term import TRUE, Word, bv, ite
from proofs.systems.arm_pt import theorem as inv
from proofs.systems.arm_pt.theorem import OBLIGATIONS

PAGE = 1 << 12
MB2, GB1 = 1 << 21, 1 << 30
VA = 0x4000_0000  # 1G-aligned
MFN = 0x80000  # 1G-aligned frame
BOTH = [ArmPtRfc, ArmPtUpstream]


def machine(cls=ArmPtUpstream, pool: int = 8):
    return cls(arm_geometry(pool))


def call(op: int, *args: int) -> Call:
    return Call(bv(op, 3), tuple(bv(a, 64) for a in (list(args) + [0] * 4)[:4]))


def run(v, s, op, *args):
    """Offer a call and step until the machine is idle again; returns (state, steps)."""
    c = call(op, *args)
    steps = [v.step(s, c)]
    while int(steps[-1].post.pc) == PC_LOOP:
        steps.append(v.step(steps[-1].post, c))
    return steps[-1].post, steps


def leaf(v, s, va):
    return translate(s.mem, v.root, bv(va, 64))


def rc(s) -> int:
    return rc_value(s.rc)


# -- concrete semantics -------------------------------------------------------------

@pytest.mark.parametrize("cls", BOTH)
def test_block_levels_follow_alignment_and_the_block_flag(cls):
    v = machine(cls)
    s, _ = run(v, v.initial_state(), OP_MAP, VA, MFN, 512, PAGE_HYPERVISOR_RW | _PAGE_BLOCK)
    t = leaf(v, s, VA + 0x1000)
    assert rc(s) == 0 and int(t.level) == 2 and int(t.ppn) == MFN + 1
    s, _ = run(v, s, OP_MAP, 2 * GB1, 2 * MFN, 1 << 18, PAGE_HYPERVISOR_RO | _PAGE_BLOCK)
    assert int(leaf(v, s, 2 * GB1 + MB2).level) == 1
    s, _ = run(v, s, OP_MAP, 3 * GB1, MFN, 512, PAGE_HYPERVISOR_RW)  # no _PAGE_BLOCK: 4K pages
    assert int(leaf(v, s, 3 * GB1 + MB2 - PAGE).level) == 3


def test_rfc_takes_left_into_the_mask_upstream_checks_nr():
    for cls, level in ((ArmPtRfc, 3), (ArmPtUpstream, 2)):
        v = machine(cls)
        s, _ = run(v, v.initial_state(), OP_MAP, VA, MFN, 513, PAGE_HYPERVISOR_RW | _PAGE_BLOCK)
        assert rc(s) == 0 and int(leaf(v, s, VA).level) == level, cls.name
        assert int(leaf(v, s, VA + MB2).level) == 3


def test_contiguous_hint_upstream_only():
    for cls, cont in ((ArmPtRfc, False), (ArmPtUpstream, True)):
        v = machine(cls)
        s, steps = run(v, v.initial_state(), OP_MAP, VA, MFN, 16, PAGE_HYPERVISOR_RX | _PAGE_BLOCK)
        assert rc(s) == 0 and len(steps) == 17  # the prologue, then one xen_pt_update_entry each
        for k in range(16):
            e = leaf(v, s, VA + k * PAGE).visits[3].entry
            assert bool(e.bit(52)) == cont and int(leaf(v, s, VA + k * PAGE).ppn) == MFN + k


@pytest.mark.parametrize("cls", BOTH)
def test_refusals(cls):
    v = machine(cls)
    s, _ = run(v, v.initial_state(), OP_MAP, VA, MFN, 512, PAGE_HYPERVISOR_RW | _PAGE_BLOCK)
    assert rc(run(v, s, OP_MAP, VA, MFN, 1, PAGE_HYPERVISOR_RW)[0]) == -EOPNOTSUPP  # no shattering
    assert rc(run(v, s, OP_MAP, VA, MFN, 512, PAGE_HYPERVISOR_RW | _PAGE_BLOCK)[0]) == -EINVAL  # valid
    assert rc(run(v, s, OP_MAP, 8 * GB1, MFN, 1, _PAGE_NORMAL)[0]) == -EINVAL  # W+X request
    assert rc(run(v, s, OP_DESTROY, VA, VA + PAGE)[0]) == -EOPNOTSUPP  # 4K inside a block
    # modify may not change the memory attributes
    assert rc(run(v, s, OP_MODIFY, VA, VA + MB2, PAGE_HYPERVISOR_RW & ~0x7 | MT_NORMAL_NC | _PAGE_BLOCK)[0]) == -EINVAL


def test_contig_request_refused_upstream_only():
    assert rc(run(machine(), machine().initial_state(), OP_MAP, VA, MFN, 1,
                  PAGE_HYPERVISOR_RW | _PAGE_CONTIG)[0]) == -EINVAL
    v = machine(ArmPtRfc)
    assert rc(run(v, v.initial_state(), OP_MAP, VA, MFN, 1, PAGE_HYPERVISOR_RW | _PAGE_CONTIG)[0]) == 0


def test_flush_placement():
    """Upstream: no flush after an insert (nothing valid changed), a flush after a modify; RFC: always."""
    for cls in BOTH:
        v = machine(cls)
        s, steps = run(v, v.initial_state(), OP_MAP, VA, MFN, 2, PAGE_HYPERVISOR_RW)
        assert not any(bool(st.post.tlb_stale) for st in steps)
        s, steps = run(v, s, OP_MODIFY, VA, VA + 2 * PAGE, PAGE_HYPERVISOR_RO)
        assert bool(steps[1].post.tlb_stale) and not bool(s.tlb_stale)


# -- hand-made steps: each invariant broken by one step and kept by another ------------

def state_with(v, entries: dict, **loop):
    """The empty machine with `entries` ((frame, index) -> value) and, if given, a call in progress."""
    s = v.initial_state()
    mem = s.mem
    for (f, i), val in entries.items():
        mem = mem.write(TRUE, bv(f, FRAME_BITS), bv(i, 9), bv(val, 64))
    s = replace(s, mem=mem)
    if loop:
        fields = dict(pc=bv(PC_LOOP, 2), op=bv(loop.pop("op", OP_MAP), 3))
        for k, val in loop.items():
            fields[k] = bv(val, {"group_left": CONTIG_BITS, "group_level": LEVEL_BITS}.get(k, 64))
        s = replace(s, **fields)
    return s


def holds(oid: str, v, st, va: int) -> bool:
    return bool(OBLIGATIONS[oid].holds(inv.ArmView(v, st, bv(va, 64))))


def one_step(v, s, c=None):
    return v.step(s, c or call(OP_MAP))


def mapped(v, *calls):
    s = v.initial_state()
    for c in calls:
        s, _ = run(v, s, *c)
    return s


def test_wx_broken_by_a_w_x_loop_and_kept_by_rw():
    v = machine()
    bad = state_with(v, {}, start=VA >> 12, vfn=VA >> 12, nr=1, mfn=MFN, flags=_PAGE_NORMAL)
    assert not holds("wx", v, one_step(v, bad), VA)
    good = state_with(v, {}, start=VA >> 12, vfn=VA >> 12, nr=1, mfn=MFN, flags=PAGE_HYPERVISOR_RW)
    assert holds("wx", v, one_step(v, good), VA)


class InsertOverValid(ArmPtUpstream):
    def xen_pt_check_entry(self, x, g, entry, mfn, level, flags):
        return TRUE


def test_no_overwrite_broken_by_a_check_that_allows_replacing():
    pre = mapped(machine(), (OP_MAP, VA, MFN, 1, PAGE_HYPERVISOR_RW))
    loop = dict(start=VA >> 12, vfn=VA >> 12, nr=1, mfn=MFN + 5, flags=PAGE_HYPERVISOR_RW)
    bad = InsertOverValid(arm_geometry(8))
    assert not holds("no-overwrite", bad, one_step(bad, _loop(pre, **loop)), VA)
    v = machine()
    st = one_step(v, _loop(pre, **loop))
    assert rc_value(st.post.rc) == -EINVAL and holds("no-overwrite", v, st, VA)


class ModifyMovesOutput(ArmPtUpstream):
    """A modify that also moves the leaf one page on: its output address changes while valid."""

    def new_entry(self, entry, mfn, level, flags):
        pte = super().new_entry(entry, mfn, level, flags)
        return ite((mfn == INVALID_MFN) & (pte != 0), pte + PAGE, pte)


@pytest.mark.parametrize("bad, op, mfn", [
    (InsertOverValid, OP_MAP, MFN),  # only 'an insert never lands on a valid entry' (same frame)
    (ModifyMovesOutput, OP_MODIFY, INVALID_MFN),  # only 'the output address never changes'
], ids=["insert-same-frame", "modify-moves-output"])
def test_no_overwrite_clause_by_clause(bad, op, mfn):
    pre = mapped(machine(), (OP_MAP, VA, MFN, 1, PAGE_HYPERVISOR_RW))
    loop = dict(start=VA >> 12, vfn=VA >> 12, nr=1, mfn=mfn, flags=PAGE_HYPERVISOR_RO)
    v = bad(arm_geometry(8))
    assert not holds("no-overwrite", v, one_step(v, _loop(pre, op, **loop)), VA)
    up = machine()
    assert holds("no-overwrite", up, one_step(up, _loop(pre, op, **loop)), VA)


def _second_page_step():
    """Upstream's iteration mapping page 1 of a 2-page map whose page 0 is done."""
    pre = mapped(machine(), (OP_MAP, VA, MFN, 1, PAGE_HYPERVISOR_RW))
    v = machine()
    loop = dict(start=VA >> 12, vfn=(VA >> 12) + 1, nr=2, mfn=MFN + 1, flags=PAGE_HYPERVISOR_RW)
    return v, one_step(v, _loop(pre, **loop))


def test_well_formed_and_functional_clause_by_clause():
    """A descent through a block (hand-made: the tree itself fine) breaks well-formed's
    'descends only through tables'; clearing the done page 0 after the step breaks
    functional's 'what is done stays'.  The unchanged step keeps both."""
    v, step = _second_page_step()
    assert holds("well-formed", v, step, VA) and holds("functional", v, step, VA)
    d = next(k for k, x in enumerate(step.descents) if bool(x.guard))
    block = replace(step.descents[d], entry=bv((MFN << 12) | 0b01, 64))
    through_block = replace(step, descents=step.descents[:d] + [block] + step.descents[d + 1:])
    assert not holds("well-formed", v, through_block, VA)
    w = next(x for x in step.writes if bool(x.guard))
    cleared = replace(step, post=replace(step.post, mem=step.post.mem.write(TRUE, w.frame, w.idx - 1, bv(0, 64))))
    assert not holds("functional", v, cleared, VA)


def _loop(s, op=OP_MAP, **kw):
    """`s` with a call in progress."""
    fields = dict(pc=bv(PC_LOOP, 2), op=bv(op, 3), group_left=bv(0, CONTIG_BITS))
    fields.update({k: bv(val, 64) for k, val in kw.items()})
    return replace(s, **fields)


def test_well_formed_broken_by_a_link_to_a_page_not_handed_out():
    v = machine()
    root = v.geo.root
    stray = 0x5000  # never handed out by the allocator
    table = (stray << 12) | 0x3
    pre = state_with(v, {(root, 0): table})  # VA[47:39] = 0
    st = one_step(v, _loop(pre, start=VA >> 12, vfn=VA >> 12, nr=1, mfn=MFN, flags=PAGE_HYPERVISOR_RW))
    assert not holds("well-formed", v, st, VA)
    st = one_step(v, _loop(v.initial_state(), start=VA >> 12, vfn=VA >> 12, nr=1, mfn=MFN,
                           flags=PAGE_HYPERVISOR_RW))
    assert holds("well-formed", v, st, VA)


class BlockIgnoresLeft(ArmPtRfc):
    """The RFC's order choice without `left` in the mask (and the RFC has no ASSERT on left)."""

    def xen_pt_mapping_level(self, vfn, mfn, nr, flags):
        return super().xen_pt_mapping_level(vfn, mfn, bv(0, 64), flags)


def test_footprint_broken_when_the_level_ignores_what_is_left():
    loop = dict(start=VA >> 12, vfn=VA >> 12, nr=1, mfn=MFN, flags=PAGE_HYPERVISOR_RW | _PAGE_BLOCK)
    bad = BlockIgnoresLeft(arm_geometry(8))
    assert not holds("footprint", bad, one_step(bad, _loop(bad.initial_state(), **loop)), VA + MB2 - PAGE)
    v = machine(ArmPtRfc)
    assert holds("footprint", v, one_step(v, _loop(v.initial_state(), **loop)), VA + MB2 - PAGE)


class WrongFrame(ArmPtUpstream):
    def new_entry(self, entry, mfn, level, flags):
        return super().new_entry(entry, mfn + 1, level, flags)


def test_functional_broken_by_an_off_by_one_frame():
    loop = dict(start=VA >> 12, vfn=VA >> 12, nr=1, mfn=MFN, flags=PAGE_HYPERVISOR_RW)
    bad = WrongFrame(arm_geometry(8))
    assert not holds("functional", bad, one_step(bad, _loop(bad.initial_state(), **loop)), VA)
    v = machine()
    assert holds("functional", v, one_step(v, _loop(v.initial_state(), **loop)), VA)


class NoFlush(ArmPtUpstream):
    def xen_pt_update_epilogue(self, x, g, rc):
        x.set(g, pc=bv(PC_IDLE, 2), rc=rc, group_left=bv(0, CONTIG_BITS))


def test_tlb_broken_without_the_flush_after_a_modify():
    for cls, ok in ((NoFlush, False), (ArmPtUpstream, True)):
        v = machine(cls)
        pre = mapped(v, (OP_MAP, VA, MFN, 1, PAGE_HYPERVISOR_RW))
        st = one_step(v, _loop(pre, op=OP_MODIFY, start=VA >> 12, vfn=VA >> 12, nr=1, mfn=INVALID_MFN,
                               flags=PAGE_HYPERVISOR_RO))
        assert holds("tlb", v, st, VA) == ok, cls.__name__


def test_contig_broken_upstream_by_a_group_that_fails_midway():
    """Upstream: page 1 of a 64K group already mapped; mapping the 16 pages with _PAGE_BLOCK
    writes page 0 with the contiguous bit, refuses page 1 and returns -EINVAL: the group is
    left half-set.  The RFC (no hint) keeps the invariant on the same calls."""
    for cls, ok in ((ArmPtUpstream, False), (ArmPtRfc, True)):
        v = machine(cls)
        s = mapped(v, (OP_MAP, VA + PAGE, MFN + 1, 1, PAGE_HYPERVISOR_RW))
        s, steps = run(v, s, OP_MAP, VA, MFN, 16, PAGE_HYPERVISOR_RW | _PAGE_BLOCK)
        assert rc(s) == -EINVAL and len(steps) == 3
        assert holds("contig", v, steps[-1], VA) == ok, cls.name
        assert bool(leaf(v, s, VA).visits[3].entry.bit(52)) == (not ok)


def _half_group(cls, other_mfn: int):
    """Page 1 of a 64K group mapped alone (to `other_mfn`), then the 16 pages mapped with
    _PAGE_BLOCK: upstream writes page 0 with the contiguous bit, then refuses page 1."""
    v = machine(cls)
    s = mapped(v, (OP_MAP, VA + PAGE, other_mfn, 1, PAGE_HYPERVISOR_RW))
    s, steps = run(v, s, OP_MAP, VA, MFN, 16, PAGE_HYPERVISOR_RW | _PAGE_BLOCK)
    return v, s, steps


@pytest.mark.parametrize("other_mfn", [MFN + 1, MFN + 7])
def test_contig_hazard_seen_by_tlb_bbm_and_no_overwrite_upstream_only(other_mfn):
    """The page-0 write of a group whose page 1 is live without the bit: a lookup of page 1
    may now return page 0's contiguous translation (D8.7.1), which the insert does not
    flush.  With page 1 at the address the group gives it (MFN + 1) no output address
    changes (no-overwrite keeps), the bit alone differs (bbm, tlb break); at MFN + 7 the
    address changes too.  The RFC (no hint) keeps all three on the same calls."""
    for cls in (ArmPtUpstream, ArmPtRfc):
        v, s, steps = _half_group(cls, other_mfn)
        up = cls is ArmPtUpstream
        write0 = steps[1]  # the prologue, then page 0
        assert holds("bbm", v, write0, VA) == (not up), cls.name
        assert holds("no-overwrite", v, write0, VA) == (not up or other_mfn == MFN + 1), cls.name
        assert rc(s) == -EINVAL and holds("tlb", v, steps[-1], VA) == (not up), cls.name


def test_contig_hazard_kept_by_a_whole_group_and_by_invalid_members():
    """A 64K group written into an empty table, and a group next to (not in) a live page:
    every write agrees with the live members, so nothing is stale and no BBM is due."""
    v = machine()
    s = mapped(v, (OP_MAP, VA + 16 * PAGE, MFN + 99, 1, PAGE_HYPERVISOR_RW))
    s, steps = run(v, s, OP_MAP, VA, MFN, 16, PAGE_HYPERVISOR_RW | _PAGE_BLOCK)
    assert rc(s) == 0
    for st in steps:
        for oid in ("bbm", "no-overwrite", "tlb"):
            assert holds(oid, v, st, VA + 3 * PAGE), oid
    assert int(leaf(v, s, VA + 3 * PAGE).visits[3].entry) & PTE_CONTIG


def test_group_lookups_return_any_programmed_member():
    """model/arm/walk.py group_lookups: in the half-set group page 1's lookup may also return
    page 0's contiguous translation (MFN + 1, with the bit), not only its own (MFN + 7)."""
    from model.arm.walk import group_lookups

    v, s, _ = _half_group(ArmPtUpstream, MFN + 7)
    t = leaf(v, s, VA + PAGE)
    hits = {(int(p), bool(int(a) & PTE_CONTIG)) for h, p, a in group_lookups(s.mem, t, bv(VA + PAGE, 64)) if bool(h)}
    assert int(t.ppn) == MFN + 7 and hits == {(MFN + 1, True)}
    v, s, _ = _half_group(ArmPtRfc, MFN + 7)
    assert not any(bool(h) for h, _, _ in group_lookups(s.mem, leaf(v, s, VA + PAGE), bv(VA + PAGE, 64)))


#: contig, clause by clause (the Arm ARM's rule, D8.7.1): one entry of a good 64K group
#: changed (in the state the call returns to) breaks one clause: a valid member without the
#: bit, consecutive output, the same attributes
GROUP_CHANGES = {
    "every valid member has the contiguous bit": lambda e: e & ~(1 << 52),
    "consecutive output addresses": lambda e: e + (1 << 12),
    "the same attributes": lambda e: e ^ (1 << 54),  # XN on one page only
}


def _good_group():
    v = machine()
    s, steps = run(v, v.initial_state(), OP_MAP, VA, MFN, 16, PAGE_HYPERVISOR_RW | _PAGE_BLOCK)
    assert rc(s) == 0 and holds("contig", v, steps[-1], VA)
    t = leaf(v, s, VA)
    return v, s, steps, t.visits[3].frame, int(t.visits[3].idx)


def _tamper(s, steps, frame, changes: dict):
    mem = s.mem
    for idx, change in changes.items():
        mem = mem.write(TRUE, frame, bv(idx, 9), bv(change(int(s.mem.read(frame, bv(idx, 9)))), 64))
    return replace(steps[-1], post=replace(s, mem=mem))


@pytest.mark.parametrize("clause", list(GROUP_CHANGES))
def test_contig_clause_by_clause(clause):
    v, s, steps, frame, first = _good_group()
    tampered = _tamper(s, steps, frame, {first + 5: GROUP_CHANGES[clause]})  # page 5 of the group
    assert not holds("contig", v, tampered, VA)


def test_contig_allows_invalid_members_and_wants_an_aligned_range():
    """pte-encodings.md 4.5: a mix of invalid and valid-with-the-bit members is not
    misprogramming; 16 consecutive pages whose output range is not 64K-aligned is."""
    v, s, steps, frame, first = _good_group()
    holes = _tamper(s, steps, frame, {first + k: (lambda e: e & ~1) for k in (0, 5, 15)}
                    | {first + 7: lambda e: e & ~2})  # level 3, bits 01: reserved, treated as invalid
    assert holds("contig", v, holes, VA) and holds("contig", v, holes, VA + 5 * PAGE)
    shifted = _tamper(s, steps, frame, {first + k: (lambda e: e + (1 << 12)) for k in range(16)})
    assert not holds("contig", v, shifted, VA)
    none = _tamper(s, steps, frame, {first + k: (lambda e: e & ~(1 << 52)) for k in range(16)})
    assert holds("contig", v, none, VA)


class ModifyTakesAttr(ArmPtUpstream):
    """A modify that rewrites AttrIndx (to 6) on the live entry."""

    def new_entry(self, entry, mfn, level, flags):
        e = super().new_entry(entry, mfn, level, flags)
        return ite(mfn == INVALID_MFN, (e & ~0x1C) | (6 << 2), e)


def test_bbm_and_attrs_broken_by_a_modify_that_changes_attrindx():
    loop = dict(op=OP_MODIFY, start=VA >> 12, vfn=VA >> 12, nr=1, mfn=INVALID_MFN, flags=PAGE_HYPERVISOR_RO)
    for cls, ok in ((ModifyTakesAttr, False), (ArmPtUpstream, True)):
        v = machine(cls)
        pre = mapped(v, (OP_MAP, VA, MFN, 1, PAGE_HYPERVISOR_RW))
        st = one_step(v, _loop(pre, **loop))
        assert holds("bbm", v, st, VA) == ok and holds("attrs", v, st, VA) == ok, cls.__name__


def test_atomicity_informative_a_failing_call_keeps_earlier_iterations():
    v = machine()
    s = mapped(v, (OP_MAP, VA + PAGE, MFN + 1, 1, PAGE_HYPERVISOR_RW))
    s, steps = run(v, s, OP_MAP, VA, MFN, 2, PAGE_HYPERVISOR_RW)
    assert rc(s) == -EINVAL and not holds("atomicity", v, steps[-1], VA)
    s, steps = run(v, v.initial_state(), OP_MAP, VA, MFN, 2, PAGE_HYPERVISOR_RW)
    assert holds("atomicity", v, steps[-1], VA)
    assert OBLIGATIONS["atomicity"].informative


def test_lemmas_hold_on_real_calls_and_fail_on_hand_made_states():
    v = machine()
    s, steps = run(v, v.initial_state(), OP_MAP, VA, MFN, 16, PAGE_HYPERVISOR_RX | _PAGE_BLOCK)
    for st in steps:
        for lemma in ("frame", "progress", "idle", "pool", "tree", "wx"):
            assert bool(inv.lemma(lemma, st.post, v, [bv(VA, 64), bv(VA + 3 * PAGE, 64)])), lemma
    assert not bool(inv.loop_progress(_loop(s, start=10, vfn=20, nr=5)))
    assert not bool(inv.idle_clean(replace(s, tlb_stale=TRUE)))
    group_first = steps[1].post  # one entry of the group written, the rest invalid: allowed
    assert bool(inv.lemma("contig", group_first, v, [bv(VA, 64), bv(VA + 3 * PAGE, 64)]))
    t = leaf(v, group_first, VA)
    frame, idx = t.visits[3].frame, bv(int(t.visits[3].idx) + 1, 9)
    alone = group_first.mem.write(TRUE, frame, idx, bv(int(t.visits[3].entry) & ~PTE_CONTIG, 64) + PAGE)
    assert not bool(inv.lemma("contig", replace(group_first, mem=alone), v, [bv(VA, 64)]))
    assert bool(inv.lemma("contig", s, v, [bv(VA, 64), bv(VA + 15 * PAGE, 64)]))
    assert classify_desc(Word(int(leaf(v, s, VA).visits[3].entry), 64), 3).kind() == "page"
    assert int(leaf(v, s, VA).visits[3].entry) & PTE_CONTIG


def test_cli_proves_an_arm_version(capsys):
    from proofs.cli import main

    assert main(["prove", "--variant", "arm-pt-rfc", "--invariant", "tlb", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "arm-pt-rfc" in out and "1 obligations" in out


# -- return values (issue 17) ---------------------------------------------------------

class ReturnsZero(ArmPtUpstream):
    """Mutant: xen_pt_update returns 0 whatever the loop's rc (a wrong return value)."""

    def xen_pt_update_epilogue(self, x, g, rc):
        super().xen_pt_update_epilogue(x, g, bv(0, 32))


class ReturnsPositive(ArmPtUpstream):
    """Mutant: a failed entry's rc returned negated (a positive 'errno')."""

    def xen_pt_update_epilogue(self, x, g, rc):
        super().xen_pt_update_epilogue(x, g, ite(rc == 0, rc, bv(0, 32) - rc))


class RefusesWithZero(ArmPtUpstream):
    """Mutant: the checks before the loop refuse an unaligned virt with 0 (not -EINVAL)."""

    def xen_pt_update_prologue(self, virt, flags):
        rc = super().xen_pt_update_prologue(virt, flags)
        return ite((virt & 0xFFF) != 0, bv(0, 32), rc)


def _fail_on_a_valid_entry(v):
    """A map over a page already mapped: xen_pt_check_entry refuses it (-EINVAL), the loop
    stops with the request not covered; the step that returns."""
    pre = mapped(v, (OP_MAP, VA + PAGE, MFN, 1, PAGE_HYPERVISOR_RW))
    s, steps = run(v, pre, OP_MAP, VA, MFN, 2, PAGE_HYPERVISOR_RW)
    return s, steps[-1]


@pytest.mark.parametrize("cls", BOTH)
def test_return_kept_by_a_whole_call_a_failure_and_a_refusal(cls):
    v = machine(cls)
    s, steps = run(v, v.initial_state(), OP_MAP, VA, MFN, 3, PAGE_HYPERVISOR_RW)
    assert rc(s) == 0 and all(holds("return", v, st, VA) for st in steps)
    s, st = _fail_on_a_valid_entry(v)
    assert rc(s) == -EINVAL and holds("return", v, st, VA)  # partial success: -EINVAL, page 0 mapped
    assert bool(leaf(v, s, VA).ok)
    s, steps = run(v, v.initial_state(), OP_MAP, VA + 8, MFN, 0, PAGE_HYPERVISOR_RW)
    assert rc(s) == -EINVAL and holds("return", v, steps[-1], VA)  # refused, even with nothing to do
    s, steps = run(v, v.initial_state(), OP_DESTROY, VA, VA + 4 * PAGE)  # nothing mapped: 0, covered
    assert rc(s) == 0 and holds("return", v, steps[-1], VA)


def test_return_broken_by_wrong_return_values():
    v = machine(ReturnsZero)
    s, st = _fail_on_a_valid_entry(v)
    assert rc(s) == 0 and not holds("return", v, st, VA)  # 0, yet page 1 was not mapped
    v = machine(ReturnsPositive)
    s, st = _fail_on_a_valid_entry(v)
    assert rc(s) == EINVAL and not holds("return", v, st, VA)  # not a negative errno
    v = machine(RefusesWithZero)
    s, steps = run(v, v.initial_state(), OP_MAP, VA + 8, MFN, 0, PAGE_HYPERVISOR_RW)
    assert rc(s) == 0 and not holds("return", v, steps[-1], VA)  # a refusal must be -EINVAL


@pytest.mark.slow
def test_return_mutants_killed_by_the_engine():
    """Decided like a version, each wrong-return mutant is violated, upstream proved."""
    from proofs.engine.settings import Settings
    import proofs.systems.arm_pt.versions as versions

    for cls in (ReturnsZero, ReturnsPositive, RefusesWithZero):
        name = f"arm-pt-mutant-{cls.__name__.lower()}"
        versions.VERSIONS[name] = type(cls.__name__, (cls,), {"name": name})
        try:
            from proofs.engine.decide import decide

            rs = decide("proofs.systems.arm_pt", [name], ["return"], Settings(jobs=1, depth=6))
            assert {r.verdict for r in rs} == {"violated"}, (cls.__name__, [r.detail for r in rs])
        finally:
            del versions.VERSIONS[name]


# -- the `any` caller contract --------------------------------------------------------

def test_any_contract_admits_what_the_c_signatures_admit():
    from proofs.engine import callers
    from proofs.systems.arm_pt.contract import call_ok
    from proofs.systems.arm_pt.versions import model_class

    up = model_class("arm-pt-upstream")()
    up_any = model_class("arm-pt-upstream@any")()
    assert up_any.name == "arm-pt-upstream@any" and up_any.callers == callers.ANY
    assert isinstance(up_any, ArmPtUpstream) and model_class("arm-pt-nonesuch@any") is None
    odd = [call(OP_MAP, 1 << 48, 1 << 40, 16, PAGE_HYPERVISOR_RW | (1 << 20)),  # virt, mfn, flags
           call(OP_MAP, 0, INVALID_MFN, 1, 0),
           call(OP_DESTROY, 1 << 63, (1 << 64) - PAGE)]
    for c in odd:
        assert not bool(call_ok(c, up)) and bool(call_ok(c, up_any))
    ok = call(OP_MAP, VA, MFN, 1, PAGE_HYPERVISOR_RW)
    assert bool(call_ok(ok, up)) and bool(call_ok(ok, up_any))
    # xen_pt_update's `unsigned int flags`: a wider word is outside any; absent arguments stay 0
    assert not bool(call_ok(call(OP_MAP, 0, 1, 1, 1 << 32), up_any))
    assert not bool(call_ok(call(OP_MODIFY, 0, PAGE, 1 << 33), up_any))
    assert not bool(call_ok(call(OP_DESTROY, 0, PAGE, 1), up_any))


def test_any_frame_lemma_is_weaker_than_presets():
    """A map whose mfn wrapped to INVALID_MFN mid-call, with a wide virt: outside the presets
    frame lemma, inside the any one (what the C lets through); the RFC keeps no bit-8 check."""
    from proofs.systems.arm_pt.versions import model_class

    s = _loop(machine().initial_state(), op=OP_MAP, start=1 << 40, vfn=(1 << 40) + 1, nr=2,
              mfn=INVALID_MFN, flags=PAGE_HYPERVISOR_RW)
    for name in ("arm-pt-upstream", "arm-pt-rfc"):
        assert not bool(inv.loop_frame(s, model_class(name)()))
        assert bool(inv.loop_frame(s, model_class(f"{name}@any")()))
    bit8 = replace(s, flags=bv(PAGE_HYPERVISOR_RW | _PAGE_CONTIG, 64))
    assert bool(inv.loop_frame(bit8, model_class("arm-pt-rfc@any")()))
    assert not bool(inv.loop_frame(bit8, model_class("arm-pt-upstream@any")()))


def test_any_footprint_broken_past_the_48_bit_range():
    """map_pages_to_xen past 2^48: DECLARE_OFFSETS keeps bits 47:12, the tail maps VA 0."""
    from proofs.systems.arm_pt.versions import model_class

    v = model_class("arm-pt-upstream@any")(arm_geometry(8))
    s, steps = run(v, v.initial_state(), OP_MAP, (1 << 48) - PAGE, MFN, 2, PAGE_HYPERVISOR_RW)
    assert rc(s) == 0 and bool(leaf(v, s, 0).ok)
    assert not holds("footprint", v, steps[-1], 0) and holds("footprint", v, steps[-2], 0)


# -- the TLB per page: flush_xen_tlb_range_va reaches only the range it names ---------------

class NarrowFlush(ArmPtRfc):
    """flush_xen_tlb_range_va(virt, PAGE_SIZE * (nr_mfns - 1)): one page short."""

    def flush_args(self, s):
        return s.start << 12, (s.nr - 1) << 12


def test_flush_covers_per_page_and_nothing_when_the_range_wraps():
    from model.arm.pt import flush_covers

    lo, hi = bv(VA >> 12, 64), bv((VA >> 12) + 1, 64)
    cover = lambda va, size: bool(flush_covers(lo, hi, bv(va, 64), bv(size, 64)))  # noqa: E731
    assert cover(VA, 2 * PAGE) and cover(VA - PAGE, 3 * PAGE)
    assert not cover(VA, PAGE) and not cover(VA + PAGE, PAGE) and not cover(VA, 0)
    assert not cover(VA, (1 << 64) - PAGE)  # va + size wraps: `while ( va < end )` flushes nothing


@pytest.mark.parametrize("op, pages, flags", [(OP_DESTROY, 2, 0), (OP_MODIFY, 2, PAGE_HYPERVISOR_RO),
                                              (OP_MODIFY, 512, PAGE_HYPERVISOR_RO | _PAGE_BLOCK)])
def test_tlb_broken_by_a_flush_one_page_short_and_kept_by_the_whole_range(op, pages, flags):
    """Two pages (or a 2M block) changed; the C flushes PAGE_SIZE * nr_mfns from virt.  One
    page short leaves a stale page (a block: 511 of its 512 pages are not enough)."""
    for cls, ok in ((NarrowFlush, False), (ArmPtRfc, True), (ArmPtUpstream, True)):
        v = machine(cls)
        block = _PAGE_BLOCK if pages == 512 else 0
        s = mapped(v, (OP_MAP, VA, MFN, pages, PAGE_HYPERVISOR_RW | block))
        args = (VA, VA + pages * PAGE) + ((flags,) if op == OP_MODIFY else ())
        s, steps = run(v, s, op, *args)
        assert rc(s) == 0, cls.__name__
        assert holds("tlb", v, steps[-1], VA) == ok and bool(s.tlb_stale) == (not ok), cls.__name__
        if not ok:  # the hull is every page changed: the request's
            assert (int(s.stale_lo), int(s.stale_hi)) == (VA >> 12, (VA >> 12) + pages - 1)
        assert bool(inv.idle_clean(s)) == ok, cls.__name__


def test_lemma_idle_wants_the_stale_pages_in_the_request():
    v = machine(ArmPtRfc)
    s = mapped(v, (OP_MAP, VA, MFN, 2, PAGE_HYPERVISOR_RW))
    _, steps = run(v, s, OP_DESTROY, VA, VA + 2 * PAGE)
    mid = steps[1].post  # page 0 removed, page 1 to go
    assert bool(inv.idle_clean(mid))
    page = lambda n: bv((VA >> 12) + n, 64)  # noqa: E731
    assert not bool(inv.idle_clean(replace(mid, stale_hi=page(2))))  # past the request
    assert not bool(inv.idle_clean(replace(mid, stale_lo=page(-1))))  # before it
    assert not bool(inv.idle_clean(replace(mid, stale_lo=page(1), stale_hi=page(0))))  # an empty hull
