"""RISC-V page-table entries (RV64: Sv39 / Sv48 / Sv57 and the G-stage x4 modes).

Bit names follow Xen's `asm/page.h` and the privileged spec (pte-encodings.md
sections 1.2-1.4).  The spec's classification of an entry lives here too.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from model.term import FALSE, Bool, Word, any_of, concat, ite

# PTE bits (Xen asm/page.h names; privileged spec Figure "Sv39 page table entry").
PTE_VALID = 1 << 0
PTE_READABLE = 1 << 1
PTE_WRITABLE = 1 << 2
PTE_EXECUTABLE = 1 << 3
PTE_USER = 1 << 4
PTE_GLOBAL = 1 << 5
PTE_ACCESSED = 1 << 6
PTE_DIRTY = 1 << 7
PTE_RSW = (1 << 8) | (1 << 9)
PTE_PPN_SHIFT = 10
PTE_PPN_MASK = 0x003F_FFFF_FFFF_FC00  # bits 53:10
PTE_RESERVED_MASK = 0x7F << 54  # bits 60:54
PTE_PBMT_NOCACHE = 1 << 61
PTE_PBMT_IO = 1 << 62
PTE_PBMT_MASK = PTE_PBMT_NOCACHE | PTE_PBMT_IO
PTE_N = 1 << 63  # Svnapot

PTE_ACCESS_MASK = PTE_READABLE | PTE_WRITABLE | PTE_EXECUTABLE
PTE_TABLE = PTE_VALID

# Xen's software-only request flags (never written into an entry).
PTE_SMALL = 1 << 10
PTE_POPULATE = 1 << 11

PAGE_HYPERVISOR_RO = PTE_VALID | PTE_READABLE
PAGE_HYPERVISOR_RW = PTE_VALID | PTE_READABLE | PTE_WRITABLE
PAGE_HYPERVISOR_RX = PTE_VALID | PTE_READABLE | PTE_EXECUTABLE
PAGE_HYPERVISOR_NOCACHE = PAGE_HYPERVISOR_RW | PTE_PBMT_IO
PAGE_HYPERVISOR_WC = PAGE_HYPERVISOR_RW | PTE_PBMT_NOCACHE

PAGE_SHIFT = 12
PAGETABLE_ORDER = 9
PAGETABLE_ENTRIES = 1 << PAGETABLE_ORDER
PTE_WIDTH = 64

# ---------------------------------------------------------------------------
# The privileged spec's view of an entry (pte-encodings.md sections 1.3-1.5, 2)

PA_BITS = 56
PTE_RSW_SHIFT = 8
PTE_PBMT_SHIFT = 61
PTE_RSV60T59_MASK = 0x3 << 59  # software bits 60:59 with Svrsw60t59b
NAPOT_BITS = 4  # Svnapot: only the 64 KiB size (ppn[3:0] = 1000b) is defined
NAPOT_PPN_LOW = 0b1000

PBMT_PMA, PBMT_NC, PBMT_IO, PBMT_RESERVED = 0, 1, 2, 3
PBMT_NAMES = {PBMT_PMA: "PMA", PBMT_NC: "NC", PBMT_IO: "IO", PBMT_RESERVED: "RSVD"}


@dataclass(frozen=True)
class Mode:
    """A paging mode: satp's Sv39/48/57 or hgatp's Sv39x4/48x4/57x4 (G-stage)."""

    name: str
    levels: int
    gstage: bool = False

    @property
    def root_level(self) -> int:
        return self.levels - 1

    @property
    def va_bits(self) -> int:
        """Input address width: 39/48/57, two more for the x4 (G-stage) modes."""
        return PAGE_SHIFT + PAGETABLE_ORDER * self.levels + (2 if self.gstage else 0)

    @property
    def root_entries(self) -> int:
        return PAGETABLE_ENTRIES << (2 if self.gstage else 0)

    def index_bits(self, level: int) -> int:
        """Width of VPN[level]: 9, or 11 at the G-stage root (16 KiB root table)."""
        self.check_level(level)
        return PAGETABLE_ORDER + (2 if self.gstage and level == self.root_level else 0)

    def check_level(self, level: int) -> None:
        if not (isinstance(level, int) and 0 <= level <= self.root_level):
            raise ValueError(f"level {level!r} outside {self.name} (0..{self.root_level})")


SV39 = Mode("sv39", 3)
SV48 = Mode("sv48", 4)
SV57 = Mode("sv57", 5)
SV39X4 = Mode("sv39x4", 3, gstage=True)
SV48X4 = Mode("sv48x4", 4, gstage=True)
SV57X4 = Mode("sv57x4", 5, gstage=True)
MODES: dict[str, Mode] = {m.name: m for m in (SV39, SV48, SV57, SV39X4, SV48X4, SV57X4)}


def gstage_of(mode: Mode) -> Mode:
    """The x4 G-stage mode with the same number of levels."""
    return MODES[mode.name.removesuffix("x4") + "x4"]


@dataclass(frozen=True)
class Extensions:
    """Which optional encodings the hart implements *and* has enabled.

    svpbmt: Svpbmt with menvcfg.PBMTE=1 (mandatory for Xen since 2025-06).
    zicfiss: shadow-stack pages (XWR=010) with menvcfg.SSE=1; never in G-stage.
    svrsw60t59b: bits 60:59 are software bits instead of reserved.
    """

    svpbmt: bool = True
    svnapot: bool = False
    zicfiss: bool = False
    svrsw60t59b: bool = False

    @property
    def names(self) -> list[str]:
        return [n for n in EXTENSION_NAMES if getattr(self, n)]


EXTENSION_NAMES = ("svpbmt", "svnapot", "zicfiss", "svrsw60t59b")


@dataclass
class PteClass:
    """The spec's verdict on one entry at one level.  Exactly one of invalid,
    pointer, leaf, fault is true.  `reasons` lists every fault reason in the
    walk's order (pte-encodings.md 1.5 steps 3, 4, 5, 6), each a Bool.

    r/w/x/u are the effective permissions of a usable leaf (all false
    otherwise).  A shadow-stack page (Zicfiss, XWR=010) is a leaf with
    `shadow_stack` true and r=1, w=0, x=0: ordinary loads succeed, ordinary
    stores and fetches take an access fault, only shadow-stack instructions
    write it.
    """

    invalid: Bool
    pointer: Bool
    leaf: Bool
    fault: Bool
    reasons: "OrderedDict[str, Bool]"
    r: Bool
    w: Bool
    x: Bool
    u: Bool
    shadow_stack: Bool
    level: int
    mode: Mode = field(repr=False)

    def first(self, reason: str) -> Bool:
        """`reason` is the one the walk reports (every earlier reason is false)."""
        earlier = []
        for name, b in self.reasons.items():
            if name == reason:
                return b & ~any_of(earlier)
            earlier.append(b)
        raise KeyError(reason)

    # -- concrete views (replay, decoder) ---------------------------------
    def first_reason(self) -> Optional[str]:
        return next((n for n, b in self.reasons.items() if bool(b)), None)

    def reason_list(self) -> list[str]:
        return [n for n, b in self.reasons.items() if bool(b)]

    def kind(self) -> str:
        for name in ("invalid", "pointer", "leaf", "fault"):
            if bool(getattr(self, name)):
                return name
        raise AssertionError("no class holds")

    def perms(self) -> str:
        return "".join(c for c in "rwx" if bool(getattr(self, c)))


#: every fault reason id, in the order `classify` reports them
FAULT_REASONS = (
    "reserved-rwx",  # step 3: XWR = 010 (no shadow stack) or 110
    "reserved-bits",  # step 3: bits 60:54 (58:54 with Svrsw60t59b)
    "napot-without-svnapot",  # step 3: N set, Svnapot absent
    "pbmt-without-svpbmt",  # step 3: PBMT != 0, Svpbmt absent or PBMTE=0
    "nonleaf-d",  # step 3: D, A, U reserved in a pointer
    "nonleaf-a",
    "nonleaf-u",
    "nonleaf-pbmt",  # step 3: Svpbmt says PBMT must be 0 in a pointer
    "nonleaf-n",  # step 3: N in a pointer is not a defined encoding
    "pbmt-reserved",  # step 3: PBMT = 3 in a leaf
    "napot-bad-encoding",  # step 3: N leaf not at level 0 or ppn[3:0] != 1000b
    "pointer-at-level-0",  # step 4: i becomes < 0
    "misaligned-superpage",  # step 5: ppn[i-1:0] != 0
    "gstage-leaf-u0",  # step 6 (G-stage checks U as if from U-mode): never usable
)

#: each fault reason in a few words (the privileged spec's walk, section 12.3.2)
FAULT_REASON_TEXT = {
    "reserved-rwx": "R=0 with W=1, a reserved encoding",
    "reserved-bits": "reserved bits 60:54 set",
    "napot-without-svnapot": "N set without Svnapot",
    "pbmt-without-svpbmt": "PBMT set without Svpbmt",
    "nonleaf-d": "D set in a pointer",
    "nonleaf-a": "A set in a pointer",
    "nonleaf-u": "U set in a pointer",
    "nonleaf-pbmt": "PBMT set in a pointer",
    "nonleaf-n": "N set in a pointer",
    "pbmt-reserved": "PBMT=3, reserved",
    "napot-bad-encoding": "a NAPOT leaf not at level 0 or with ppn[3:0] != 1000b",
    "pointer-at-level-0": "a pointer at level 0",
    "misaligned-superpage": "a misaligned superpage",
    "gstage-leaf-u0": "a G-stage leaf without U",
}


def fault_text(value: int, level: int, mode: "Mode") -> Optional[str]:
    """Why the MMU faults on this entry at this level (the first reason its
    walk reports), or None when it does not."""
    reason = classify(pte_word(value), level, mode).first_reason()
    return None if reason is None else f"page fault: {FAULT_REASON_TEXT[reason]}"


def classify(pte: Word, level: int, mode: Mode, ext: Extensions = Extensions()) -> PteClass:
    """Classify `pte` found at `level` of a `mode` walk, as the privileged spec does.

    `level` is a Python int (the walk's i); `pte` may be concrete or symbolic.
    """
    if pte.is_concrete:  # a concrete run classifies the same few entries again and again
        return _classify_concrete(pte.v, pte.width, level, mode, ext)
    return _classify(pte, level, mode, ext)


@lru_cache(maxsize=65536)
def _classify_concrete(value: int, width: int, level: int, mode: Mode, ext: Extensions) -> PteClass:
    return _classify(Word(value, width), level, mode, ext)


def _classify(pte: Word, level: int, mode: Mode, ext: Extensions) -> PteClass:
    mode.check_level(level)
    v = pte.bit(0)
    r, w, x, u = pte.bit(1), pte.bit(2), pte.bit(3), pte.bit(4)
    n = pte.bit(63)
    pbmt = pte.bits(62, 61)
    ppn = pte.bits(53, PTE_PPN_SHIFT)
    reserved_hi = 58 if ext.svrsw60t59b else 60
    ss_enabled = ext.zicfiss and not mode.gstage

    shadow_stack = v & ~r & w & ~x & ss_enabled
    reserved_rwx = v & ~r & w & ~shadow_stack
    pointer_shape = v & ~r & ~w & ~x
    leaf_shape = v & (r | x | shadow_stack) & ~reserved_rwx

    reasons: OrderedDict[str, Bool] = OrderedDict()
    reasons["reserved-rwx"] = reserved_rwx
    reasons["reserved-bits"] = v & pte.bits(reserved_hi, 54).any()
    reasons["napot-without-svnapot"] = v & n & (not ext.svnapot)
    reasons["pbmt-without-svpbmt"] = v & pbmt.any() & (not ext.svpbmt)
    reasons["nonleaf-d"] = pointer_shape & pte.bit(7)
    reasons["nonleaf-a"] = pointer_shape & pte.bit(6)
    reasons["nonleaf-u"] = pointer_shape & u
    reasons["nonleaf-pbmt"] = pointer_shape & pbmt.any() & ext.svpbmt
    reasons["nonleaf-n"] = pointer_shape & n & ext.svnapot
    reasons["pbmt-reserved"] = leaf_shape & (pbmt == PBMT_RESERVED) & ext.svpbmt
    napot_ok = (ppn.bits(NAPOT_BITS - 1, 0) == NAPOT_PPN_LOW) & (level == 0)
    reasons["napot-bad-encoding"] = leaf_shape & n & ext.svnapot & ~napot_ok
    reasons["pointer-at-level-0"] = pointer_shape & (level == 0)
    misaligned = ppn.bits(PAGETABLE_ORDER * level - 1, 0).any() if level > 0 else FALSE
    reasons["misaligned-superpage"] = leaf_shape & misaligned
    reasons["gstage-leaf-u0"] = leaf_shape & ~u & mode.gstage
    assert tuple(reasons) == FAULT_REASONS

    fault = any_of(reasons.values())
    leaf = leaf_shape & ~fault
    return PteClass(
        invalid=~v,
        pointer=pointer_shape & ~fault,
        leaf=leaf,
        fault=fault,
        reasons=reasons,
        r=leaf & (r | shadow_stack),
        w=leaf & w & ~shadow_stack,
        x=leaf & x,
        u=leaf & u,
        shadow_stack=leaf & shadow_stack,
        level=level,
        mode=mode,
    )


def leaf_pa(pte: Word, va: Word, level: int, mode: Mode) -> Word:
    """The 56-bit physical address a leaf at `level` gives for `va` (step 10).

    pa.pgoff and, for a superpage, pa.ppn[level-1:0] come from the address;
    the rest from pte.ppn.  A level-0 NAPOT leaf (N=1) also takes ppn[3:0]
    from vpn[0][3:0].  Meaningful only when `classify` says leaf.
    """
    mode.check_level(level)
    offset_bits = PAGE_SHIFT + PAGETABLE_ORDER * level
    pa = concat(pte.bits(53, PTE_PPN_SHIFT + PAGETABLE_ORDER * level), va.bits(offset_bits - 1, 0))
    if level == 0:
        napot_bits = PAGE_SHIFT + NAPOT_BITS
        napot = concat(pte.bits(53, PTE_PPN_SHIFT + NAPOT_BITS), va.bits(napot_bits - 1, 0))
        pa = ite(pte.bit(63), napot, pa)
    assert pa.width == PA_BITS
    return pa


def format_pte(value: int, mode: Mode = SV39, level: int = 0) -> str:
    """One line for a human, e.g. `V R - X - - A D  rsw=0 ppn=0x80200 pbmt=PMA`.

    Software bits 60:59 and reserved bits are shown only when set; `N` ends
    the line for a NAPOT entry.
    """
    mode.check_level(level)
    letters = " ".join(c if (value >> i) & 1 else "-" for i, c in enumerate("VRWXUGAD"))
    ppn = (value & PTE_PPN_MASK) >> PTE_PPN_SHIFT
    pbmt = (value & PTE_PBMT_MASK) >> PTE_PBMT_SHIFT
    out = f"{letters}  rsw={(value & PTE_RSW) >> PTE_RSW_SHIFT} ppn={ppn:#x} pbmt={PBMT_NAMES[pbmt]}"
    if value & PTE_RESERVED_MASK:
        out += f" bits60:54={(value & PTE_RESERVED_MASK) >> 54:#x}"
    if value & PTE_N:
        out += " N"
    return out


def pte_word(value: int) -> Word:
    """A concrete 64-bit entry."""
    return Word(value, PTE_WIDTH)



def describe_pte(value: int, mode: Mode, level: int, ext: Extensions = Extensions()) -> dict:
    """A concrete entry as reports show it (CLI JSON, counterexamples)."""
    c = classify(pte_word(value), level, mode, ext)
    out = {
        "pte": f"{value:#018x}",
        "decoded": format_pte(value, mode, level),
        "kind": c.kind(),
        "reasons": c.reason_list(),
    }
    if bool(c.leaf):
        out["perms"] = c.perms()
        out["user"] = bool(c.u)
        if bool(c.shadow_stack):
            out["shadow_stack"] = True
    return out
