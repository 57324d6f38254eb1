"""The hardware's translation of a VA (privileged spec, pte-encodings.md 1.5).

This is the MMU's view, not Xen's: it follows the spec's `pointer` and `leaf`
classes (`model.riscv.pte.classify`).  The invariants compare it before and
after a step, and check Xen's own walker against it.
"""
from __future__ import annotations

from dataclasses import dataclass

from model.memory import FRAME_BITS, Memory
from model.riscv.pte import (
    PAGE_SHIFT,
    PAGETABLE_ORDER,
    PTE_PBMT_MASK,
    PTE_N,
    PTE_PPN_SHIFT,
    Extensions,
    Mode,
    classify,
    leaf_pa,
)
from model.term import FALSE, TRUE, Bool, Word, bv, ite

#: the leaf bits a translation carries besides the address (V R W X U G A D, PBMT, N)
LEAF_ATTRS = 0xFF | PTE_PBMT_MASK | PTE_N


@dataclass
class Visit:
    """The walk read `entry` at (frame, idx), a table at `level`."""

    on: Bool
    frame: Word
    idx: Word
    level: int
    entry: Word


@dataclass
class Translation:
    ok: Bool  # a usable leaf was found
    ppn: Word  # physical page (PA >> 12), 44 bits; 0 unless ok
    attrs: Word  # LEAF_ATTRS bits of the leaf; 0 unless ok
    level: Word  # level of the leaf (3 bits); 0 unless ok
    leaf_r: Bool
    leaf_w: Bool
    leaf_x: Bool
    visits: list  # every table entry the walk read

    def same(self, o: "Translation") -> Bool:
        """Equal as the hardware sees them: no leaf in both, or the same page and bits."""
        both = self.ok & o.ok & (self.ppn == o.ppn) & (self.attrs == o.attrs)
        return (~self.ok & ~o.ok) | both


def vpn(va: Word, level: int) -> Word:
    lo = PAGE_SHIFT + PAGETABLE_ORDER * level
    return va.bits(lo + PAGETABLE_ORDER - 1, lo)


def translate(mem: Memory, root: Word, va: Word, mode: Mode,
              ext: Extensions = Extensions()) -> Translation:
    """Walk from `root` for `va` (a 64-bit Word); levels are unrolled."""
    table = root
    going = TRUE  # still descending
    ok = FALSE
    ppn = bv(0, FRAME_BITS)
    attrs = bv(0, 64)
    level = bv(0, 3)
    r = w = x = FALSE
    visits = []
    for lvl in range(mode.levels - 1, -1, -1):
        idx = vpn(va, lvl)
        entry = mem.read(table, idx)
        visits.append(Visit(going, table, idx, lvl, entry))
        c = classify(entry, lvl, mode, ext)
        hit = going & c.leaf
        pa = leaf_pa(entry, va, lvl, mode)
        ok = ok | hit
        ppn = ite(hit, pa.bits(55, PAGE_SHIFT), ppn)
        attrs = ite(hit, entry & LEAF_ATTRS, attrs)
        level = ite(hit, bv(lvl, 3), level)
        r, w, x = ite(hit, c.r, r), ite(hit, c.w, w), ite(hit, c.x, x)
        table = entry.bits(PTE_PPN_SHIFT + FRAME_BITS - 1, PTE_PPN_SHIFT)
        going = going & c.pointer
    return Translation(ok, ppn, attrs, level, r, w, x, visits)
