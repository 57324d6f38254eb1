/*
 * ptprove C harness: the Xen environment Arm's xen/arch/arm/mmu/pt.c expects,
 * written for ptprove.
 *
 * Every Xen header pt.c (and asm/lpae.h) includes is generated as a one-line
 * file that includes this one.  The LPAE types (lpae_t, DECLARE_OFFSETS,
 * XEN_PT_LEVEL_ORDER, lpae_is_*) are the tree's own asm/lpae.h, staged as
 * ptprove_lpae.h; the request flags and memory types (_PAGE_*, MT_*,
 * PAGE_HYPERVISOR_*, PAGE_*_MASK, LPAE_SH_*) are the macros of the tree's
 * asm/page.h, staged as ptprove_arm_page.h (proofs/c_header.py write_arm).
 *
 * What this file states itself: what the rest of Xen gives pt.c (the shared
 * basics of ptprove_xen.h: mfn_t, ASSERT/BUG_ON as a recorded stop, printk),
 * arm64's configuration (CONFIG_ARM_64, 4 KiB pages, 48-bit PAs), the frames
 * and map_domain_page (each mapping counted, so a call that maps more tables
 * than the iteration cap stops, and an unbalanced unmap is seen), the table
 * pool (alloc_domheap_page hands out the driver's pages, then NULL), TTBR0_EL2
 * (the driver's root), and the CPU: write_pte (a dsb each side; a changed
 * valid entry makes the TLB stale, as the model's ghost says; every write is
 * logged with the flushes, in order, so the Python side applies the ghost's
 * contiguous-group rule of model/arm/pt.py ArmExec.write to the C's writes), isb and
 * flush_xen_tlb_range_va recorded as events (the flush clears the stale TLB).
 * flags_has_rwx is not in the staged headers: it is restated here from its
 * definition (PRESENT and neither RO nor XN).
 */
#ifndef PTPROVE_ARM_SHIM_H
#define PTPROVE_ARM_SHIM_H

#include <inttypes.h>
#include "ptprove_xen.h"

#define CONFIG_ARM_64      1
#define __packed           __attribute__((__packed__))
#define PADDR_BITS         48
#define PADDR_MASK         ((_AC(1, ULL) << PADDR_BITS) - 1)
#define SZ_4K              0x1000
#define BUILD_BUG_ON(c)    _Static_assert(!(c), #c)
#define PFN_UP(x)          (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PRIvaddr           "016lx"
#define WARN()             ((void)ptprove_messages++)
#define smp_processor_id() 0

typedef unsigned int pte_attr_t;

#include "ptprove_lpae.h"       /* the tree's asm/lpae.h */
#include "ptprove_arm_page.h"   /* the tree's asm/page.h macros */

#define flags_has_rwx(f)   (((f) & _PAGE_PRESENT) && !((f) & _PAGE_RO) && !((f) & _PAGE_XN))

/* -- frames, map_domain_page and the table-page pool -------------------------- */
enum { SYS_STATE_early_boot, SYS_STATE_boot, SYS_STATE_active };
extern int system_state;

void *ptprove_map(mfn_t mfn);      /* counted: the iteration cap, the balance */
void ptprove_unmap(const void *p);
#undef unmap_domain_page
#define map_domain_page(m) ptprove_map(m)
#define unmap_domain_page(p) ptprove_unmap(p)
#define pmap_map(m)        ptprove_map(m)
#define pmap_unmap(p)      ptprove_unmap(p)

struct page_info { unsigned long mfn; };
struct domain;
struct page_info *alloc_domheap_page(struct domain *d, unsigned int memflags);
#define page_to_mfn(pg)    _mfn((pg)->mfn)
mfn_t alloc_boot_pages(unsigned long nr, unsigned long align);

/* xen/mm.h's prototypes of the entry points (set_fixmap calls them before their definitions) */
int map_pages_to_xen(unsigned long virt, mfn_t mfn, unsigned long nr_mfns, pte_attr_t flags);
int destroy_xen_mappings(unsigned long s, unsigned long e);
int modify_xen_mappings(unsigned long s, unsigned long e, pte_attr_t nf);
int populate_pt_range(unsigned long virt, unsigned long nr_mfns);

/* ioremap_attr's vmap (no call of the model reaches it) */
#define VMAP_DEFAULT       0
#define __vmap(...)        ((void *)0)
#define FIXMAP_ADDR(n)     (0x400000000UL + ((unsigned long)(n) << PAGE_SHIFT))

/* -- the CPU: TTBR0_EL2, barriers, TLB maintenance ---------------------------- */
#define TTBR0_EL2          0
uint64_t ptprove_read_sysreg(int reg);
#define READ_SYSREG64(r)   ptprove_read_sysreg(r)

extern unsigned long ptprove_dsbs, ptprove_isbs;
#define isb()              ((void)ptprove_isbs++)
void ptprove_flush_range(vaddr_t va, unsigned long size);
#define flush_xen_tlb_range_va(va, size) ptprove_flush_range((va), (size))

void ptprove_log_write(const lpae_t *p, uint64_t old, uint64_t new);

static inline void write_pte(lpae_t *p, lpae_t pte)
{
    ptprove_dsbs++;
    if ( p->walk.valid && p->bits != pte.bits )  /* Arm TLBs cache valid entries only */
        ptprove_stale = true;
    ptprove_log_write(p, p->bits, pte.bits);  /* the contiguous-group part of the ghost is the model's */
    *p = pte;
    ptprove_dsbs++;
}

#endif /* PTPROVE_ARM_SHIM_H */
