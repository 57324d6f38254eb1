"""Values as a Xen reviewer writes them: flags by their `PAGE_HYPERVISOR_*` /
`PTE_*` names, `INVALID_MFN`, virtual addresses sign-extended.

Every place a trace is printed (`ptprove show`, the findings of `prove`, the
JSON report's counterexamples, `--format mail`) names values through here, so
the same value reads the same everywhere.  The name comes first, the hex
follows in parentheses: `PAGE_HYPERVISOR_RW | PTE_SMALL (0x407)`.
"""
from __future__ import annotations

from dataclasses import dataclass

from model.riscv import pte as rv
from model.riscv.machine import INVALID_MFN


@dataclass(frozen=True)
class FlagNames:
    """An architecture's flag vocabulary: the presets callers pass, the bits
    that may be or-ed onto a preset, and a name per bit for anything else."""

    presets: dict[str, int]
    modifiers: dict[str, int]
    bits: dict[str, int]

    def words(self, value: int) -> str:
        """`value` in names only: a preset with its modifiers, else bit names
        (bits without a name as hex)."""
        if value == 0:
            return "0"
        for name, p in sorted(self.presets.items(), key=lambda kv: (-bin(kv[1]).count("1"), kv[0])):
            rest = value & ~p
            mods = [n for n, m in self.modifiers.items() if rest & m == m]
            if value & p == p and rest == sum(self.modifiers[n] for n in mods):
                return " | ".join([name, *mods])
        names, left = [], value
        for name, bit in self.bits.items():
            if value & bit == bit and left & bit:
                names.append(name)
                left &= ~bit
        if left:
            names.append(hex(left))
        return " | ".join(names)

    def name(self, value: int) -> str:
        """`value` in names, its hex in parentheses."""
        words = self.words(value)
        return words if words == "0" else f"{words} ({value:#x})"


RISCV_FLAGS = FlagNames(
    presets={"PAGE_HYPERVISOR_RO": rv.PAGE_HYPERVISOR_RO, "PAGE_HYPERVISOR_RW": rv.PAGE_HYPERVISOR_RW,
             "PAGE_HYPERVISOR_RX": rv.PAGE_HYPERVISOR_RX, "PAGE_HYPERVISOR_NOCACHE": rv.PAGE_HYPERVISOR_NOCACHE,
             "PAGE_HYPERVISOR_WC": rv.PAGE_HYPERVISOR_WC},
    modifiers={"PTE_SMALL": rv.PTE_SMALL, "PTE_POPULATE": rv.PTE_POPULATE},
    bits={"PTE_VALID": rv.PTE_VALID, "PTE_READABLE": rv.PTE_READABLE, "PTE_WRITABLE": rv.PTE_WRITABLE,
          "PTE_EXECUTABLE": rv.PTE_EXECUTABLE, "PTE_USER": rv.PTE_USER, "PTE_GLOBAL": rv.PTE_GLOBAL,
          "PTE_ACCESSED": rv.PTE_ACCESSED, "PTE_DIRTY": rv.PTE_DIRTY, "PTE_SMALL": rv.PTE_SMALL,
          "PTE_POPULATE": rv.PTE_POPULATE, "PTE_PBMT_NOCACHE": rv.PTE_PBMT_NOCACHE,
          "PTE_PBMT_IO": rv.PTE_PBMT_IO},
)


def arm_flags() -> FlagNames:
    """Arm's `PAGE_HYPERVISOR_*` and `_PAGE_*` (xen/arch/arm/include/asm/page.h)."""
    from model.arm import pt as arm

    return FlagNames(
        presets={"PAGE_HYPERVISOR_RO": arm.PAGE_HYPERVISOR_RO, "PAGE_HYPERVISOR_RW": arm.PAGE_HYPERVISOR_RW,
                 "PAGE_HYPERVISOR_RX": arm.PAGE_HYPERVISOR_RX,
                 "PAGE_HYPERVISOR_NOCACHE": arm.PAGE_HYPERVISOR_NOCACHE,
                 "PAGE_HYPERVISOR_WC": arm.PAGE_HYPERVISOR_WC},
        modifiers={"_PAGE_BLOCK": arm._PAGE_BLOCK, "_PAGE_CONTIG": arm._PAGE_CONTIG,
                   "_PAGE_POPULATE": arm._PAGE_POPULATE},
        bits={"_PAGE_XN": arm._PAGE_XN, "_PAGE_RO": arm._PAGE_RO, "_PAGE_PRESENT": arm._PAGE_PRESENT,
              "_PAGE_POPULATE": arm._PAGE_POPULATE, "_PAGE_BLOCK": arm._PAGE_BLOCK,
              "_PAGE_CONTIG": arm._PAGE_CONTIG},
    )


def mfn_name(mfn: int) -> str:
    """`INVALID_MFN`, or the frame number in hex."""
    return "INVALID_MFN" if mfn == INVALID_MFN else hex(mfn)


def canonical_va(va: int, va_bits: int) -> int:
    """`va` as the MMU takes it: bits 63:va_bits all copies of bit va_bits-1
    (Sv39: 0x4800000000 is 0xffffffc800000000)."""
    low = va & ((1 << va_bits) - 1)
    return low | (((1 << 64) - 1) ^ ((1 << va_bits) - 1)) if low >> (va_bits - 1) else low


def va_name(va: int, va_bits: int) -> str:
    return hex(canonical_va(va, va_bits))


def arg_name(name: str, value: int, flags: FlagNames, va_bits: int) -> str:
    """One argument of a page-table entry point, by its C parameter name."""
    if name in ("flags", "nf"):
        return flags.name(value)
    if name == "mfn":
        return mfn_name(value)
    if name in ("virt", "s", "e", "va"):
        return va_name(value, va_bits)
    return hex(value)


def call_text(function: str, args: dict[str, int], flags: FlagNames, va_bits: int) -> str:
    """`map_pages_to_xen(virt=0x0, mfn=0x0, nr=0x40000, flags=PAGE_HYPERVISOR_RW (0x7))`."""
    return f"{function}({', '.join(f'{k}={arg_name(k, x, flags, va_bits)}' for k, x in args.items())})"

