/*
 * ptprove C harness: the RISC-V fixmap's part, written for ptprove: pt.c's
 * set_fixmap / clear_fixmap and mm.c's setup_fixmap_mappings (the one function,
 * taken from the tree's mm.c at build time) on pt.c's shim (ptprove_shim.h).
 *
 * The layout is the tree's: FIXMAP_ADDR, FIX_* and the config.h addresses
 * they are built from (XEN_VIRT_START, XEN_VIRT_SIZE, GAP_SIZE,
 * BOOT_FDT_VIRT_*, FIXMAP_BASE), the macros of asm/config.h and asm/fixmap.h
 * staged as ptprove_fixmap_layout.h (proofs/c_header.py write_fixmap).
 * What this file states: NUM_FIX_PMAP (xen/pmap.h, not in the tree's copy),
 * MB(), and setup_fixmap_mappings' view of memory: stage1_pgtbl_root is the
 * root frame, LOAD_TO_LINK maps a table's physical address to its frame,
 * xen_fixmap[] is the frame the driver names and virt_to_maddr (seed 002's
 * setup_fixmap_mappings: LINK_TO_LOAD) gives it back;
 * paddr_to_pte as asm/mm.h has it; sfence_vma flushes everything.
 */
#ifndef PTPROVE_FIXMAP_SHIM_H
#define PTPROVE_FIXMAP_SHIM_H

#include "ptprove_shim.h"

#define MB(x)              ((unsigned long)(x) << 20)
#define BUILD_BUG_ON(c)    _Static_assert(!(c), #c)
#define NUM_FIX_PMAP       8
#undef FIXMAP_ADDR
#include "ptprove_fixmap_layout.h"   /* the tree's asm/config.h and asm/fixmap.h layout */

extern unsigned long ptprove_root_frame, ptprove_fixmap_frame;
paddr_t ptprove_virt_to_maddr(const void *p);   /* a frame's address back to its frame */
#define stage1_pgtbl_root  ((pte_t *)ptprove_frame(_mfn(ptprove_root_frame)))
#define LOAD_TO_LINK(pa)   ((unsigned long)ptprove_frame(maddr_to_mfn(pa)))
#define xen_fixmap         (*(pte_t (*)[PAGETABLE_ENTRIES])ptprove_frame(_mfn(ptprove_fixmap_frame)))
#define virt_to_maddr(p)   ptprove_virt_to_maddr(p)
#define LINK_TO_LOAD(va)   ptprove_virt_to_maddr((const void *)(va))
#define sfence_vma()       ((void)(ptprove_flushes++, ptprove_stale = false))

static inline pte_t paddr_to_pte(paddr_t paddr, unsigned int permissions)
{
    pte_t p = { ((paddr >> PAGE_SHIFT) << PTE_PPN_SHIFT) | permissions };
    return p;
}

#endif /* PTPROVE_FIXMAP_SHIM_H */
