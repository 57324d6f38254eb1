"""The MMU's translation of a VA through Xen's EL2 stage-1 tables (VMSAv8-64, 4KB granule).

The hardware's view, not Xen's: it follows `classify_desc` (model/arm/lpae.py),
levels 0 (root, VA[47:39]) to 3 (4 KiB pages).  EL2 is a one-exception-level
regime: a usable leaf is readable, writable unless AP[2] (Xen's `ro`) is set,
executable unless XN is set; the access flag must be set (Xen always sets it).
The result reuses RISC-V's `Translation` record: `ppn` is the 4 KiB output
frame of the VA's page, `attrs` the leaf's bits other than its address.
"""
from __future__ import annotations

from model.arm.lpae import DESC_UXN_BIT, LPAE_LEVELS, block_shift, classify_desc, output_address
from model.memory import FRAME_BITS, Memory
from model.riscv.walk import Translation, Visit
from model.term import FALSE, TRUE, Word, bv, ite

LPAE_SHIFT = 9
PAGE_SHIFT = 12
DESC_AF_BIT = 10
DESC_RO_BIT = 7  # AP[2]
#: address bits of a descriptor (47:12); everything else is an attribute
DESC_ADDR_MASK = ((1 << 48) - 1) & ~((1 << PAGE_SHIFT) - 1)
#: the leaf bits a translation carries besides the address (and the table/page bit)
LEAF_ATTR_MASK = ((1 << 64) - 1) & ~DESC_ADDR_MASK & ~0x2


def offset(va: Word, level: int) -> Word:
    """The table index of `va` at `level` (Xen's `*_table_offset`)."""
    lo = PAGE_SHIFT + LPAE_SHIFT * (LPAE_LEVELS - 1 - level)
    return va.bits(lo + LPAE_SHIFT - 1, lo)


def desc_frame(desc: Word) -> Word:
    """The 4 KiB frame a descriptor names (bits 47:12), as a model frame number."""
    return desc.bits(47, PAGE_SHIFT).zext(FRAME_BITS)


def translate(mem: Memory, root: Word, va: Word) -> Translation:
    table = root
    going = TRUE
    ok = FALSE
    ppn = bv(0, FRAME_BITS)
    attrs = bv(0, 64)
    level = bv(0, 3)
    r = w = x = FALSE
    visits = []
    for lvl in range(LPAE_LEVELS):
        idx = offset(va, lvl)
        entry = mem.read(table, idx)
        visits.append(Visit(going, table, idx, lvl, entry))
        c = classify_desc(entry, lvl)
        hit = going & c.mapping & entry.bit(DESC_AF_BIT)
        shift = block_shift(lvl)
        page = output_address(entry, lvl).bits(47, PAGE_SHIFT)
        if shift > PAGE_SHIFT:
            page = page | va.bits(shift - 1, PAGE_SHIFT).zext(48 - PAGE_SHIFT)
        ok = ok | hit
        ppn = ite(hit, page.zext(FRAME_BITS), ppn)
        attrs = ite(hit, entry & LEAF_ATTR_MASK, attrs)
        level = ite(hit, bv(lvl, 3), level)
        r = ite(hit, TRUE, r)
        w = ite(hit, ~entry.bit(DESC_RO_BIT), w)
        x = ite(hit, ~entry.bit(DESC_UXN_BIT), x)
        table = desc_frame(entry)
        going = going & c.table
    return Translation(ok, ppn, attrs, level, r, w, x, visits)

