"""What the invariants talk about: a step seen through the hardware's eyes.

`View` wraps one `Step` of a version's machine and gives the invariants in
the obligations (`proofs/systems/*/theorem.py`) the few notions they need: the translation of the
witness address before and after, the range the call asked for, the chunk one
iteration covered, the leaf a map should have produced.  The witness `va` is a
free variable in a proof (so a proof covers every address) and a number in a
replay.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from model.riscv.machine import INVALID_MFN, PC_LOOP, Step, level_pages
from model.riscv.pte import (
    PAGE_SHIFT,
    PTE_ACCESSED,
    PTE_DIRTY,
    PTE_VALID,
    classify,
)
from model.riscv.walk import LEAF_ATTRS, Translation, translate
from model.term import Bool, Word, any_of, bv, concat, ite, sym_word


def canonical_va(name: str, va_bits: int) -> Word:
    """A fresh symbolic VA that the MMU accepts: bits 63:va_bits-1 all equal."""
    low = sym_word(name, va_bits)
    top = low.bit(va_bits - 1)
    high = ite(top, bv((1 << (64 - va_bits)) - 1, 64 - va_bits), bv(0, 64 - va_bits))
    return concat(high, low)


def at_level(entry: Word, level: Word, mode, kind: str) -> Bool:
    """The spec puts `entry` in class `kind` (fault, leaf, pointer) at the (symbolic) level it sits at."""
    return any_of((level == lvl) & getattr(classify(entry, lvl, mode), kind) for lvl in range(mode.levels))


@dataclass
class View:
    variant: object
    step: Step
    va: Word  # the witness address

    @property
    def geo(self):
        return self.variant.geo

    @property
    def mode(self):
        return self.geo.mode

    @property
    def pre(self):
        return self.step.pre

    @property
    def post(self):
        return self.step.post

    def translate(self, state, va: Word | None = None) -> Translation:
        return translate(state.mem, bv(self.geo.root, 44), self.va if va is None else va, self.mode)

    @cached_property
    def before(self) -> Translation:
        return self.translate(self.pre)

    @cached_property
    def after(self) -> Translation:
        return self.translate(self.post)

    # -- the call in progress ---------------------------------------------
    @property
    def iterating(self) -> Bool:
        """This step is one iteration of pt_update's loop."""
        return self.pre.pc == PC_LOOP

    def op_is(self, op: int) -> Bool:
        return self.pre.op == op

    @property
    def va_pfn(self) -> Word:
        return (self.va >> PAGE_SHIFT) & ((1 << (self.mode.va_bits - PAGE_SHIFT)) - 1)

    def _pfn(self, vfn: Word) -> Word:
        return vfn & ((1 << (self.mode.va_bits - PAGE_SHIFT)) - 1)

    def in_pages(self, first: Word, count: Word) -> Bool:
        """The witness lies in [first, first + count) pages (VA index space, no wrap)."""
        d = self.va_pfn - self._pfn(first)
        return (self.va_pfn >= self._pfn(first)) & (d < count)

    @property
    def in_request(self) -> Bool:
        return self.in_pages(self.pre.start, self.pre.nr)

    @property
    def chunk_pages(self) -> Word:
        return level_pages(self.step.level, self.mode.levels)

    @property
    def in_chunk(self) -> Bool:
        """The witness lies in the region the iteration's entry covers."""
        base = self.step.chunk_vfn & ~(self.chunk_pages - 1)
        return self.in_pages(base, self.chunk_pages)

    @property
    def in_done(self) -> Bool:
        """The witness lies in the part of the request already processed."""
        return self.in_pages(self.pre.start, self.pre.vfn - self.pre.start)

    @property
    def succeeded(self) -> Bool:
        return self.iterating & (self.post.rc == 0)

    # -- what a map should produce -------------------------------------------
    def expected_map(self, t: Translation) -> Bool:
        """`t` is the leaf map_pages_to_xen was asked for at the witness."""
        v = self.variant
        mfn = self.pre.mfn + (self.va_pfn - self._pfn(self.pre.vfn))
        attrs = (self.pre.flags & v.UPDATE_ATTRS) | PTE_VALID | PTE_ACCESSED | PTE_DIRTY
        return t.ok & (t.ppn == mfn.trunc(44)) & (t.attrs == (attrs & LEAF_ATTRS))

    def expected_modify(self, old: Translation, new: Translation) -> Bool:
        """`new` is `old` with only the permissions (and PBMT) the request asked for."""
        v = self.variant
        keep = LEAF_ATTRS & ~v.UPDATE_ATTRS
        want = (old.attrs & keep) | (self.pre.flags & v.UPDATE_ATTRS & LEAF_ATTRS) | PTE_ACCESSED | PTE_DIRTY
        return old.ok & new.ok & (new.ppn == old.ppn) & (new.attrs == want)

    def reaches_level0(self, t: Translation) -> Bool:
        """The walk found a leaf or went down to a level-0 table."""
        return t.ok | t.visits[-1].on

    @property
    def inserting(self) -> Bool:
        return (self.pre.mfn != INVALID_MFN) & (self.pre.flags & PTE_VALID).any()
