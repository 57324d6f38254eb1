"""Every invariant can fail and can hold: one concrete step of each kind per id.

A case is a concrete step (from a real call sequence where one exists, else
from a hand-made pre-state or a deliberately broken version) and the witness
address that shows the verdict.  The broken/kept pairs differ in one thing
only (the version, the witness, or the ghost state), so each case pins the
reason for its verdict.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, NamedTuple

import pytest

from helpers import (
    L1_TABLE,
    MFN,
    PAGE,
    ROOT,
    UPSTREAM,
    V5,
    V9,
    VA,
    AcceptsAnyEntry,
    NoFlushAtReturn,
    WritesReserved,
    call_prefix,
    concrete_step,
    destroy,
    handed_out,
    holds,
    leaf_entry,
    map_,
    modify,
    populate,
    rc,
    run_steps,
    variant,
    vpns,
    write_mem,
)
from model.riscv.machine import EINVAL, ENOMEM, INVALID_MFN, PC_IDLE, Step, initial_state
from model.riscv.pt_upstream import RiscvPtUpstream
from model.riscv.pte import (
    PAGE_HYPERVISOR_RO,
    PAGE_HYPERVISOR_RW,
    PAGE_HYPERVISOR_RX,
    PTE_EXECUTABLE,
    PTE_SMALL,
    PTE_TABLE,
    PTE_VALID,
)
from model.memory import FRAME_BITS
from model.term import TRUE, Word, bv, ite
from proofs.systems.riscv_pt.theorem import INVARIANTS
from proofs.mutant import select

VPN2, VPN1, _ = vpns(VA)
GIGA_MFN = 0x80000  # 1G aligned: a valid level-2 leaf


class Case(NamedTuple):
    inv: str
    label: str
    keeps: bool
    build: Callable[[], tuple[object, Step, int]]  # (version, step, witness va)


def last_step(name_or_cls, specs, pool: int = 4) -> Callable[[], tuple[object, Step]]:
    def build():
        v = variant(name_or_cls, pool)
        return v, run_steps(v, specs)[-1]
    return build


def at(va: int, build) -> Callable[[], tuple[object, Step, int]]:
    def with_va():
        v, step = build()
        return v, step, va
    return with_va


def rejected_call_over(cells: dict, tables=()) -> Callable[[], tuple[object, Step]]:
    """A hand-made upstream pre-state, then a call the prologue refuses (no writes)."""
    def build():
        v = variant(UPSTREAM)
        s = handed_out(replace(initial_state(v.geo), mem=write_mem(cells)), tables)
        step = concrete_step(v, s, map_(VA + 8, MFN, 1, PAGE_HYPERVISOR_RW))
        assert rc(step.post) == -EINVAL
        return v, step
    return build


def reaching(cells: dict, tables=()) -> Callable[[], tuple[object, Step]]:
    """A hand-made step from the empty tree to the hand-made state `cells`
    (the invariants that blame the step creating a bad state need a good pre-state)."""
    def build():
        v, step = rejected_call_over(cells, tables)()
        return v, replace(step, pre=replace(step.pre, mem=write_mem({})))
    return build


def prologue(name, spec) -> Callable[[], tuple[object, Step]]:
    """The prologue step of `spec` on the empty tree."""
    def build():
        v = variant(name)
        return v, call_prefix(v, initial_state(v.geo), spec, iterations=0)[-1]
    return build


def nth_iteration(n: int, name, setup, spec) -> Callable[[], tuple[object, Step]]:
    """Loop iteration n (from 1) of `spec`, after the calls `setup`."""
    def build():
        v = variant(name)
        s = run_steps(v, setup)[-1].post if setup else initial_state(v.geo)
        return v, call_prefix(v, s, spec, iterations=n)[-1]
    return build


def first_iteration(name, setup, spec) -> Callable[[], tuple[object, Step]]:
    return nth_iteration(1, name, setup, spec)


class ModifyMovesFrame(RiscvPtUpstream):
    """A modify that also moves the leaf one frame on: its PPN changes while it stays valid."""

    name = "broken-modify-moves-frame"

    def pt_update_entry_pte(self, entry: Word, mfn: Word, flags: Word) -> Word:
        pte = super().pt_update_entry_pte(entry, mfn, flags)
        modifying = (mfn == INVALID_MFN) & (flags & PTE_VALID).any()
        return ite(modifying, pte + (1 << 10), pte)


def rewritten(build, field: str, pick: Callable[[object], bool], **changes) -> Callable[[], tuple[object, Step]]:
    """`build`'s step with the first done record of `field` ("writes" or "descents") that
    `pick` accepts changed by `changes` (a hand-made step breaking one clause only)."""
    def rebuilt():
        v, step = build()
        records = list(getattr(step, field))
        i = next(k for k, r in enumerate(records) if bool(r.guard) and pick(r))
        records[i] = replace(records[i], **changes)
        return v, replace(step, **{field: records})
    return rebuilt


def table_write_over(old: int, build) -> Callable[[], tuple[object, Step]]:
    """`build`'s step with its first new table linked over the entry `old`."""
    return rewritten(build, "writes", lambda w: w.why == "create_table", old=bv(old, 64))


def entry_before_cleared(build) -> Callable[[], tuple[object, Step]]:
    """`build`'s step also clearing, in its post-state, the entry before the one it wrote
    (the page the previous iteration mapped: a change to what is already done)."""
    def rebuilt():
        v, step = build()
        w = next(w for w in step.writes if bool(w.guard) and w.why == "pt_update_entry")
        mem = step.post.mem.write(TRUE, w.frame, w.idx - 1, bv(0, 64))
        return v, replace(step, post=replace(step.post, mem=mem))
    return rebuilt


RX_THEN_RW = [map_(VA, MFN, 1, PAGE_HYPERVISOR_RX), modify(VA, 1, PAGE_HYPERVISOR_RW)]
TWICE = [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW), map_(VA, MFN + 7, 1, PAGE_HYPERVISOR_RW)]
SAME_TWICE = [map_(VA, MFN, 1, PAGE_HYPERVISOR_RX), map_(VA, MFN, 1, PAGE_HYPERVISOR_RW)]
RO_SUPER_THEN_4K = [map_(VA, MFN, 512, PAGE_HYPERVISOR_RO), map_(VA + PAGE, MFN + 0x1000, 1, PAGE_HYPERVISOR_RW)]
SUPER = [map_(VA, MFN, 512, PAGE_HYPERVISOR_RW)]
SUPER_THEN_4K = SUPER + [map_(VA + PAGE, MFN + 0x1000, 1, PAGE_HYPERVISOR_RW)]
DESTROY_ONE = destroy(VA + PAGE, VA + 2 * PAGE)
WX_GIGA = {(ROOT, VPN2): leaf_entry(GIGA_MFN, PAGE_HYPERVISOR_RW | PTE_EXECUTABLE)}
TWO_LEVEL = {(ROOT, VPN2): (L1_TABLE << 10) | PTE_TABLE, (L1_TABLE, VPN1): leaf_entry(MFN, PAGE_HYPERVISOR_RW)}
# page 1 mapped, then a 2-page request starting at page 0: iteration 1 maps page 0, iteration 2 fails
SECOND_FAILS = [map_(VA + PAGE, MFN, 1, PAGE_HYPERVISOR_RW), map_(VA, MFN, 2, PAGE_HYPERVISOR_RW | PTE_SMALL)]
# pool of 2: iteration 1 takes both tables, iteration 2 crosses into the next 2M and needs a third
ACROSS_2M = [map_(VA + 511 * PAGE, MFN, 2, PAGE_HYPERVISOR_RW | PTE_SMALL)]

FOUR_K = [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW)]
TWO_SMALL = map_(VA, MFN, 2, PAGE_HYPERVISOR_RW | PTE_SMALL)
SUPER_SMALL = map_(VA, MFN, 512, PAGE_HYPERVISOR_RW | PTE_SMALL)
UNALIGNED = map_(VA + 8, MFN, 1, PAGE_HYPERVISOR_RW)


def mutant(mutant_id: str) -> type:
    """A catalogued mutant's model class (proofs/systems/*/mutants.py)."""
    return select([mutant_id])[0].model_class()


CASES = [
    # wx: v5's modify ORs RW into the RX leaf; upstream clears the permissions first
    Case("wx", "v5-modify-rx-to-rw", False, at(VA, last_step(V5, RX_THEN_RW))),
    Case("wx", "upstream-modify-rx-to-rw", True, at(VA, last_step(UPSTREAM, RX_THEN_RW))),
    # a W+X leaf that was already there is not this step's doing: wx blames the step that makes one
    Case("wx", "hand-made-wx-gigapage-already-there", True, at(VA, rejected_call_over(WX_GIGA))),
    Case("wx", "hand-made-wx-gigapage-appears", False, at(VA, reaching(WX_GIGA))),
    Case("wx", "hand-made-wx-gigapage-other-va", True, at(VA + (1 << 30), rejected_call_over(WX_GIGA))),
    # reserved: a V|W leaf written by a broken version
    Case("reserved", "writes-v-w", False, at(VA, last_step(WritesReserved, [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW)]))),
    Case("reserved", "upstream-map", True, at(VA, last_step(UPSTREAM, [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW)]))),
    # no-overwrite: a second map of the same page (another frame: both clauses break; the same
    # frame: only the insert clause), a modify that moves the frame (only the PPN clause),
    # a populate's new table over a valid entry (only the new-table clause)
    Case("no-overwrite", "accepts-any-entry", False, at(VA, last_step(AcceptsAnyEntry, TWICE))),
    Case("no-overwrite", "upstream-refuses", True, at(VA, last_step(UPSTREAM, TWICE))),
    Case("no-overwrite", "accepts-any-entry-same-frame", False, at(VA, last_step(AcceptsAnyEntry, SAME_TWICE))),
    Case("no-overwrite", "modify-moves-frame", False, at(VA, last_step(ModifyMovesFrame, RX_THEN_RW))),
    Case("no-overwrite", "upstream-modify-keeps-frame", True, at(VA, last_step(UPSTREAM, RX_THEN_RW))),
    Case("no-overwrite", "populate-table-over-valid", False,
         at(VA, table_write_over(leaf_entry(GIGA_MFN, PAGE_HYPERVISOR_RW),
                                       first_iteration(UPSTREAM, [], populate(VA, 1))))),
    Case("no-overwrite", "populate-table-over-invalid", True,
         at(VA, table_write_over(0, first_iteration(UPSTREAM, [], populate(VA, 1))))),
    # well-formed: v5 writes into the read-only superpage's data frame
    Case("well-formed", "v5-ro-superpage", False, at(VA + PAGE, last_step(V5, RO_SUPER_THEN_4K))),
    Case("well-formed", "upstream-ro-superpage", True, at(VA + PAGE, last_step(UPSTREAM, RO_SUPER_THEN_4K))),
    # (hand-made: a write into a data frame, a descent through a leaf; the tree itself fine)
    Case("well-formed", "write-into-data-frame", False,
         at(VA, rewritten(first_iteration(UPSTREAM, [], FOUR_K[0]), "writes", lambda w: True,
                          frame=bv(MFN, FRAME_BITS)))),
    Case("well-formed", "upstream-map-writes-handed-out", True, at(VA, first_iteration(UPSTREAM, [], FOUR_K[0]))),
    Case("well-formed", "descent-through-leaf", False,
         at(VA, rewritten(first_iteration(UPSTREAM, FOUR_K, modify(VA, 1, PAGE_HYPERVISOR_RO)), "descents",
                          lambda d: True, entry=bv(leaf_entry(GIGA_MFN, PAGE_HYPERVISOR_RW), 64)))),
    Case("well-formed", "upstream-descends-pointers", True,
         at(VA, first_iteration(UPSTREAM, FOUR_K, modify(VA, 1, PAGE_HYPERVISOR_RO)))),
    Case("well-formed", "table-not-handed-out", False, at(VA, reaching(TWO_LEVEL))),
    Case("well-formed", "table-handed-out", True, at(VA, reaching(TWO_LEVEL, [(1, (ROOT, VPN2))]))),
    Case("well-formed", "table-linked-elsewhere", False,
         at(VA, reaching(TWO_LEVEL, [(1, (ROOT, VPN2 + 1))]))),
    Case("well-formed", "table-handed-out-for-level-0", False,
         at(VA, reaching(TWO_LEVEL, [(0, (ROOT, VPN2))]))),
    # footprint: upstream's walk to the leaf removes the whole 2M leaf for a 4K destroy
    Case("footprint", "upstream-destroy-outside", False, at(VA, first_iteration(UPSTREAM, SUPER, DESTROY_ONE))),
    Case("footprint", "upstream-destroy-inside", True, at(VA + PAGE, first_iteration(UPSTREAM, SUPER, DESTROY_ONE))),
    Case("footprint", "v9-destroy-refused", True, at(VA, first_iteration(V9, SUPER, DESTROY_ONE))),
    # functional: populate of a 2M-aligned 512-page range stops at level 1
    Case("functional", "upstream-populate-2m", False, at(VA, first_iteration(UPSTREAM, [], populate(VA, 512)))),
    Case("functional", "upstream-populate-4k", True, at(VA, first_iteration(UPSTREAM, [], populate(VA, 1)))),
    Case("functional", "upstream-map-4k", True, at(VA, first_iteration(UPSTREAM, [], map_(VA, MFN, 1, PAGE_HYPERVISOR_RW)))),
    # functional also ties the loop to the request: the next chunk must map the next frames,
    # and nothing ahead of the chunk may change (mutants from proofs/systems/riscv_pt/mutants.py)
    Case("functional", "mfn-not-advanced", False,
         at(VA, first_iteration(mutant("riscv-pt-upstream~advance-keeps-mfn"), [], TWO_SMALL))),
    Case("functional", "upstream-advances", True, at(VA, first_iteration(UPSTREAM, [], TWO_SMALL))),
    Case("functional", "done-page-cleared", False, at(VA, entry_before_cleared(nth_iteration(2, UPSTREAM, [], TWO_SMALL)))),
    Case("functional", "upstream-done-page-kept", True, at(VA, nth_iteration(2, UPSTREAM, [], TWO_SMALL))),
    Case("functional", "level-reported-one-below", False,
         at(VA + 5 * PAGE, first_iteration(mutant("riscv-pt-upstream~update-entry-level-off-by-one"), [],
                                           SUPER[0]))),
    Case("functional", "upstream-superpage-ahead", True, at(VA + 5 * PAGE, first_iteration(UPSTREAM, [], SUPER[0]))),
    # tables-kept: populate stops at level 1 and writes 0 over the table a 4K map made
    Case("tables-kept", "upstream-populate-over-table", False,
         at(VA, first_iteration(UPSTREAM, FOUR_K, populate(VA, 512)))),
    Case("tables-kept", "upstream-map-allocates", True, at(VA, first_iteration(UPSTREAM, [], FOUR_K[0]))),
    Case("tables-kept", "destroy-allocates", False,
         at(VA, first_iteration(mutant("riscv-pt-v9~alloc-tbl-always"), [], DESTROY_ONE))),
    Case("tables-kept", "v9-destroy-allocates-nothing", True, at(VA, first_iteration(V9, [], DESTROY_ONE))),
    # small: PTE_SMALL over a 2M-aligned range
    Case("small", "small-ignored", False,
         at(VA, first_iteration(mutant("riscv-pt-upstream~mapping-level-ignores-small"), [], SUPER_SMALL))),
    Case("small", "upstream-4k-leaf", True, at(VA, first_iteration(UPSTREAM, [], SUPER_SMALL))),
    Case("small", "superpage-without-small", True, at(VA, first_iteration(UPSTREAM, [], SUPER[0]))),
    # refusal: destroy(s, s) and an unaligned map
    Case("refusal", "empty-destroy-ok", False,
         at(VA, prologue(mutant("riscv-pt-upstream~destroy-empty-ok"), destroy(VA, VA)))),
    Case("refusal", "upstream-empty-destroy", True, at(VA, prologue(UPSTREAM, destroy(VA, VA)))),
    Case("refusal", "unaligned-map-accepted", False,
         at(VA, prologue(mutant("riscv-pt-upstream~prologue-no-align-check"), UNALIGNED))),
    Case("refusal", "upstream-unaligned-map", True, at(VA, prologue(UPSTREAM, UNALIGNED))),
    # tlb: returning without the flush
    Case("tlb", "no-flush", False, at(VA, last_step(NoFlushAtReturn, [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW)]))),
    Case("tlb", "upstream-flushes", True, at(VA, last_step(UPSTREAM, [map_(VA, MFN, 1, PAGE_HYPERVISOR_RW)]))),
    # atomicity: a failing second iteration after an applied first one
    Case("atomicity", "second-iteration-einval", False, at(VA, last_step(UPSTREAM, SECOND_FAILS))),
    Case("atomicity", "second-iteration-enomem", False, at(VA, last_step(UPSTREAM, ACROSS_2M, pool=2))),
    Case("atomicity", "first-iteration-einval", True, at(VA, last_step(UPSTREAM, TWICE))),
    Case("atomicity", "success", True, at(VA, last_step(UPSTREAM, SECOND_FAILS[1:]))),
    # return: 0 exactly when the loop covered the request, else a negative errno
    Case("return", "failed-call-returns-0", False,
         at(VA, last_step(mutant("riscv-pt-upstream~epilogue-returns-zero"), ACROSS_2M, pool=2))),
    Case("return", "positive-errno", False,
         at(VA, last_step(mutant("riscv-pt-upstream~update-entry-positive-errno"), SECOND_FAILS))),
    Case("return", "upstream-enomem-part-way", True, at(VA, last_step(UPSTREAM, ACROSS_2M, pool=2))),
    Case("return", "upstream-einval", True, at(VA, last_step(UPSTREAM, SECOND_FAILS))),
    Case("return", "upstream-success", True, at(VA, last_step(UPSTREAM, SECOND_FAILS[1:]))),
    # pmap: upstream's -EOPNOTSUPP exit (a 4K map under a 2M superpage) unmaps ptep, still NULL
    Case("pmap", "upstream-eopnotsupp-under-superpage", False, at(VA, last_step(UPSTREAM, SUPER_THEN_4K))),
    Case("pmap", "v9-eopnotsupp-under-superpage", True, at(VA, last_step(V9, SUPER_THEN_4K))),
    Case("pmap", "upstream-map", True, at(VA, last_step(UPSTREAM, FOUR_K))),
]


def test_every_invariant_has_a_breaking_and_a_keeping_case():
    covered = {(c.inv, c.keeps) for c in CASES}
    assert covered == {(i, k) for i in INVARIANTS for k in (True, False)}


#: every clause of every invariant (proofs/invariants.py) -> (a case that breaks that clause
#: alone, a case that keeps it); `make test-mutants` drops each clause in turn and shows the
#: breaking case then holds (tests/mutants/catalogue.py).  One exception: "what is done stays"
#: overlaps "the request ahead stays" (a done page is in the request), so its case breaks both
#: (the catalogue gives the reason)
CLAUSES = {
    ("wx", "no step makes a W+X leaf appear"): ("v5-modify-rx-to-rw", "upstream-modify-rx-to-rw"),
    ("reserved", "no written entry is a fault encoding"): ("writes-v-w", "upstream-map"),
    ("no-overwrite", "an insert never lands on a valid entry"):
        ("accepts-any-entry-same-frame", "upstream-refuses"),
    ("no-overwrite", "a new table never lands on a valid entry"):
        ("populate-table-over-valid", "populate-table-over-invalid"),
    ("no-overwrite", "a valid leaf's PPN never changes without invalidation"):
        ("modify-moves-frame", "upstream-modify-keeps-frame"),
    ("well-formed", "writes only into handed-out table pages"):
        ("write-into-data-frame", "upstream-map-writes-handed-out"),
    ("well-formed", "descends only through spec pointers"):
        ("descent-through-leaf", "upstream-descends-pointers"),
    ("well-formed", "every reached table was handed out"): ("table-not-handed-out", "table-handed-out"),
    ("well-formed", "handed out for the level it is at"): ("table-handed-out-for-level-0", "table-handed-out"),
    ("well-formed", "linked from the entry the walk came through"): ("table-linked-elsewhere", "table-handed-out"),
    ("well-formed", "no reserved entry reached"): ("v5-ro-superpage", "upstream-ro-superpage"),
    ("footprint", "nothing outside the request changes"): ("upstream-destroy-outside", "upstream-destroy-inside"),
    ("functional", "what is done stays as it was"): ("done-page-cleared", "upstream-done-page-kept"),
    ("functional", "the request ahead of the chunk stays as it was"):
        ("level-reported-one-below", "upstream-superpage-ahead"),
    ("functional", "vfn and mfn advance together"): ("mfn-not-advanced", "upstream-advances"),
    ("functional", "the chunk does what the call asked"): ("upstream-populate-2m", "upstream-populate-4k"),
    ("tlb", "no change since the last fence at return"): ("no-flush", "upstream-flushes"),
    ("tables-kept", "no table link cleared or replaced"):
        ("upstream-populate-over-table", "upstream-map-allocates"),
    ("tables-kept", "only map and populate allocate"): ("destroy-allocates", "v9-destroy-allocates-nothing"),
    ("small", "PTE_SMALL creates 4K leaves only"): ("small-ignored", "upstream-4k-leaf"),
    ("refusal", "a rejected request returns -EINVAL at once"): ("empty-destroy-ok", "upstream-empty-destroy"),
    ("refusal", "an unaligned map is rejected"): ("unaligned-map-accepted", "upstream-unaligned-map"),
    ("atomicity", "a failing call leaves no earlier iteration applied"):
        ("second-iteration-einval", "success"),
    ("return", "0 only when the loop covered the request"):
        ("failed-call-returns-0", "upstream-enomem-part-way"),
    ("return", "an error is a negative errno"): ("positive-errno", "upstream-einval"),
    ("pmap", "every table a step maps it unmaps before it ends"):
        ("upstream-eopnotsupp-under-superpage", "v9-eopnotsupp-under-superpage"),
}


def test_every_clause_names_a_breaking_and_a_keeping_case_of_its_invariant():
    by_label = {(c.inv, c.label): c for c in CASES}
    assert {inv for inv, _ in CLAUSES} == set(INVARIANTS)
    for (inv, clause), (breaking, keeping) in CLAUSES.items():
        assert by_label[(inv, breaking)].keeps is False, (inv, clause)
        assert by_label[(inv, keeping)].keeps is True, (inv, clause)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.inv}:{c.label}" for c in CASES])
def test_invariant_verdict(case):
    v, step, va = case.build()
    assert holds(case.inv, v, step, va) is case.keeps


# -- the steps above are the ones their labels say ---------------------------------------------

@pytest.mark.parametrize("spec, want, pool", [
    (SECOND_FAILS, -EINVAL, 4),
    (ACROSS_2M, -ENOMEM, 2),
], ids=["einval", "enomem"])
def test_failing_second_iteration_follows_an_applied_one(spec, want, pool):
    v = variant(UPSTREAM, pool)
    steps = run_steps(v, spec)
    last = steps[-1]
    assert (int(last.post.pc), rc(last.post)) == (PC_IDLE, want)
    assert int(last.post.vfn) - int(last.post.start) == 1  # one page done before the failure
    assert bool(last.post.applied)
