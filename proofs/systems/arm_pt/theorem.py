"""What must hold for Arm's xen_pt_update (system `arm-pt`), and the lemmas its proofs assume.  Read first.

The state-machine issue's invariants restated over the LPAE walk
(`model/arm/walk.py`), plus the Arm-specific ones: contiguous groups, the
break-before-make rule on live entries, and no change of AttrIndx on a live
mapping.  `ArmView` plays the part of `proofs/systems/walk.py`'s View: a step
seen through the MMU at a witness address `va` (free in a proof).
"""
from __future__ import annotations

from dataclasses import dataclass

from model.arm.lpae import classify_desc
from model.arm.pt import (
    _PAGE_BLOCK,
    _PAGE_CONTIG,
    _PAGE_POPULATE,
    _PAGE_PRESENT,
    _PAGE_RO,
    _PAGE_XN,
    PTE_CONTIG,
    PTE_RO,
    PTE_XN,
    THIRD,
    XEN_PT_4K_NR_CONTIG,
    _level_is,
    level_pages_arm,
)
from model.arm.walk import LEAF_ATTR_MASK, agree, claims, group_members, live, through, translate
from model.memory import FRAME_BITS
from model.riscv.machine import INVALID_MFN, OP_DESTROY, OP_MAP, OP_MODIFY, OP_POPULATE, PC_IDLE, PC_LOOP
from model.riscv.walk import Translation
from model.term import TRUE, Bool, Word, all_of, any_of, bv, ite, sym_word
from proofs.engine.obligation import StepObligation
from model.riscv.machine import EINVAL, rc_word
from proofs.systems.arm_pt.contract import OA_FRAMES, VA_BITS, flags_ok, must_refuse, range_ok
from proofs.systems.contracts import flags_fit, is_any
from proofs.systems.shared import atomicity, footprint, instantiate, no_wx, pmap, returns_as_asked, tlb, wx
from proofs.systems.walk import View

ADDR_BITS = (47, 12)


def arm_va(name: str) -> Word:
    """A free address the EL2 MMU translates: bits 63:48 clear.  (Its own symbol names:
    the RISC-V witnesses of the same name are narrower.)"""
    return sym_word(f"arm_{name}", VA_BITS).zext(64)


def at_level(entry: Word, level: Word, kind: str) -> Bool:
    return any_of((level == lvl) & getattr(classify_desc(entry, lvl), kind) for lvl in range(THIRD + 1))


@dataclass
class ArmView(View):
    """proofs/systems/walk.py's View with the LPAE walk, Arm's levels and Arm's request flags."""

    def translate(self, state, va: Word | None = None) -> Translation:
        return translate(state.mem, bv(self.geo.root, FRAME_BITS), self.va if va is None else va)

    @property
    def chunk_pages(self) -> Word:
        return level_pages_arm(self.step.level)

    @property
    def inserting(self) -> Bool:
        return (self.pre.mfn != INVALID_MFN) & (self.pre.flags & _PAGE_PRESENT).any()


# -- the invariants ---------------------------------------------------------------

def no_overwrite(v: ArmView) -> Bool:
    # An insert (or a new table) never lands on a valid entry; a valid leaf
    # never gets another output address without being invalidated first.
    ok = TRUE
    for w in v.step.writes:
        inserting = Bool(w.why == "create_table") | v.inserting
        leaves = at_level(w.old, w.level, "mapping") & at_level(w.new, w.level, "mapping")
        ok = ok & w.guard.implies(~(inserting & w.old.bit(0)))
        ok = ok & w.guard.implies(leaves.implies(w.old.bits(*ADDR_BITS) == w.new.bits(*ADDR_BITS)))
    # Through the contiguous bit: a new entry that claims its group gives every other live
    # member's address the output its own entry gives (else a lookup there may return
    # another address, D8.7.1, with no invalidation in between).
    for w in v.step.writes:
        ok = ok & w.guard.implies(group_clause(v.post, w, lambda new, i, e, k, lvl: live(e, lvl).implies(
            classify_desc(e, lvl).mapping & (through(new, i, k, lvl).bits(*ADDR_BITS) == e.bits(*ADDR_BITS)))))
    return ok


def group_clause(state, w, pred) -> Bool:
    """pred(new, i, member, k, level) for every other member k of the group `w` writes
    into (read in `state`), when the new entry claims the group; true otherwise."""
    out = TRUE
    for lvl in range(1, THIRD + 1):
        members = group_members(state.mem.read, w.frame, w.idx)
        each = all_of((pos != w.idx).implies(pred(w.new, w.idx, e, pos, lvl)) for pos, e in members)
        out = out & (_level_is(w.level, lvl) & claims(w.new, lvl)).implies(each)
    return out


def well_formed(v: ArmView) -> Bool:
    # Xen writes only into table pages the allocator handed out, its walker
    # descends only through what the architecture calls a table, and no step
    # breaks the tree along the MMU's walk.
    writes = all_of(w.guard.implies(v.post.allocated(v.geo, w.frame)) for w in v.step.writes)
    descents = all_of(d.guard.implies(classify_desc(d.entry, d.level).table) for d in v.step.descents)
    return writes & descents & tree_ok(v.pre, v, v.before).implies(tree_ok(v.post, v, v.after))


def functional(v: ArmView) -> Bool:
    # A successful iteration does what its call asked on the entry it updated
    # and leaves the part of the request already done alone.
    done_kept = v.in_done.implies(v.before.same(v.after))
    chunk = v.in_chunk & v.in_request
    by_op = {
        OP_MAP: chunk.implies(expected_map(v)),
        OP_DESTROY: chunk.implies(~v.after.ok),
        OP_MODIFY: chunk.implies(expected_modify(v)),
        OP_POPULATE: v.before.same(v.after),
    }
    per_op = all_of(v.op_is(op).implies(p) for op, p in by_op.items())
    return v.succeeded.implies(done_kept & per_op)


def contig(v: ArmView) -> Bool:
    # When a call returns, the contiguous group the witness's walk ends in is not
    # misprogrammed (the Arm ARM's rule, `group_ok`): if any member has the bit,
    # every valid member is a block or page with it, the same attributes, and the
    # output address of its position in a range aligned to 16 entries' size.
    return (v.step.ended & (v.post.pc == PC_IDLE)).implies(group_ok(v.post, v.after, v))


def bbm(v: ArmView) -> Bool:
    # A live (valid) entry is only rewritten in ways break-before-make does not
    # require: the same output address, type, memory type, shareability, nG
    # and contiguous bit; only AP[2] and XN may change.  And an entry that claims
    # a contiguous group is written only into a group whose live members it agrees
    # with (pte-encodings.md 4.5-4.6: changing the bit is BBM of the whole group).
    entry = all_of(w.guard.implies((w.old.bit(0) & w.new.bit(0)).implies(
        ((w.old ^ w.new) & ~(PTE_RO | PTE_XN)) == 0)) for w in v.step.writes)
    group = all_of(w.guard.implies(group_clause(v.post, w, agree)) for w in v.step.writes)
    return entry & group


def attrs(v: ArmView) -> Bool:
    # The memory attributes (AttrIndx) of a live mapping never change.
    return all_of(w.guard.implies((w.old.bit(0) & w.new.bit(0) & at_level(w.old, w.level, "mapping"))
                                  .implies(w.old.bits(4, 2) == w.new.bits(4, 2))) for w in v.step.writes)


def returns(v: ArmView) -> Bool:
    # A call returns 0 exactly when it did all it was asked (xen_pt_update's loop
    # covered the request: `left` is 0), else a negative errno: the failing
    # xen_pt_update_entry's rc, earlier entries left applied (atomicity).  A request
    # xen_pt_update's checks refuse (W+X, _PAGE_CONTIG, an unaligned virt) returns
    # -EINVAL from the call itself, with no loop.
    refused = v.step.kind & must_refuse(v.variant, v.step.call)
    at_once = refused.implies((v.post.pc == PC_IDLE) & (v.post.rc == rc_word(-EINVAL)))
    return at_once & returns_as_asked(v, refused, v.post.left == 0)


def expected_map(v: ArmView) -> Bool:
    """The translation is the leaf map_pages_to_xen asked for (the contiguous bit aside)."""
    t = v.after
    mfn = v.pre.mfn + (v.va_pfn - v.pre.vfn)
    want = v.variant.set_permissions(v.variant.mfn_to_xen_entry(bv(0, 64), v.pre.flags.bits(2, 0)),
                                     v.pre.flags & ~_PAGE_CONTIG) & LEAF_ATTR_MASK
    return t.ok & (t.ppn == mfn.trunc(FRAME_BITS)) & ((t.attrs & ~PTE_CONTIG) == (want & ~PTE_CONTIG))


def expected_modify(v: ArmView) -> Bool:
    """Same page and attributes, AP[2] and XN as requested."""
    old, new, f = v.before, v.after, v.pre.flags
    want = ((old.attrs & ~(PTE_RO | PTE_XN))
            | ite((f & _PAGE_RO).any(), bv(PTE_RO, 64), bv(0, 64))
            | ite((f & _PAGE_XN).any(), bv(PTE_XN, 64), bv(0, 64)))
    return old.ok & new.ok & (new.ppn == old.ppn) & (new.attrs == want)


def scaled(n: Word, level: Word) -> Word:
    """n << XEN_PT_LEVEL_ORDER(level), for a symbolic level 1..3 (shifts, not a multiplier)."""
    return ite(level == 1, n << 18, ite(level == 2, n << 9, n))


def level_of(state, geo, frame: Word) -> Word:
    lvl = bv(0, 3)  # the root
    for k in range(geo.pool):
        lvl = ite(frame == geo.pool_base + k, state.pool_level[k], lvl)
    return lvl


def tree_ok(state, v: ArmView, t: Translation) -> Bool:
    """Along the walk `t` in `state`: no faulting descriptor (nor a leaf without the
    access flag) is reached, and every
    table below the root was handed out for its level and is linked from the
    entry the walk came through."""
    ok = TRUE
    prev = None
    for visit in t.visits:
        c = classify_desc(visit.entry, visit.level)
        ok = ok & visit.on.implies(~c.fault & c.mapping.implies(visit.entry.bit(10)))  # AF set
        if prev is not None:
            pf, pi = state.parent_of(v.geo, visit.frame)
            linked = (state.allocated(v.geo, visit.frame) & (visit.frame != v.geo.root)
                      & (level_of(state, v.geo, visit.frame) == visit.level) & (pf == prev.frame) & (pi == prev.idx))
            ok = ok & visit.on.implies(linked)
        prev = visit
    return ok


def stop_slot(t: Translation) -> tuple[Word, Word, Word]:
    """(table frame, index, level) of the entry the walk stopped at: its leaf, or the
    invalid or faulting entry that ended it."""
    frame, idx, level = t.visits[0].frame, t.visits[0].idx, bv(0, 3)
    for visit in t.visits[1:]:
        frame, idx, level = ite(visit.on, (visit.frame, visit.idx, bv(visit.level, 3)), (frame, idx, level))
    return frame, idx, level


def group_ok(state, t: Translation, v) -> Bool:
    """The contiguous group of the entry the walk `t` stopped at (its leaf, or the invalid
    entry that ended it) is not misprogrammed, as the Arm ARM states it (D8.7.1; see
    ../shared/reference/pte-encodings.md section 4.5): if any member claims the group, every
    valid member is a programmed block or page, with the attributes of the others and the
    output address of its position in one range aligned to 16 entries' size.  Invalid
    members are allowed."""
    frame, idx, level = stop_slot(t)
    members = group_members(state.mem.read, frame, idx)
    ok = TRUE
    for lvl in range(1, THIRD + 1):
        any_claim = any_of(claims(e, lvl) for _, e in members)
        ref, ref_pos = members[-1][1], members[-1][0]  # the first member that claims the group
        for pos, e in reversed(members[:-1]):
            ref, ref_pos = ite(claims(e, lvl), (e, pos), (ref, ref_pos))
        each = all_of(agree(e, pos, ref, ref_pos, lvl) for pos, e in members)
        ok = ok & ((level == lvl) & any_claim).implies(each)
    return ok


# -- the lemmas ---------------------------------------------------------------------

def loop_frame(s, variant) -> Bool:
    """In a call: the arguments of a request that passed the contract, the entry
    ASSERTs and xen_pt_update's checks; a contiguous group in progress is aligned
    and has room in what is left.  Under the `any` contract (contract.py) the
    request is only what the C signatures and those checks let through: no presets,
    no range or frame bounds, and a map's frame may have wrapped to INVALID_MFN
    (mfn_add past ~0: the rest of the call is a modify)."""
    present = (s.flags & _PAGE_PRESENT).any()
    rwx = present & ~(s.flags & _PAGE_RO).any() & ~(s.flags & _PAGE_XN).any()
    invalid = s.mfn == INVALID_MFN
    presets = not is_any(variant)
    flags_in = flags_ok(s.flags, variant.FLAG_PRESETS) if presets else flags_fit(s.flags, variant)
    by_op = {
        OP_MAP: flags_in & ~invalid & (s.mfn < OA_FRAMES) & (s.left <= OA_FRAMES - s.mfn) if presets
        else flags_in,
        OP_DESTROY: invalid & (s.flags == 0),
        OP_POPULATE: invalid & (s.flags == _PAGE_POPULATE),
        OP_MODIFY: invalid & flags_in,
    }
    args = all_of((s.op == op).implies(c) for op, c in by_op.items()) & (s.op <= OP_MODIFY)
    pages = level_pages_arm(s.group_level)
    contig_ok = (~invalid if presets else TRUE) & (s.flags & _PAGE_BLOCK).any()
    group = (s.group_left != 0).implies(
        (s.group_left <= XEN_PT_4K_NR_CONTIG) & (s.group_level >= 1) & (s.group_level <= THIRD)
        & ((s.vfn & (pages - 1)) == 0) & (invalid | ((s.mfn & (pages - 1)) == 0))
        & (s.left >= scaled(s.group_left.zext(64), s.group_level))
        & s.group_contig.implies(contig_ok))
    in_range = range_ok(s.start << 12, s.nr) if presets else TRUE
    # the RFC has no _PAGE_CONTIG (bit 8 is not looked at): only presets keep it clear there
    no_contig = (s.flags & _PAGE_CONTIG) == 0 if presets or variant.REFUSES_CONTIG else TRUE
    return (s.pc == PC_LOOP).implies(
        args & ~rwx & no_contig & ((s.left != 0) | (s.group_left != 0))
        & in_range & ((s.start >> (64 - 12)) == 0) & group)


def loop_progress(s) -> Bool:
    return (s.pc == PC_LOOP).implies((s.vfn - s.start) <= s.nr)


def idle_clean(s) -> Bool:
    # Between calls, and all through an insert (which xen_pt_update ends
    # without a flush), no valid entry has changed since the last flush.
    # In a call, the stale pages lie in the request (so its closing
    # flush_xen_tlb_range_va reaches them), and a contiguous group in progress
    # began in this call, 16 entries aligned: vfn is its member 16 - group_left.
    inserting = (s.pc == PC_LOOP) & (s.mfn != INVALID_MFN) & (s.flags & _PAGE_PRESENT).any()
    clean = ((s.pc == PC_IDLE) | inserting).implies(~s.tlb_stale)
    in_request = (s.start <= s.stale_lo) & (s.stale_lo <= s.stale_hi) & ((s.stale_hi - s.start) < s.nr)
    done = scaled((XEN_PT_4K_NR_CONTIG - s.group_left.zext(64)), s.group_level)
    span = scaled(bv(XEN_PT_4K_NR_CONTIG, 64), s.group_level)
    group = (s.group_contig & (s.group_left != 0)).implies(
        ((s.vfn & (span - 1)) == done) & ((s.vfn - s.start) >= done))
    return clean & (s.pc == PC_LOOP).implies(s.tlb_stale.implies(in_request) & group)


def pool_ok(s, variant) -> Bool:
    geo = variant.geo
    ok = s.next_free <= geo.pool
    for k in range(geo.pool):
        ok = ok & (s.next_free > k).implies((s.pool_level[k] >= 1) & (s.pool_level[k] <= THIRD))
    return ok


def _view(variant, a: Word) -> ArmView:
    return ArmView(variant, None, a)  # type: ignore[arg-type]


#: the lemmas by name: of a state, or of a state at an address
LEMMA_OF_STATE = {"frame": loop_frame, "progress": lambda s, variant: loop_progress(s),
                  "idle": lambda s, variant: idle_clean(s), "pool": pool_ok}
LEMMA_AT = {
    "tree": lambda s, variant, a: tree_ok(s, _view(variant, a), _view(variant, a).translate(s)),
    "contig": lambda s, variant, a: group_ok(s, _view(variant, a).translate(s), None),
    "wx": lambda s, variant, a: no_wx(_view(variant, a).translate(s)),
}


def lemma(name: str, s, variant, addresses: list[Word]) -> Bool:
    """The named lemma on state `s`, instantiated at `addresses`."""
    return instantiate(name, s, variant, addresses, LEMMA_OF_STATE, LEMMA_AT)


# -- the obligations -----------------------------------------------------------------

_TREE = ("tree", "frame", "pool")
OBLIGATIONS: dict[str, StepObligation] = {o.id: o for o in (
    StepObligation("wx", "never W+X: no valid leaf is writable and executable at EL2", wx,
               ("wx",) + _TREE, lemma="wx"),
    StepObligation("no-overwrite", "an insert never replaces a valid entry; a leaf's output address "
               "never changes without the entry becoming invalid first, through a contiguous group neither", no_overwrite, ("frame",)),
    StepObligation("well-formed", "tables handed out by the allocator, each linked once at its level, "
               "never walked through a block or page", well_formed, _TREE, lemma="tree"),
    StepObligation("footprint", "a call on [virt, virt+nr pages) changes no translation outside it",
               footprint, _TREE + ("progress",)),
    StepObligation("functional", "a successful xen_pt_update_entry does what its call asked on its "
               "entry, and leaves the part already done alone", functional, _TREE + ("progress",)),
    StepObligation("tlb", "TLB coherent at return: no page whose valid entry changed since the last flush "
               "is left out of a flush (flush_xen_tlb_range_va's range, per page)", tlb,
               ("idle", "frame", "progress")),
    # contig and lemma-contig are violated or not inductive in every version, so their step
    # queries are asked of Bitwuzla first (`sat_first`): z3 takes 36 s of CPU to find the
    # arm-pt-rfc@any counterexample to the step Bitwuzla finds in 5 s (build on a loaded machine)
    StepObligation("contig", "at return, no contiguous group is misprogrammed (D8.7.1): if a member has the "
               "bit, every valid member has it, equal attributes and its place in an aligned output range",
               contig, _TREE + ("contig",), sat_first=True),
    StepObligation("bbm", "a live entry is only changed in AP[2]/XN, and the contiguous bit is only written "
               "into a group it agrees with: nothing break-before-make requires is done to a valid entry", bbm, ("frame",)),
    StepObligation("attrs", "the memory attributes (AttrIndx) of a live mapping never change", attrs,
               ("frame",)),
    StepObligation("return", "a call returns 0 exactly when it did all it was asked (its loop covered "
               "the request), else a negative errno; a request xen_pt_update's checks refuse returns "
               "-EINVAL at once", returns, ("frame",)),
    StepObligation("pmap", "every table a step maps (xen_map_table: in early boot one of the "
               "NUM_FIX_PMAP PMAP slots) is unmapped before the step ends", pmap),
    StepObligation("atomicity", "a failing call leaves no earlier iteration applied (informative)",
               atomicity, ("frame",), informative=True),
    StepObligation("lemma-frame", "while xen_pt_update's loop runs, its arguments are those of a request "
               "that passed the contract and the checks; a contiguous group in progress is aligned",
               lambda v: loop_frame(v.post, v.variant), ("frame",), cites=loop_frame, lemma="frame", per_operation=False,
               by_case=True, by_callers=True),
    StepObligation("lemma-progress", "xen_pt_update's loop never goes past the request: vfn - start <= nr",
               lambda v: loop_progress(v.post), ("frame", "progress"), cites=loop_progress, lemma="progress",
               by_case=True),
    StepObligation("lemma-idle", "between calls no valid entry has changed since the last flush; in a call "
               "the stale pages and a contiguous group in progress lie in the request",
               lambda v: idle_clean(v.post), ("idle", "frame", "progress"), cites=idle_clean, lemma="idle"),
    StepObligation("lemma-contig", "after every step, no contiguous group is misprogrammed (mid-call too)", lambda v: group_ok(v.post, v.after, v), _TREE + ("contig",),
               cites=group_ok, lemma="contig", sat_first=True),
    StepObligation("lemma-pool", "the allocator hands out at most its pool, for levels 1-3",
               lambda v: pool_ok(v.post, v.variant), ("pool",), cites=pool_ok, lemma="pool"),
)}
