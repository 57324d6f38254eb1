"""What must hold for RISC-V's pt.c (system `riscv-pt`).  Read this file first.

Each obligation is a predicate over one atomic step of a version's machine (a
call's prologue, or one iteration of pt_update's loop), seen through `View`
(proofs/systems/walk.py).  `va` is a witness address: free in a proof, so the
obligation is proved for every address; a number in a counterexample.  A step
that ends in a failed ASSERT (a debug build stops) is not judged.

A step proof shows `lemmas(pre) and step => obligation(step)`.  The lemmas it
assumes (`needs`) are established by obligations of their own (`lemma-*`,
and `wx` and `well-formed` for the lemmas `wx` and `tree`), each proved like an
invariant and checked in the initial state.  Lemmas over addresses are
instantiated at the addresses the step and the obligation look at: the
witness and the address the step updates.  `frame` and `progress` are about
the call in progress: a step of a call to `op` assumes them for `op` only.

The ids are a stable interface: expectation files, JSON and JUnit reports,
and counterexample vectors use them.
"""
from __future__ import annotations

from model.riscv.machine import (EINVAL, INVALID_MFN, OP_DESTROY, OP_MAP, OP_MODIFY, OP_POPULATE,
                                 PC_IDLE, PC_LOOP, State, rc_word)
from model.riscv.pte import PAGE_SHIFT, PTE_POPULATE, PTE_SMALL
from model.term import TRUE, Bool, Word, all_of, bv, ite
from proofs.engine.obligation import StepObligation
from proofs.engine.callers import ANY
from proofs.systems.riscv_pt.contract import (PPN_LIMIT, callers_of, flags_fit, flags_ok, must_refuse,
                                              range_ok, wx_flags)
from proofs.systems.shared import atomicity, footprint, instantiate, no_overwrite, no_wx, pmap, returns_as_asked, tlb, wx
from proofs.systems.walk import View, at_level


def reserved(v: View) -> Bool:
    # Every entry Xen writes is one the spec accepts (no page-fault encoding).
    return all_of(w.guard.implies(~at_level(w.new, w.level, v.mode, "fault")) for w in v.step.writes)


def well_formed(v: View) -> Bool:
    # Xen only writes into table pages the allocator handed out, its walker
    # only descends through what the spec calls a pointer, and no step breaks
    # the tree: every table the MMU reaches was handed out for that level and
    # is linked from one entry, and no entry it reaches is reserved.
    post = v.post
    writes = all_of(w.guard.implies(post.allocated(v.geo, w.frame)) for w in v.step.writes)
    descents = all_of(d.guard.implies(_spec_pointer(d, v)) for d in v.step.descents)
    return writes & descents & tree_ok(v.pre, v, v.before).implies(tree_ok(post, v, v.after))


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


def return_value(v: View) -> Bool:
    # A call returns 0 exactly when it did all it was asked (pt_update's loop
    # covered the whole request: `left` is 0), and a negative errno otherwise
    # (an error part way leaves the earlier iterations applied: atomicity says
    # whether that happens).  A request its entry point must reject is refusal's.
    return returns_as_asked(v, v.step.kind & must_refuse(v.step.call), v.post.left == 0)


# -- the lemmas ---------------------------------------------------------------------

def loop_frame(s: State, variant) -> Bool:
    """In a call, pt_update's loop variables hold a request that passed the
    contract, its entry point's ASSERT and pt_update's own checks, with work left.
    Under the `any` contract (`contract.py`) the request is only what the C
    signatures and those checks let through: no presets, no range or frame bounds,
    and map's frame may have wrapped to INVALID_MFN (the entry ASSERT saw the first)."""
    geo = variant.geo
    wx = wx_flags(s.flags)
    invalid = s.mfn == INVALID_MFN
    presets = callers_of(variant) != ANY
    by_op = {
        OP_MAP: flags_ok(s.flags, variant.FLAG_PRESETS)
        & (invalid | ((s.mfn < PPN_LIMIT) & (s.left <= PPN_LIMIT - s.mfn))) if presets
        else flags_fit(s.flags, variant),
        OP_DESTROY: invalid & (s.flags == 0),
        OP_POPULATE: invalid & (s.flags == PTE_POPULATE),
        OP_MODIFY: invalid & (flags_ok(s.flags, variant.FLAG_PRESETS) if presets
                              else flags_fit(s.flags, variant)),
    }
    args = all_of((s.op == op).implies(c) for op, c in by_op.items()) & (s.op <= OP_MODIFY)
    entry_ok, _, _ = variant.map_pages_to_xen(s.start << PAGE_SHIFT, s.mfn, s.left, s.flags)
    if not presets:  # the ASSERT saw the first frame: mfn + nr may wrap to INVALID_MFN since
        entry_ok, _, _ = variant.map_pages_to_xen(s.start << PAGE_SHIFT, bv(0, 64), s.left, s.flags)
    args = args & (s.op == OP_MAP).implies(entry_ok)
    virt = s.start << PAGE_SHIFT
    in_range = range_ok(virt, s.nr, geo.mode.va_bits) if presets else TRUE
    return (s.pc == PC_LOOP).implies(
        args & ~wx & (s.left != 0) & ((s.start >> (64 - PAGE_SHIFT)) == 0) & in_range)


def loop_progress(s: State) -> Bool:
    """In a call, the loop has not gone past the request: vfn - start <= nr
    (so `left`, which is nr - (vfn - start), has not wrapped below zero)."""
    return (s.pc == PC_LOOP).implies((s.vfn - s.start) <= s.nr)


def idle_clean(s: State) -> Bool:
    """Between calls nothing has changed since the last full fence."""
    return (s.pc == PC_IDLE).implies(~s.tlb_stale)


def pool_ok(s: State, variant) -> Bool:
    """The allocator's count is within the pool; handed-out pages are below the root level."""
    geo = variant.geo
    ok = s.next_free <= geo.pool
    for k in range(geo.pool):
        ok = ok & (s.next_free > k).implies(s.pool_level[k] < geo.top)
    return ok


_TREE = ("tree", "frame", "pool")
INVARIANTS: dict[str, StepObligation] = {o.id: o for o in (
    StepObligation("wx", "never W+X: no valid leaf is both writable and executable", wx,
                   ("wx", "frame"), lemma="wx"),
    StepObligation("reserved", "no entry Xen writes is a reserved encoding (spec page fault)",
                   reserved, _TREE),
    StepObligation("no-overwrite", "an insert never replaces a valid entry; a leaf's PPN never "
                   "changes without the entry becoming invalid first", no_overwrite, ("frame",)),
    StepObligation("well-formed", "the tree is well formed: tables handed out by the allocator, "
                   "each linked once at its level, never read as a leaf or from a leaf",
                   well_formed, _TREE, lemma="tree"),
    StepObligation("footprint", "a call on [virt, virt+nr pages) changes no translation outside "
                   "it", footprint, _TREE + ("progress",)),
    StepObligation("functional", "a successful call does what it was asked on its range, "
                   "and nothing else to it", functional, _TREE + ("progress",)),
    StepObligation("tlb", "TLB coherent at return: no entry changed since the last fence", tlb,
                   ("idle",)),
    StepObligation("tables-kept", "no table link is cleared or replaced, and only map and "
                   "populate allocate tables (pt.c never frees a table page)", tables_kept,
                   ("frame",)),
    StepObligation("small", "a PTE_SMALL request creates 4K leaves only", small, ("frame",)),
    StepObligation("refusal", "a request the entry point must reject (unaligned, W+X, s >= e) "
                   "returns -EINVAL at once", refusal),
    StepObligation("return", "a call returns 0 exactly when it did all it was asked (its loop "
                   "covered the whole request), else a negative errno", return_value, ("frame",)),
    StepObligation("pmap", "every table a step maps (map_table: in early boot one of the "
                   "NUM_FIX_PMAP PMAP slots) is unmapped before the step ends", pmap),
    StepObligation("atomicity", "a failing call leaves no earlier iteration applied "
                   "(informative)", atomicity, ("frame",), informative=True),
)}

LEMMAS: dict[str, StepObligation] = {o.id: o for o in (
    StepObligation("lemma-frame", "while pt_update's loop runs, its arguments are those of a "
                   "request that passed the contract and the entry checks",
                   lambda v: loop_frame(v.post, v.variant), ("frame",), lemma="frame",
                   per_operation=True, cites=loop_frame, by_case=True, by_callers=True),
    StepObligation("lemma-progress", "pt_update's loop never goes past the request: "
                   "vfn - start <= nr (left never wraps below zero) while it runs",
                   lambda v: loop_progress(v.post), ("frame", "progress"), lemma="progress",
                   per_operation=True, cites=loop_progress),
    StepObligation("lemma-idle", "between calls no entry has changed since the last fence",
                   lambda v: idle_clean(v.post), ("idle",), lemma="idle", cites=idle_clean),
    StepObligation("lemma-pool", "the allocator hands out at most its pool, only for levels "
                   "below the root", lambda v: pool_ok(v.post, v.variant), ("pool",),
                   lemma="pool", cites=pool_ok),
)}

#: every obligation the state machine checks, in report order
OBLIGATIONS: dict[str, StepObligation] = {**INVARIANTS, **LEMMAS}


def _tree_at(s: State, variant, va: Word) -> Bool:
    v = View(variant, None, va)  # type: ignore[arg-type]
    return tree_ok(s, v, v.translate(s))


def _no_wx_at(s: State, variant, va: Word) -> Bool:
    return no_wx(View(variant, None, va).translate(s))  # type: ignore[arg-type]


#: the lemmas by name: of a state, or of a state at an address
LEMMA_OF_STATE = {"frame": loop_frame, "progress": lambda s, variant: loop_progress(s),
                  "idle": lambda s, variant: idle_clean(s), "pool": pool_ok}
LEMMA_AT = {"tree": _tree_at, "wx": _no_wx_at}


def lemma(name: str, s: State, variant, addresses: list[Word]) -> Bool:
    """The named lemma on state `s`, instantiated at `addresses`."""
    return instantiate(name, s, variant, addresses, LEMMA_OF_STATE, LEMMA_AT)


# -- helpers the statements above use ------------------------------------------

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
