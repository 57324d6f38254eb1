"""Arm VMSAv8-64 stage-1 descriptors, 4KB granule, 48-bit OA (TCR.DS=0).

The architecture's classification (pte-encodings.md 4.1-4.2: Arm ARM D8.3.1
Table D8-48) next to Xen's `lpae.h` helpers (section 4.8, xen-semantics 4.1).
Levels run 0 (root, IA[47:39]) .. 3 (4 KiB pages).

Decision on block RES0 bits: a level-1/2 block whose OA field has a non-zero
bit below the block size (bits 29:17 and 15:12 at level 1, 20:17 and 15:12 at
level 2; bit 16 is nT) sets RES0 bits, so its output address is not aligned
to the block.  The architecture gives software no defined result for it, so
the model classifies it as a fault with reason "block-misaligned" (the
counterpart of RISC-V's misaligned superpage) rather than guessing a PA.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from model.cite import follows
from model.term import FALSE, Bool, Word, any_of, concat, ite

LPAE_LEVELS = 4
LPAE_MAX_LEVEL = 3
LPAE_SHIFT = 9
PAGE_SHIFT = 12
OA_BITS = 48
DESC_WIDTH = 64

# Descriptor bits (Arm ARM D8.3; Xen lpae_pt_t field names in comments).
DESC_VALID = 1 << 0  # valid
DESC_TABLE = 1 << 1  # table (also "page" at level 3)
DESC_NT_BIT = 16  # nT in a block (FEAT_BBML1)
DESC_CONTIG_BIT = 52  # contig
DESC_PXN_BIT = 53  # pxn
DESC_UXN_BIT = 54  # xn (UXN in a two-EL regime)

SH_NAMES = {0: "NSH", 1: "RSV", 2: "OSH", 3: "ISH"}
AP_NAMES = {0: "EL1-RW", 1: "RW", 2: "EL1-RO", 3: "RO"}

#: every fault reason id, in the order `classify_desc` reports them
DESC_FAULT_REASONS = (
    "level0-block",  # bits[1:0]=01 at level 0: reserved with DS=0
    "level3-reserved",  # bits[1:0]=01 at level 3: reserved, treated as invalid
    "block-misaligned",  # RES0 OA bits below the block size
)


def block_shift(level: int) -> int:
    """log2 of the region a level-`level` block/page maps (30, 21, 12)."""
    return PAGE_SHIFT + LPAE_SHIFT * (LPAE_MAX_LEVEL - level)


def check_level(level: int) -> None:
    if not (isinstance(level, int) and 0 <= level <= LPAE_MAX_LEVEL):
        raise ValueError(f"level {level!r} outside the 4KB-granule walk (0..{LPAE_MAX_LEVEL})")


@dataclass
class DescClass:
    """The architecture's verdict.  Exactly one of invalid, table, block, page,
    fault holds; `reasons` gives each fault reason as a Bool."""

    invalid: Bool
    table: Bool
    block: Bool
    page: Bool
    fault: Bool
    reasons: "OrderedDict[str, Bool]"
    level: int

    @property
    def mapping(self) -> Bool:
        return self.block | self.page

    def kind(self) -> str:
        for name in ("invalid", "table", "block", "page", "fault"):
            if bool(getattr(self, name)):
                return name
        raise AssertionError("no class holds")

    def reason_list(self) -> list[str]:
        return [n for n, b in self.reasons.items() if bool(b)]

    def first_reason(self) -> str | None:
        return next((n for n, b in self.reasons.items() if bool(b)), None)


def block_misaligned(desc: Word, level: int) -> Bool:
    """RES0 low OA bits of a level-1/2 block (bit 16 is nT, not address)."""
    shift = block_shift(level)
    return desc.bits(shift - 1, DESC_NT_BIT + 1).any() | desc.bits(DESC_NT_BIT - 1, PAGE_SHIFT).any()


def classify_desc(desc: Word, level: int) -> DescClass:
    """Classify a stage-1 descriptor read at `level` (a Python int 0..3)."""
    if desc.is_concrete:  # a concrete run classifies the same few entries again and again
        return _classify_concrete(desc.v, desc.width, level)
    return _classify(desc, level)


@lru_cache(maxsize=65536)
def _classify_concrete(value: int, width: int, level: int) -> DescClass:
    return _classify(Word(value, width), level)


def _classify(desc: Word, level: int) -> DescClass:
    check_level(level)
    valid = desc.bit(0)
    type01 = valid & ~desc.bit(1)
    type11 = valid & desc.bit(1)

    reasons: OrderedDict[str, Bool] = OrderedDict()
    reasons["level0-block"] = type01 & (level == 0)
    reasons["level3-reserved"] = type01 & (level == LPAE_MAX_LEVEL)
    reasons["block-misaligned"] = (
        type01 & block_misaligned(desc, level) if level in (1, 2) else FALSE
    )
    fault = any_of(reasons.values())
    return DescClass(
        invalid=~valid,
        table=type11 & (level < LPAE_MAX_LEVEL),
        block=type01 & ~fault,
        page=type11 & (level == LPAE_MAX_LEVEL),
        fault=fault,
        reasons=reasons,
        level=level,
    )


def output_address(desc: Word, level: int) -> Word:
    """The 48-bit OA base of a block/page (or next-level table address)."""
    check_level(level)
    base = desc.bits(OA_BITS - 1, PAGE_SHIFT)
    is_block = ~desc.bit(1) & (level in (1, 2))
    shift = block_shift(level)
    block_base = concat(desc.bits(OA_BITS - 1, shift), Word(0, shift - PAGE_SHIFT)) if level in (1, 2) else base
    return concat(ite(is_block, block_base, base), Word(0, PAGE_SHIFT))


def desc_fields(value: int, level: int) -> dict[str, int]:
    """The stage-1 block/page fields of a concrete descriptor (D8.3.1)."""
    check_level(level)
    oa = output_address(Word(value, DESC_WIDTH), level)
    return {
        "attrindx": (value >> 2) & 0x7,
        "ns": (value >> 5) & 1,
        "ap": (value >> 6) & 0x3,  # AP[2:1]
        "sh": (value >> 8) & 0x3,
        "af": (value >> 10) & 1,
        "ng": (value >> 11) & 1,
        "contiguous": (value >> DESC_CONTIG_BIT) & 1,
        "pxn": (value >> DESC_PXN_BIT) & 1,
        "uxn": (value >> DESC_UXN_BIT) & 1,
        "oa": int(oa),
    }


def format_desc(value: int, level: int) -> str:
    """One line for a human, e.g. `page oa=0x80200000 attr=0 AP=RO SH=ISH flags=AF,UXN`."""
    kind = classify_desc(Word(value, DESC_WIDTH), level).kind()
    f = desc_fields(value, level)
    raw_address = value & (((1 << OA_BITS) - 1) & ~((1 << PAGE_SHIFT) - 1))
    if kind == "invalid":
        return "invalid"
    if kind == "table":
        return f"table next={raw_address:#x}"
    if kind == "fault":  # show the address bits as written: they may be the problem
        f["oa"] = raw_address
    flags = ",".join(
        name
        for key, name in (("af", "AF"), ("ng", "nG"), ("ns", "NS"), ("contiguous", "Cont"), ("pxn", "PXN"), ("uxn", "UXN"))
        if f[key]
    ) or "-"
    return (
        f"{kind} oa={f['oa']:#x} attr={f['attrindx']} AP={AP_NAMES[f['ap']]} "
        f"SH={SH_NAMES[f['sh']]} flags={flags}"
    )


XEN_LPAE_H = "xen-project/xen@c447b7308b xen/arch/arm/include/asm/lpae.h"


class ArmLpae:
    """Xen's Arm LPAE helpers; none but lpae_is_valid looks at the valid bit."""

    name = "arm-lpae"
    arch = "arm"
    source = XEN_LPAE_H

    @follows(XEN_LPAE_H, "lpae_is_valid")
    def lpae_is_valid(self, pte: Word) -> Bool:
        return pte.bit(0)

    @follows(XEN_LPAE_H, "lpae_is_table", note="level < 3 && pte.walk.table")
    def lpae_is_table(self, pte: Word, level: int) -> Bool:
        return pte.bit(1) & (level < LPAE_MAX_LEVEL)

    @follows(XEN_LPAE_H, "lpae_is_mapping", note="level 3: table bit; else !table bit")
    def lpae_is_mapping(self, pte: Word, level: int) -> Bool:
        return pte.bit(1) if level == LPAE_MAX_LEVEL else ~pte.bit(1)

    @follows(XEN_LPAE_H, "lpae_is_superpage")
    def lpae_is_superpage(self, pte: Word, level: int) -> Bool:
        return self.lpae_is_mapping(pte, level) & (level < LPAE_MAX_LEVEL)


def describe_desc(value: int, level: int) -> dict:
    """A concrete descriptor as reports show it (CLI JSON, counterexamples)."""
    c = classify_desc(Word(value, DESC_WIDTH), level)
    out = {
        "pte": f"{value:#018x}",
        "decoded": format_desc(value, level),
        "kind": c.kind(),
        "reasons": c.reason_list(),
    }
    if bool(c.mapping):
        out["fields"] = desc_fields(value, level)
    return out
