"""Xen's RISC-V hypervisor page tables, newest upstream (`riscv-pt-upstream`).

Follows xen-project/xen master c447b7308b: `xen/arch/riscv/pt.c` as last
changed by b3d5fad63a and `asm/page.h` by 72a516613f.  Older versions
(`pt_v9.py`, `pt_v5.py`) subclass this and override only what differs.
"""
from __future__ import annotations

from model.cite import follows
from model.riscv.pte import (
    PTE_ACCESS_MASK,
    PTE_READABLE,
    PTE_VALID,
    PTE_WRITABLE,
)
from model.term import Bool, Word

UPSTREAM = "xen-project/xen@c447b7308b"
PAGE_H = f"{UPSTREAM} xen/arch/riscv/include/asm/page.h (72a516613f)"
PT_C = f"{UPSTREAM} xen/arch/riscv/pt.c (b3d5fad63a)"


class RiscvPtUpstream:
    name = "riscv-pt-upstream"
    arch = "riscv"
    source = f"{UPSTREAM}: xen/arch/riscv/pt.c @ b3d5fad63a, asm/page.h @ 72a516613f"

    # -- PTE predicates (asm/page.h) --------------------------------------
    @follows(PAGE_H)
    def pte_is_valid(self, pte: Word) -> Bool:
        return (pte & PTE_VALID).any()

    @follows(PAGE_H, note="ASSERTs (pte & (V|R|W)) != (V|W); see pte_assert")
    def pte_is_table(self, pte: Word) -> Bool:
        return (pte & (PTE_VALID | PTE_ACCESS_MASK)) == PTE_VALID

    @follows(PAGE_H, note="ASSERTs (pte & (V|R|W)) != (V|W); see pte_assert")
    def pte_is_mapping(self, pte: Word) -> Bool:
        return (pte & PTE_VALID).any() & (pte & PTE_ACCESS_MASK).any()

    @follows(PAGE_H, "pte_is_superpage")
    def pte_is_superpage(self, pte: Word, level: int) -> Bool:
        return Bool(level > 0) & self.pte_is_mapping(pte)

    @follows(PAGE_H, "ASSERT in pte_is_table/pte_is_mapping")
    def pte_assert(self, pte: Word) -> Bool:
        """The condition the predicates ASSERT (debug builds stop when it fails)."""
        return (pte & (PTE_VALID | PTE_READABLE | PTE_WRITABLE)) != (PTE_VALID | PTE_WRITABLE)
