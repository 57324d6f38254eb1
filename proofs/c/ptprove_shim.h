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
 * asm/page.h: a pt.c in a Xen tree is built with that tree's own definitions
 * (PTPROVE_TREE_PAGE_H: proofs/c_header.py generates ptprove_page.h from the
 * tree's asm/page-bits.h, asm/page.h and asm/mm.h, included below): every
 * PTE_* and PAGE_HYPERVISOR* macro, mfn_from_pte, and pte_is_valid,
 * pte_is_table, pte_is_mapping, pte_from_mfn, pte_to_paddr.  The copies here
 * are the modelled version's (PTPROVE_V5 selects seed 000's asm/page.h
 * additions) and are used for what the tree does not define, or for a pt.c
 * with no tree around it.
 *
 * What this file always restates, whatever the tree: the types (paddr_t,
 * vaddr_t, mfn_t, pte_t, pte_attr_t), PAGE_SHIFT, PAGETABLE_ORDER,
 * PAGETABLE_ENTRIES, CONFIG_PAGING_LEVELS, HYP_PT_ROOT_LEVEL, the Sv39
 * geometry (VPN_MASK, XEN_PT_LEVEL_*, pt_linear_offset, pt_index,
 * TABLE_OFFSET, DECLARE_OFFSETS), RV_STAGE1_MODE and SATP_*, FIXMAP_ADDR,
 * write_pte (it records a stale TLB), and the environment: frames,
 * map_domain_page, the table-page pool, the lock, ASSERT/BUG_ON, printk,
 * csr_read, RISCV_FENCE, flush_tlb_range_va.
 */
#ifndef PTPROVE_SHIM_H
#define PTPROVE_SHIM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* -- basic types and helpers ---------------------------------------------- */
typedef uint64_t paddr_t;
typedef unsigned long vaddr_t;

#define _AC(x, y)          x##y
#define _AT(t, x)          ((t)(x))
#define _UL(x)             x##UL
#define BIT(n, sfx)        (_AC(1, sfx) << (n))
#define likely(x)          (x)
#define unlikely(x)        (x)
#define IS_ALIGNED(x, a)   (((x) & ((a) - 1)) == 0)
#define PFN_DOWN(x)        ((x) >> PAGE_SHIFT)

#define EINVAL      22
#define ENOMEM      12
#define ENOENT      2
#define EOPNOTSUPP  95

/* -- what the driver records ------------------------------------------------ */
extern jmp_buf ptprove_stop;          /* ASSERT / BUG_ON jump back here */
extern const char *ptprove_failed;    /* the failed condition */
extern bool ptprove_stale;            /* an entry changed since the last full flush */
extern unsigned long ptprove_flushes, ptprove_fences, ptprove_messages;

static inline void ptprove_fail(const char *what)
{
    ptprove_failed = what;
    longjmp(ptprove_stop, 1);
}

#define ASSERT(p)          do { if ( !(p) ) ptprove_fail("ASSERT(" #p ")"); } while ( 0 )
#define BUG_ON(p)          do { if ( p ) ptprove_fail("BUG_ON(" #p ")"); } while ( 0 )
#define BUG()              ptprove_fail("BUG()")
#define printk(...)        ((void)ptprove_messages++)
#define XENLOG_ERR         ""
#define XENLOG_WARNING     ""
#define XENLOG_INFO        ""
#define dprintk(...)       ((void)ptprove_messages++)

/* -- frames ----------------------------------------------------------------- */
#define PAGE_SHIFT         12
#define PAGE_SIZE          (_AC(1, UL) << PAGE_SHIFT)
#define PAGETABLE_ORDER    9
#define PAGETABLE_ENTRIES  (1U << PAGETABLE_ORDER)
#define CONFIG_PAGING_LEVELS 3
#define HYP_PT_ROOT_LEVEL  (CONFIG_PAGING_LEVELS - 1)

typedef struct { unsigned long mfn; } mfn_t;
static inline mfn_t _mfn(unsigned long m) { mfn_t r = { m }; return r; }
static inline unsigned long mfn_x(mfn_t m) { return m.mfn; }
static inline bool mfn_eq(mfn_t a, mfn_t b) { return a.mfn == b.mfn; }
static inline mfn_t mfn_add(mfn_t m, unsigned long n) { return _mfn(m.mfn + n); }
#define INVALID_MFN        _mfn(~0UL)
#define PRI_mfn            "05lx"
#define maddr_to_mfn(ma)   _mfn((ma) >> PAGE_SHIFT)
#define pfn_to_paddr(pfn)  ((paddr_t)(pfn) << PAGE_SHIFT)

struct page_info { unsigned long mfn; };
struct domain;
struct page_info *alloc_domheap_page(struct domain *d, unsigned int memflags);
#define page_to_mfn(pg)    _mfn((pg)->mfn)
mfn_t alloc_boot_pages(unsigned long nr, unsigned long align);
void *ptprove_frame(mfn_t mfn);   /* the frame's 4 KiB, created zeroed */
#define map_domain_page(m) ptprove_frame(m)
#define pmap_map(m)        ptprove_frame(m)
#define unmap_domain_page(p) ((void)(p))
#define pmap_unmap(p)      ((void)(p))
#define clear_page(p)      memset((p), 0, PAGE_SIZE)

enum { SYS_STATE_early_boot, SYS_STATE_boot, SYS_STATE_active };
extern int system_state;

typedef int spinlock_t;
#define DEFINE_SPINLOCK(l) spinlock_t l = 0
#define spin_lock(l)       ((void)(l))
#define spin_unlock(l)     ((void)(l))

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
static inline void flush_tlb_range_va(vaddr_t va, size_t size)
{
    ptprove_flushes++;
    if ( va == 0 && size == 0 )   /* the whole address space */
        ptprove_stale = false;
}

/* -- page-table entries (asm/page.h of the version) ------------------------- */
typedef struct { unsigned long pte; } pte_t;
typedef unsigned long pte_attr_t;
#define __init
#define FIXMAP_ADDR(n)     (0xffffffc0c0a00000UL + ((unsigned long)(n) << PAGE_SHIFT))

#define PTE_VALID          BIT(0, UL)
#define PTE_READABLE       BIT(1, UL)
#define PTE_WRITABLE       BIT(2, UL)
#define PTE_EXECUTABLE     BIT(3, UL)
#define PTE_USER           BIT(4, UL)
#define PTE_GLOBAL         BIT(5, UL)
#define PTE_ACCESSED       BIT(6, UL)
#define PTE_DIRTY          BIT(7, UL)
#define PTE_RSW            (BIT(8, UL) | BIT(9, UL))
#define PTE_PPN_SHIFT      10
#define PTE_TABLE          (PTE_VALID)
#define PTE_LEAF_DEFAULT   (PTE_VALID | PTE_READABLE | PTE_WRITABLE)
#define PTE_ACCESS_MASK    (PTE_READABLE | PTE_WRITABLE | PTE_EXECUTABLE)
#define PTE_PBMT_NOCACHE   BIT(61, UL)   /* Svpbmt (merged versions only use these) */
#define PTE_PBMT_IO        BIT(62, UL)
#define PTE_PBMT_MASK      (PTE_PBMT_NOCACHE | PTE_PBMT_IO)

#define PAGE_HYPERVISOR_RO (PTE_VALID | PTE_READABLE)
#define PAGE_HYPERVISOR_RW (PTE_VALID | PTE_READABLE | PTE_WRITABLE)
#define PAGE_HYPERVISOR_RX (PTE_VALID | PTE_READABLE | PTE_EXECUTABLE)
#define PAGE_HYPERVISOR    PAGE_HYPERVISOR_RW
#define PAGE_HYPERVISOR_NOCACHE (PAGE_HYPERVISOR_RW | PTE_PBMT_IO)
#define PAGE_HYPERVISOR_WC (PAGE_HYPERVISOR_RW | PTE_PBMT_NOCACHE)

/* software-only request bits, never written to an entry */
#define PTE_SMALL          BIT(10, UL)
#define PTE_POPULATE       BIT(11, UL)

#define PTE_R_MASK(x)      ((x) & PTE_READABLE)
#define PTE_W_MASK(x)      ((x) & PTE_WRITABLE)
#define PTE_X_MASK(x)      ((x) & PTE_EXECUTABLE)
#define PTE_RWX_MASK(x)    ((x) & PTE_ACCESS_MASK)

/* Sv39 geometry */
#define VPN_MASK                  ((unsigned long)(PAGETABLE_ENTRIES - 1))
#define XEN_PT_LEVEL_ORDER(lvl)   ((lvl) * PAGETABLE_ORDER)
#define XEN_PT_LEVEL_SHIFT(lvl)   (XEN_PT_LEVEL_ORDER(lvl) + PAGE_SHIFT)
#define XEN_PT_LEVEL_SIZE(lvl)    (_AT(paddr_t, 1) << XEN_PT_LEVEL_SHIFT(lvl))
#define pt_linear_offset(lvl, va) ((va) >> XEN_PT_LEVEL_SHIFT(lvl))
#define pt_index(lvl, va)         (pt_linear_offset((lvl), (va)) & VPN_MASK)
#define TABLE_OFFSET(offs)        (_AT(unsigned int, offs) & (PAGETABLE_ENTRIES - 1))
#define DECLARE_OFFSETS(var, addr)                              \
    const unsigned int var[] = {                                \
        TABLE_OFFSET(pt_linear_offset(0, addr)),                \
        TABLE_OFFSET(pt_linear_offset(1, addr)),                \
        TABLE_OFFSET(pt_linear_offset(2, addr)),                \
    }

#ifdef PTPROVE_TREE_PAGE_H
#include "ptprove_page.h"   /* the tree's: what it defines replaces the copies here */
#endif

#ifndef PTPROVE_HDR_pte_is_valid
static inline bool pte_is_valid(pte_t p)
{
    return p.pte & PTE_VALID;
}
#endif

#ifdef PTPROVE_V5
/* seed 000: a table has no R/W/X; a mapping is V with W or X (R-only missed) */
#ifndef PTPROVE_HDR_pte_is_table
static inline bool pte_is_table(const pte_t p)
{
    return (p.pte & (PTE_VALID | PTE_ACCESS_MASK)) == PTE_VALID;
}
#endif

#ifndef PTPROVE_HDR_pte_is_mapping
static inline bool pte_is_mapping(const pte_t p)
{
    return (p.pte & PTE_VALID) && (p.pte & (PTE_WRITABLE | PTE_EXECUTABLE));
}
#endif
#else
/* merged versions: a mapping is V with any of R/W/X; V|W alone is ASSERTed away */
#ifndef PTPROVE_HDR_pte_is_table
static inline bool pte_is_table(const pte_t p)
{
    ASSERT((p.pte & (PTE_VALID | PTE_READABLE | PTE_WRITABLE)) != (PTE_VALID | PTE_WRITABLE));
    return (p.pte & (PTE_VALID | PTE_ACCESS_MASK)) == PTE_VALID;
}
#endif

#ifndef PTPROVE_HDR_pte_is_mapping
static inline bool pte_is_mapping(const pte_t p)
{
    ASSERT((p.pte & (PTE_VALID | PTE_READABLE | PTE_WRITABLE)) != (PTE_VALID | PTE_WRITABLE));
    return (p.pte & PTE_VALID) && (p.pte & PTE_ACCESS_MASK);
}
#endif
#endif

#ifndef PTPROVE_HDR_pte_from_mfn
static inline pte_t pte_from_mfn(mfn_t mfn, unsigned int flags)
{
    pte_t p = { (mfn_x(mfn) << PTE_PPN_SHIFT) | flags };
    return p;
}
#endif

#ifndef PTPROVE_HDR_pte_to_paddr
static inline paddr_t pte_to_paddr(pte_t p)
{
    return (paddr_t)(p.pte >> PTE_PPN_SHIFT) << PAGE_SHIFT;
}
#endif

#ifndef mfn_from_pte
#define mfn_from_pte(p)    maddr_to_mfn(pte_to_paddr(p))
#endif

static inline void write_pte(pte_t *p, pte_t pte)
{
    if ( p->pte != pte.pte )
        ptprove_stale = true;
    *p = pte;
}

#endif /* PTPROVE_SHIM_H */
