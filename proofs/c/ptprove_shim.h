/*
 * ptprove C harness: the Xen environment pt.c expects, written for ptprove.
 *
 * Every Xen header pt.c includes is generated as a one-line file that
 * includes this one.  Memory is a small set of 4 KiB frames created on first
 * map; table pages come from a pool the driver sizes (then allocation fails,
 * as alloc_domheap_page() does when memory runs out); ASSERT and BUG_ON
 * record what failed and jump back to the driver (the model halts there too);
 * flush_tlb_range_va and the fences are recorded, not executed.
 *
 * What every harnessed file shares is in ptprove_xen.h (Xen's lib and mm
 * basics) and ptprove_riscv_page.h (asm/page.h: a pt.c in a Xen tree takes
 * that tree's own definitions, see there); this file is pt.c's part.
 *
 * What this file always restates (with the two it includes), whatever the
 * tree: the types (paddr_t, vaddr_t, mfn_t, pte_t, pte_attr_t), PAGE_SHIFT,
 * PAGETABLE_ORDER, PAGETABLE_ENTRIES, CONFIG_PAGING_LEVELS, HYP_PT_ROOT_LEVEL,
 * the Sv39 geometry (VPN_MASK, XEN_PT_LEVEL_*, pt_linear_offset, pt_index,
 * TABLE_OFFSET, DECLARE_OFFSETS), RV_STAGE1_MODE and SATP_*, FIXMAP_ADDR,
 * write_pte (it records a stale TLB), and the environment: frames,
 * map_domain_page, the table-page pool, the lock, ASSERT/BUG_ON, printk,
 * csr_read, RISCV_FENCE, flush_tlb_range_va.
 */
#ifndef PTPROVE_SHIM_H
#define PTPROVE_SHIM_H

#include "ptprove_riscv_page.h"

/* -- frames and the table-page pool ----------------------------------------- */
#define CONFIG_PAGING_LEVELS 3
#define HYP_PT_ROOT_LEVEL  (CONFIG_PAGING_LEVELS - 1)

struct page_info { unsigned long mfn; };
struct domain;
struct page_info *alloc_domheap_page(struct domain *d, unsigned int memflags);
#define page_to_mfn(pg)    _mfn((pg)->mfn)
mfn_t alloc_boot_pages(unsigned long nr, unsigned long align);
#ifdef PTPROVE_ITERATION_CAP
/* the driver's build: a call that maps more tables than the cap stops (a loop that
 * does not end); the lifter's translation unit keeps the plain frame lookup */
void *ptprove_map(mfn_t mfn);
#define map_domain_page(m) ptprove_map(m)
#define pmap_map(m)        ptprove_map(m)
#else
#define map_domain_page(m) ptprove_frame(m)
#define pmap_map(m)        ptprove_frame(m)
#endif
/* an unmap is a call, so the driver and the lifter count the tables left mapped */
void ptprove_unmap(const void *p);
#undef unmap_domain_page
#define unmap_domain_page(p) ptprove_unmap(p)
#define pmap_unmap(p)      ptprove_unmap(p)

enum { SYS_STATE_early_boot, SYS_STATE_boot, SYS_STATE_active };
extern int system_state;

/* -- the CPU: satp, fences, TLB flushes ------------------------------------- */
#define CSR_SATP           0x180
#define SATP_MODE_SV32     1
#define SATP_MODE_SV39     8
#define SATP_MODE_SV48     9
#define SATP_MODE_SV57     10
#define RV_STAGE1_MODE     SATP_MODE_SV39
#define CONFIG_RISCV_64    1
#define SATP_PPN_MASK      _UL(0x00000FFFFFFFFFFF)
unsigned long ptprove_csr_read(unsigned int csr);
#define csr_read(csr)      ptprove_csr_read(csr)
#define RISCV_FENCE(p, s)  ((void)ptprove_fences++)
extern unsigned long ptprove_flush_va, ptprove_flush_size;   /* the last flush's arguments */
static inline void flush_tlb_range_va(vaddr_t va, size_t size)
{
    ptprove_flushes++;
    ptprove_flush_va = va;
    ptprove_flush_size = size;
    /* sbi_remote_sfence_vma's whole address space; the shim has no stale range, so a
     * narrower flush leaves the TLB stale */
    if ( (va == 0 && size == 0) || size == ~0UL )
        ptprove_stale = false;
}

/* -- pt.c's parts of asm/page.h and asm/fixmap.h ------------------------------ */
#define FIXMAP_ADDR(n)     (0xffffffc0c0a00000UL + ((unsigned long)(n) << PAGE_SHIFT))

/* software-only request bits, never written to an entry */
#define PTE_SMALL          BIT(10, UL)
#define PTE_POPULATE       BIT(11, UL)

#endif /* PTPROVE_SHIM_H */
