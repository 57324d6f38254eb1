/*
 * ptprove C harness: RISC-V asm/page.h as the modelled version has it, for
 * every RISC-V file the harness compiles (pt.c, p2m.c), written for ptprove.
 *
 * A pt.c in a Xen tree is built with that tree's own definitions
 * (PTPROVE_TREE_PAGE_H: proofs/c_header.py generates ptprove_page.h from the
 * tree's asm/page-bits.h, asm/page.h and asm/mm.h, included below): every
 * PTE_* and PAGE_HYPERVISOR* macro, mfn_from_pte, and pte_is_valid,
 * pte_is_table, pte_is_mapping, pte_from_mfn, pte_to_paddr.  The copies here
 * are the modelled version's (PTPROVE_V5 selects seed 000's asm/page.h
 * additions) and are used for what the tree does not define, or for a file
 * with no tree around it.  write_pte notes a changed valid entry
 * (ptprove_stale) until a full flush.
 */
#ifndef PTPROVE_RISCV_PAGE_H
#define PTPROVE_RISCV_PAGE_H

#include "ptprove_xen.h"

/* -- Sv39 geometry (9 index bits a level unless PTPROVE_PAGETABLE_ORDER) -- */
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

/* -- page-table entries (asm/page.h of the version) ------------------------- */
typedef struct { unsigned long pte; } pte_t;
typedef unsigned long pte_attr_t;

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

#define PTE_R_MASK(x)      ((x) & PTE_READABLE)
#define PTE_W_MASK(x)      ((x) & PTE_WRITABLE)
#define PTE_X_MASK(x)      ((x) & PTE_EXECUTABLE)
#define PTE_RWX_MASK(x)    ((x) & PTE_ACCESS_MASK)

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

/* asm/page.h helpers pt.c does not use (p2m.c does) */
#define MASK_EXTR(v, m)    (((v) & (m)) / ((m) & -(m)))
#define MASK_INSR(v, m)    (((v) * ((m) & -(m))) & (m))
#define PTE_PPN_MASK       _UL(0x3FFFFFFFFFFC00)

static inline void pte_set_mfn(pte_t *p, mfn_t mfn)
{
    p->pte &= ~PTE_PPN_MASK;
    p->pte |= MASK_INSR(mfn_x(mfn), PTE_PPN_MASK);
}

static inline mfn_t pte_get_mfn(pte_t p)
{
    return _mfn(MASK_EXTR(p.pte, PTE_PPN_MASK));
}

static inline bool pte_is_superpage(pte_t p, unsigned int level)
{
    return (level > 0) && pte_is_mapping(p);
}

#endif /* PTPROVE_RISCV_PAGE_H */
