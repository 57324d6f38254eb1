"""The strengthening lemmas the one-step proofs assume, and what each proof needs.

A step proof shows `lemmas(pre) and step => invariant(step)`.  That is sound
only if every lemma it assumes is itself preserved by every step (and holds
initially): each lemma is proved by the obligation named in `PROVED_BY`, and
a proof whose lemmas are not all proved for the version is not reported as
proved (the engine looks for a real trace instead).

Lemmas quantified over addresses are instantiated at the addresses the step
and the invariant look at: the witness `va` and the address the step updates.
"""
from __future__ import annotations

from model.riscv.machine import INVALID_MFN, OP_DESTROY, OP_MAP, OP_MODIFY, OP_POPULATE, PC_IDLE, PC_LOOP, State
from model.riscv.pte import PAGE_SHIFT, PTE_POPULATE
from model.term import Bool, Word, all_of, bv
from proofs.contract import PPN_LIMIT, flags_ok, range_ok, wx_flags
from proofs.invariants import Invariant, no_wx, tree_ok
from proofs.semantics import View


def loop_frame(s: State, variant) -> Bool:
    """In a call, pt_update's loop variables hold a request that passed the
    contract, its entry point's ASSERT and pt_update's own checks, with work left."""
    geo = variant.geo
    wx = wx_flags(s.flags)
    invalid = s.mfn == INVALID_MFN
    by_op = {
        OP_MAP: flags_ok(s.flags, variant.FLAG_PRESETS)
        & (invalid | ((s.mfn < PPN_LIMIT) & (s.left <= PPN_LIMIT - s.mfn))),
        OP_DESTROY: invalid & (s.flags == 0),
        OP_POPULATE: invalid & (s.flags == PTE_POPULATE),
        OP_MODIFY: invalid & flags_ok(s.flags, variant.FLAG_PRESETS),
    }
    args = all_of((s.op == op).implies(c) for op, c in by_op.items()) & (s.op <= OP_MODIFY)
    entry_ok, _, _ = variant.map_pages_to_xen(s.start << PAGE_SHIFT, s.mfn, s.left, s.flags)
    args = args & (s.op == OP_MAP).implies(entry_ok)
    virt = s.start << PAGE_SHIFT
    return (s.pc == PC_LOOP).implies(
        args & ~wx & (s.left != 0) & ((s.start >> (64 - PAGE_SHIFT)) == 0)
        & range_ok(virt, s.nr, geo.mode.va_bits))


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


def tree_at(s: State, variant, va: Word) -> Bool:
    v = View(variant, None, va)  # type: ignore[arg-type]
    return tree_ok(s, v, v.translate(s))


def no_wx_at(s: State, variant, va: Word) -> Bool:
    return no_wx(View(variant, None, va).translate(s))  # type: ignore[arg-type]


# -- lemma obligations (checked like invariants) ----------------------------------
LEMMA_INVARIANTS: dict[str, Invariant] = {i.id: i for i in (
    Invariant("lemma-frame", "while pt_update's loop runs, its arguments are those of a "
              "request that passed the contract and the entry checks",
              lambda v: loop_frame(v.post, v.variant)),
    Invariant("lemma-progress", "pt_update's loop never goes past the request: "
              "vfn - start <= nr (left never wraps below zero) while it runs",
              lambda v: loop_progress(v.post)),
    Invariant("lemma-idle", "between calls no entry has changed since the last fence",
              lambda v: idle_clean(v.post)),
    Invariant("lemma-pool", "the allocator hands out at most its pool, only for levels below the root",
              lambda v: pool_ok(v.post, v.variant)),
)}

#: lemma -> the obligation whose proof establishes it
PROVED_BY = {"tree": "well-formed", "wx": "wx", "frame": "lemma-frame",
             "progress": "lemma-progress", "idle": "lemma-idle", "pool": "lemma-pool"}
#: lemmas about the call in progress: a step of a call to `op` assumes them for
#: `op` only, and their obligation for `op` establishes them
PER_OPERATION = ("frame", "progress")

#: obligation -> the lemmas its step proof assumes (as few as it needs, so a
#: version that breaks one lemma keeps the proofs that do not depend on it)
_TREE = ("tree", "frame", "pool")
NEEDS: dict[str, tuple[str, ...]] = {
    "wx": ("wx", "frame"),
    "reserved": _TREE,
    "no-overwrite": ("frame",),
    "well-formed": _TREE,
    "footprint": _TREE + ("progress",),
    "functional": _TREE + ("progress",),
    "tlb": ("idle",),
    "atomicity": ("frame",),
    "tables-kept": ("frame",),
    "small": ("frame",),
    "refusal": (),
    "lemma-frame": ("frame",),
    "lemma-progress": ("frame", "progress"),
    "lemma-idle": ("idle",),
    "lemma-pool": ("pool",),
}


def assume(lemmas: tuple[str, ...], s: State, variant, addresses: list[Word]) -> Bool:
    """The named lemmas on pre-state `s`, instantiated at `addresses`."""
    out = bv(1, 1) == 1
    for name in lemmas:
        if name == "frame":
            out = out & loop_frame(s, variant)
        elif name == "progress":
            out = out & loop_progress(s)
        elif name == "idle":
            out = out & idle_clean(s)
        elif name == "pool":
            out = out & pool_ok(s, variant)
        elif name == "tree":
            out = out & all_of(tree_at(s, variant, a) for a in addresses)
        elif name == "wx":
            out = out & all_of(no_wx_at(s, variant, a) for a in addresses)
        else:
            raise KeyError(name)
    return out
