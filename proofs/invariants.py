"""What must hold.  Read this file first.

Each invariant is a predicate over one atomic step of a version's machine (a
call's prologue, or one iteration of pt_update's loop), seen through `View`
(proofs/semantics.py).  `va` is a witness address: free in a proof, so the
invariant is proved for every address; a number in a counterexample.  A step
that ends in a failed ASSERT (a debug build stops) is not judged.

The ids are a stable interface: expectation files, JSON and JUnit reports,
and counterexample vectors use them.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

from model.riscv.machine import EINVAL, INVALID_MFN, OP_DESTROY, OP_MAP, OP_MODIFY, OP_POPULATE, PC_IDLE, rc_word
from model.riscv.pte import PTE_SMALL
from model.term import TRUE, Bool, all_of, ite
from proofs.contract import must_refuse
from proofs.semantics import View, at_level


@dataclass(frozen=True)
class Invariant:
    id: str
    statement: str
    holds: Callable[[View], Bool]
    informative: bool = False  # reported, never a failure

    @property
    def where(self) -> str:
        lines, start = inspect.getsourcelines(self.holds)
        return f"proofs/invariants.py:{start}"


def wx(v: View) -> Bool:
    # No step makes an address translate through a valid leaf that is writable
    # and executable (so, from the empty tree, none ever does).
    return no_wx(v.before).implies(no_wx(v.after))


def reserved(v: View) -> Bool:
    # Every entry Xen writes is one the spec accepts (no page-fault encoding).
    return all_of(w.guard.implies(~at_level(w.new, w.level, v.mode, "fault")) for w in v.step.writes)


def no_overwrite(v: View) -> Bool:
    # An insert (or a new table) never lands on a valid entry; a valid leaf
    # never gets another PPN without being invalidated first.
    ok = TRUE
    for w in v.step.writes:
        inserting = (w.why == "create_table") | v.inserting
        both_leaves = at_level(w.old, w.level, v.mode, "leaf") & at_level(w.new, w.level, v.mode, "leaf")
        same_ppn = w.old.bits(53, 10) == w.new.bits(53, 10)
        ok = ok & w.guard.implies(~(inserting & w.old.bit(0)))
        ok = ok & w.guard.implies(both_leaves.implies(same_ppn))
    return ok


def well_formed(v: View) -> Bool:
    # Xen only writes into table pages the allocator handed out, its walker
    # only descends through what the spec calls a pointer, and no step breaks
    # the tree: every table the MMU reaches was handed out for that level and
    # is linked from one entry, and no entry it reaches is reserved.
    post = v.post
    writes = all_of(w.guard.implies(post.allocated(v.geo, w.frame)) for w in v.step.writes)
    descents = all_of(d.guard.implies(_spec_pointer(d, v)) for d in v.step.descents)
    return writes & descents & tree_ok(v.pre, v, v.before).implies(tree_ok(post, v, v.after))


def footprint(v: View) -> Bool:
    # An iteration changes no translation outside the range the call asked for.
    return (v.iterating & ~v.in_request).implies(v.before.same(v.after))


def functional(v: View) -> Bool:
    # A successful iteration does what its call asked for on the chunk it
    # covers, leaves the rest of the request (done, or still ahead) as it
    # was, and moves on by that chunk: vfn and mfn advance together, so the
    # next chunk maps the frames that follow (INVALID_MFN stays invalid).
    done_kept = v.in_done.implies(v.before.same(v.after))
    ahead_kept = (v.in_request & ~v.in_chunk).implies(v.before.same(v.after))
    pre, post = v.pre, v.post
    moves_on = ite(pre.mfn == INVALID_MFN, post.mfn == INVALID_MFN,
                   post.mfn - pre.mfn == post.vfn - pre.vfn)
    chunk = v.in_chunk & v.in_request
    by_op = {
        OP_MAP: chunk.implies(v.expected_map(v.after)),
        OP_DESTROY: chunk.implies(~v.after.ok),
        OP_MODIFY: chunk.implies(v.expected_modify(v.before, v.after)),
        OP_POPULATE: v.before.same(v.after) & chunk.implies(v.reaches_level0(v.after)),
    }
    per_op = all_of(v.op_is(op).implies(p) for op, p in by_op.items())
    return v.succeeded.implies(done_kept & ahead_kept & moves_on & per_op)


def tlb(v: View) -> Bool:
    # When a call returns, no entry has changed since the last full fence
    # (the TLB may cache any entry, invalid ones included; Svvptc off).
    return (v.step.ended & (v.post.pc == PC_IDLE)).implies(~v.post.tlb_stale)


def tables_kept(v: View) -> Bool:
    # pt.c never frees a table page: no write clears or replaces a link to a
    # table (that would orphan the page, or free it under a walker), and only
    # map and populate allocate tables.
    kept = all_of(w.guard.implies(at_level(w.old, w.level, v.mode, "pointer").implies(w.new == w.old))
                  for w in v.step.writes)
    no_alloc = (v.op_is(OP_DESTROY) | v.op_is(OP_MODIFY)).implies(v.post.next_free == v.pre.next_free)
    return kept & no_alloc


def small(v: View) -> Bool:
    # A request with PTE_SMALL creates 4K leaves only (callers ask for it so
    # that a later 4K update never meets a superpage pt.c cannot split).
    asked = v.iterating & (v.pre.flags & PTE_SMALL).any()
    return all_of((w.guard & asked & ~w.old.bit(0) & at_level(w.new, w.level, v.mode, "leaf"))
                  .implies(w.level == 0) for w in v.step.writes)


def refusal(v: View) -> Bool:
    # A request its entry point must reject (an unaligned address, W+X flags,
    # s >= e for destroy) returns -EINVAL at once: no loop, no write.
    refused = v.step.kind & must_refuse(v.step.call)
    return refused.implies((v.post.pc == PC_IDLE) & (v.post.rc == rc_word(-EINVAL)))


def atomicity(v: View) -> Bool:
    # A call that fails leaves no entry changed by its earlier iterations.
    return (v.step.ended & (v.post.rc != 0)).implies(~v.post.applied)


INVARIANTS: dict[str, Invariant] = {i.id: i for i in (
    Invariant("wx", "never W+X: no valid leaf is both writable and executable", wx),
    Invariant("reserved", "no entry Xen writes is a reserved encoding (spec page fault)", reserved),
    Invariant("no-overwrite", "an insert never replaces a valid entry; a leaf's PPN never "
              "changes without the entry becoming invalid first", no_overwrite),
    Invariant("well-formed", "the tree is well formed: tables handed out by the allocator, "
              "each linked once at its level, never read as a leaf or from a leaf", well_formed),
    Invariant("footprint", "a call on [virt, virt+nr pages) changes no translation outside it",
              footprint),
    Invariant("functional", "a successful call does what it was asked on its range, "
              "and nothing else to it", functional),
    Invariant("tlb", "TLB coherent at return: no entry changed since the last fence", tlb),
    Invariant("tables-kept", "no table link is cleared or replaced, and only map and populate "
              "allocate tables (pt.c never frees a table page)", tables_kept),
    Invariant("small", "a PTE_SMALL request creates 4K leaves only", small),
    Invariant("refusal", "a request the entry point must reject (unaligned, W+X, s >= e) "
              "returns -EINVAL at once", refusal),
    Invariant("atomicity", "a failing call leaves no earlier iteration applied (informative)",
              atomicity, informative=True),
)}


# -- helpers the statements above use ------------------------------------------

def no_wx(t) -> Bool:
    """The translation `t` is not through a writable and executable leaf."""
    return ~(t.ok & t.leaf_w & t.leaf_x)


def _spec_pointer(d, v: View) -> Bool:
    from model.riscv.pte import classify

    return classify(d.entry, d.level, v.mode).pointer


def tree_ok(state, v: View, t) -> Bool:
    """Along the MMU's walk `t` in `state`: no reserved entry is reached, and
    every table reached below the root was handed out for that level and is
    linked from the entry the walk came through."""
    from model.riscv.pte import classify

    ok = TRUE
    prev = None
    for visit in t.visits:
        fault = classify(visit.entry, visit.level, v.mode).fault
        ok = ok & visit.on.implies(~fault)
        if prev is not None:
            linked = (state.allocated(v.geo, visit.frame)
                      & (state.level_of(v.geo, visit.frame) == visit.level))
            pf, pi = state.parent_of(v.geo, visit.frame)
            linked = linked & (pf == prev.frame) & (pi == prev.idx)
            ok = ok & visit.on.implies(linked)
        prev = visit
    return ok
