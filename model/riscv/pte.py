"""RISC-V page-table entries (RV64: Sv39 / Sv48 / Sv57 and the G-stage x4 modes).

Bit names follow Xen's `asm/page.h` and the privileged spec (pte-encodings.md
sections 1.2-1.4).  The spec's classification of an entry lives here too.
"""
from __future__ import annotations

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
