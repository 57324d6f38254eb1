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
from model.term import FALSE, TRUE, Bool, Word, any_of, bv, ite

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



# -- the contiguous bit (Arm ARM D8.7.1; ../shared/reference/pte-encodings.md section 4.5) --------
#
# 16 adjacent entries of a table, the group 128-byte aligned, may be cached as ONE TLB entry
# when they carry the Contiguous bit (52).  A lookup of any address of the group may then
# return what any *programmed* member (valid, a block or page, the bit and the access flag
# set) gives for that address: the member's attributes, its output address moved by the
# distance between the two positions.  Software must make every valid member such a
# programmed entry, consistent with the others and with the group's output range aligned to
# 16 entries' size; invalid members are allowed (not misprogramming).

CONTIG_BIT = 52
NR_CONTIG = 16
#: bits 58:55 are for software; the hardware ignores them
SOFTWARE_MASK = 0xF << 55


def entry_order(level: int) -> int:
    """log2 of the 4 KiB pages one entry at `level` maps."""
    return LPAE_SHIFT * (LPAE_LEVELS - 1 - level)


def live(desc: Word, level: int) -> Bool:
    """A valid entry the walk uses (a table, block or page; not a faulting encoding)."""
    c = classify_desc(desc, level)
    return c.table | c.mapping


def claims(desc: Word, level: int) -> Bool:
    """A block or page with the Contiguous bit set (in a table descriptor bit 52 is ignored)."""
    return classify_desc(desc, level).mapping & desc.bit(CONTIG_BIT)


def programmed(desc: Word, level: int) -> Bool:
    """An entry a TLB may cache as the whole group: it claims the group and has AF set
    (descriptors with AF clear are never cached, D8.5.1)."""
    return claims(desc, level) & desc.bit(DESC_AF_BIT)


def through(member: Word, k: Word, i: Word, level: int) -> Word:
    """The descriptor a TLB entry cached from `member` (position k of its group) gives
    position i of the same group: the member with its output address moved by i - k entries."""
    delta = (i.zext(64) - k.zext(64)) << (PAGE_SHIFT + entry_order(level))
    return (member & ~DESC_ADDR_MASK) | ((member + delta) & DESC_ADDR_MASK)


def group_aligned(member: Word, k: Word, level: int) -> Bool:
    """The member's output address is entry k of a range aligned to 16 entries' size."""
    lo = PAGE_SHIFT + entry_order(level)
    return member.bits(lo + 3, lo) == k.zext(64).bits(3, 0)


def agree(a: Word, i: Word, b: Word, k: Word, level: int) -> Bool:
    """Members a (position i) and b (position k) of one group are not misprogrammed
    together: unless one is invalid or neither claims the group, both are programmed,
    b's range is aligned, and a is what a TLB entry cached from b gives position i
    (same attributes and permissions, consecutive output; software bits aside)."""
    consistent = (programmed(a, level) & programmed(b, level) & group_aligned(b, k, level)
                  & (((a ^ through(b, k, i, level)) & ~SOFTWARE_MASK) == 0))
    return (live(a, level) & live(b, level) & (claims(a, level) | claims(b, level))).implies(consistent)


def group_members(read, frame: Word, idx: Word) -> list[tuple[Word, Word]]:
    """(position, entry) of the 16 members of the group of `idx` in table `frame`;
    `read(frame, idx)` reads an entry."""
    first = idx & ~(NR_CONTIG - 1)
    return [(first + k, read(frame, first + k)) for k in range(NR_CONTIG)]


def group_lookups(mem: Memory, t: Translation, va: Word) -> list[tuple[Bool, Word, Word]]:
    """What the MMU may return for `va` besides its own walk `t`: (hit, 4 KiB output frame,
    attributes) through each programmed member of the group of the leaf (or invalid entry)
    the walk stopped at, one per member; a hit only where that member is programmed."""
    out = []
    for lvl in range(1, LPAE_LEVELS):
        stop = t.visits[lvl]
        on = stop.on & ~any_of(v.on for v in t.visits[lvl + 1:])
        for pos, member in group_members(mem.read, stop.frame, stop.idx):
            seen = through(member, pos, stop.idx, lvl)
            page = seen.bits(47, PAGE_SHIFT)
            if entry_order(lvl):
                page = (page & ~((1 << entry_order(lvl)) - 1)) | va.bits(PAGE_SHIFT + entry_order(lvl) - 1,
                                                                          PAGE_SHIFT).zext(48 - PAGE_SHIFT)
            out.append((on & programmed(member, lvl), page.zext(FRAME_BITS), seen & LEAF_ATTR_MASK))
    return out
