/*
 * ptprove C harness: the Xen environment Arm's xen/arch/arm/mmu/p2m.c (its
 * p2m_set_entry path, extracted by proofs/c_extract.py) and arch/arm/p2m.c's
 * p2m_insert_mapping / map_regions_p2mt / p2m_write_unlock expect, written for
 * ptprove.  Release build (PTPROVE_RELEASE: a failing ASSERT is noted), as the
 * p2m model is.
 *
 * The tree's own definitions: asm/lpae.h (lpae_t, lpae_p2m_t, DECLARE_OFFSETS,
 * XEN_PT_LEVEL_ORDER; staged as ptprove_lpae.h), the MATTR_* and LPAE_SH_*
 * macros of asm/page.h and the p2m_type_t enum and p2m_is_* macros of
 * asm/p2m.h (staged as ptprove_arm_p2m_types.h).  The table width is the
 * vector's: LPAE_SHIFT_GS is PAGETABLE_ORDER (PTPROVE_PAGETABLE_ORDER), so
 * every XEN_PT_* macro has the model's 2^index_bits entries per table.
 *
 * Stated here: the domain and p2m structures as these functions use them, the
 * pool (the driver's p2m_freelist: page_list_remove_head fails when the vector
 * says so), page references (put_page), VTTBR_EL2 and flush_guest_tlb recorded,
 * memaccess, the IOMMU and the xenheap off (the model has none of them).
 */
#ifndef PTPROVE_ARM_P2M_SHIM_H
#define PTPROVE_ARM_P2M_SHIM_H

#define PTPROVE_RELEASE 1
#include <inttypes.h>
#include "ptprove_xen.h"

#define PTPROVE_PT_FRAME_BASE 0x80000UL   /* model/riscv/p2m_state.py PT_FRAME_BASE */
#define CONFIG_ARM_64      1
#define __packed           __attribute__((__packed__))
#define __read_mostly
#define __aligned(n)       __attribute__((__aligned__(n)))
#define PADDR_BITS         48
#define PADDR_MASK         ((_AC(1, ULL) << PADDR_BITS) - 1)
#define BUILD_BUG_ON(c)    ((void)sizeof(char[1 - 2 * !!(c)]))
#define ARRAY_SIZE(a)      (sizeof(a) / sizeof((a)[0]))

#include "ptprove_lpae.h"            /* the tree's asm/lpae.h */
#undef LPAE_SHIFT_GS
#define LPAE_SHIFT_GS(gs)  PAGETABLE_ORDER   /* the vector's table width */
#include "ptprove_arm_p2m_types.h"   /* the tree's asm/page.h MATTR_*, LPAE_SH_*; asm/p2m.h types */

typedef enum {
    p2m_access_n, p2m_access_r, p2m_access_w, p2m_access_rw, p2m_access_x, p2m_access_rx,
    p2m_access_wx, p2m_access_rwx, p2m_access_rx2rw, p2m_access_n2rwx, p2m_access_r_pw,
} p2m_access_t;

/* -- guest frames ----------------------------------------------------------- */
typedef struct { unsigned long gfn; } gfn_t;
static inline gfn_t _gfn(unsigned long g) { gfn_t r = { g }; return r; }
static inline unsigned long gfn_x(gfn_t g) { return g.gfn; }
static inline gfn_t gfn_add(gfn_t g, unsigned long n) { return _gfn(g.gfn + n); }
static inline gfn_t gfn_max(gfn_t a, gfn_t b) { return a.gfn > b.gfn ? a : b; }
static inline gfn_t gfn_min(gfn_t a, gfn_t b) { return a.gfn < b.gfn ? a : b; }
#define INVALID_GFN        _gfn(~0UL)
#define gfn_to_gaddr(g)    ((paddr_t)gfn_x(g) << PAGE_SHIFT)

/* -- pages ---------------------------------------------------------------------- */
struct domain;
struct page_info {
    unsigned long mfn;
    bool listed;                      /* on the p2m's page list */
    bool free;                        /* on the domain's p2m freelist */
    unsigned long refs;               /* guest pages: references taken */
};
struct page_list_head { unsigned int count; };
static inline void page_list_add(struct page_info *pg, struct page_list_head *h) { pg->listed = true; h->count++; }
static inline void page_list_del(struct page_info *pg, struct page_list_head *h) { pg->listed = false; h->count--; }
struct page_info *page_list_remove_head(struct page_list_head *h);   /* the pool: the driver's */
void page_list_add_tail(struct page_info *pg, struct page_list_head *h);
struct page_info *ptprove_page(mfn_t mfn);
#define page_to_mfn(pg)    _mfn((pg)->mfn)
#define mfn_to_page(m)     ptprove_page(m)
#define mfn_valid(m)       (mfn_x(m) != mfn_x(INVALID_MFN))
#define map_domain_page(m) ptprove_frame(m)
#define __map_domain_page(pg) ptprove_frame(page_to_mfn(pg))
#define clean_dcache(x)    ((void)0)
#define clean_dcache_va_range(p, n) ((void)(p), (void)(n))
#define is_xen_heap_mfn(m) false
#define page_set_xenheap_gfn(pg, g) ((void)(pg))
#define MEMF_no_owner      (1U << 0)
#define alloc_domheap_page(d, f) ((struct page_info *)NULL)
#define free_domheap_page(pg) ((void)(pg))
void put_page(struct page_info *pg);

/* -- locks, the CPU ------------------------------------------------------------- */
typedef struct { int writers, readers; } rwlock_t;
#define write_lock(l)      ((l)->writers++)
#define write_unlock(l)    ((l)->writers--)
#define VTTBR_EL2          0
uint64_t ptprove_sysreg(int reg, uint64_t v, bool write);
#define READ_SYSREG64(r)   ptprove_sysreg(r, 0, false)
#define WRITE_SYSREG64(v, r) ((void)ptprove_sysreg(r, v, true))
#define local_irq_save(f)  ((void)(f))
#define local_irq_restore(f) ((void)(f))
#define cpus_have_const_cap(c) false
#define isb()              ((void)0)
void ptprove_flush_guest_tlb(void);
#define flush_guest_tlb()  ptprove_flush_guest_tlb()
static inline void write_pte(lpae_t *p, lpae_t pte) { *p = pte; }   /* dsb; write; dsb */

/* -- memaccess, the IOMMU: off --------------------------------------------------- */
#define radix_tree_delete(...) ((void)0)
#define radix_tree_insert(...) 0
#define radix_tree_replace_slot(...) ((void)0)
#define radix_tree_lookup_slot(...) NULL
#define radix_tree_int_to_ptr(a) ((void *)(unsigned long)(a))
#define EEXIST             17
#define is_iommu_enabled(d) false
#define IOMMU_FLUSHF_added 1
#define IOMMU_FLUSHF_modified 2
#define _dfn(x)            (x)
#define iommu_iotlb_flush(...) 0

/* -- the domain and its p2m ------------------------------------------------------- */
extern unsigned int p2m_root_order, p2m_root_level;
#define P2M_ROOT_LEVEL     p2m_root_level
#define P2M_ROOT_PAGES     (1U << p2m_root_order)
struct p2m_domain {
    rwlock_t lock;
    struct page_list_head pages;
    struct page_info *root;
    uint64_t vttbr;
    uint16_t vmid;
    struct domain *domain;
    bool need_flush, clean_pte, mem_access_enabled;
    p2m_access_t default_access;
    int mem_access_settings;
    gfn_t max_mapped_gfn, lowest_mapped_gfn;
    struct { unsigned long mappings[4], shattered[4]; } stats;
};
struct paging_domain { spinlock_t lock; struct page_list_head p2m_freelist; };
struct arch_domain { struct p2m_domain p2m; struct paging_domain paging; };
struct domain { int domain_id; bool is_dying; struct arch_domain arch; };
#define is_hardware_domain(d) false
#define p2m_get_hostp2m(d) (&(d)->arch.p2m)
static inline void p2m_write_lock(struct p2m_domain *p2m) { write_lock(&p2m->lock); }
static inline bool p2m_is_write_locked(struct p2m_domain *p2m) { return p2m->lock.writers > 0; }
void p2m_tlb_flush_sync(struct p2m_domain *p2m);

#endif /* PTPROVE_ARM_P2M_SHIM_H */
