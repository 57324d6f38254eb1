/*
 * ptprove C harness: the Xen environment RISC-V p2m.c expects, written for
 * ptprove (asm/p2m.h, asm/paging.h, xen/sched.h, ... as p2m.c uses them).
 *
 * Every Xen header p2m.c includes is generated as a one-line file that
 * includes this one.  The build is a release build (PTPROVE_RELEASE: a failing
 * ASSERT is noted, not fatal), as the p2m model is.
 *
 *   pages      struct page_info for every frame a call can name: the 4 root
 *              pages and the domain's p2m pool are table pages (frames
 *              PTPROVE_PT_FRAME_BASE + k, the model's numbering); any other
 *              frame is a guest page with a reference count.
 *   the pool   paging_alloc_page takes the head of the domain's freelist and
 *              paging_free_page puts a page back at its tail; the driver makes
 *              the k-th attempt of a call fail when the vector says so.
 *   flushes    sbi_remote_hfence_gvma and the local hfences are recorded with
 *              what they target (ptprove_hfence), not executed.
 *   locks      the rwlock records who holds it (p2m_tlb_flush ASSERTs it).
 *   mode       the G-stage mode is the driver's (max_gstage_mode, gaddr_bits).
 */
#ifndef PTPROVE_P2M_SHIM_H
#define PTPROVE_P2M_SHIM_H

#define PTPROVE_RELEASE 1
#include "ptprove_riscv_page.h"

#include <limits.h>

#define PTPROVE_PT_FRAME_BASE 0x80000UL   /* model/riscv/p2m_state.py PT_FRAME_BASE */

/* -- xen/macros.h, xen/lib.h ------------------------------------------------- */
#define ARRAY_SIZE(a)      (sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c)    ((void)sizeof(char[1 - 2 * !!(c)]))
#define ACCESS_ONCE(x)     (x)
#define min(a, b)          ((a) < (b) ? (a) : (b))
#define max(a, b)          ((a) > (b) ? (a) : (b))
#define ilog2(n)           (63 - __builtin_clzl(n))
#define panic(...)         ptprove_fail("panic")
#define GSTAGE_ROOT_PAGE_TABLE_SIZE (16UL << 10)   /* 16 KiB: the x4 modes' root */
#define PADDR_BITS         56
#define PADDR_MASK         ((_AC(1, ULL) << PADDR_BITS) - 1)

/* -- guest frames ----------------------------------------------------------- */
typedef struct { unsigned long gfn; } gfn_t;
static inline gfn_t _gfn(unsigned long g) { gfn_t r = { g }; return r; }
static inline unsigned long gfn_x(gfn_t g) { return g.gfn; }
static inline gfn_t gfn_add(gfn_t g, unsigned long n) { return _gfn(g.gfn + n); }
static inline gfn_t gfn_max(gfn_t a, gfn_t b) { return a.gfn > b.gfn ? a : b; }
static inline gfn_t gfn_min(gfn_t a, gfn_t b) { return a.gfn < b.gfn ? a : b; }
#define gfn_to_gaddr(g)    ((paddr_t)gfn_x(g) << PAGE_SHIFT)

/* -- p2m types (asm/p2m.h) ---------------------------------------------------- */
typedef enum {
    p2m_invalid = 0,
    p2m_ram_rw,
    p2m_mmio_direct_io,
    p2m_ext_storage,
    p2m_map_foreign_rw,
    p2m_map_foreign_ro,
    p2m_first_external = p2m_ext_storage,
} p2m_type_t;

typedef unsigned int p2m_query_t;
#define P2M_TYPE_PTE_BITS_MASK PTE_RSW
#define p2m_to_mask(t)     BIT(t, UL)
#define P2M_RAM_TYPES      (p2m_to_mask(p2m_ram_rw))
#define P2M_FOREIGN_TYPES  (p2m_to_mask(p2m_map_foreign_rw) | p2m_to_mask(p2m_map_foreign_ro))
#define p2m_is_ram(t)      (p2m_to_mask(t) & P2M_RAM_TYPES)
#define p2m_is_foreign(t)  (p2m_to_mask(t) & P2M_FOREIGN_TYPES)

/* -- pages (asm/mm.h) ------------------------------------------------------------ */
struct domain;
struct page_list_head { unsigned int count; };
struct page_info {
    unsigned long mfn;
    bool listed;                      /* on a p2m's page list */
    bool free;                        /* in the domain's p2m freelist */
    unsigned long refs;               /* guest pages: references taken */
    struct domain *owner;
    union { struct { unsigned long used_entries; } md; } u;
    union { struct { struct page_info *pg; } md; } v;
};
#define INIT_PAGE_LIST_HEAD(h) ((h)->count = 0)
static inline void page_list_add(struct page_info *pg, struct page_list_head *h)
{
    pg->listed = true;
    h->count++;
}
static inline void page_list_del(struct page_info *pg, struct page_list_head *h)
{
    pg->listed = false;
    h->count--;
}

struct page_info *ptprove_page(mfn_t mfn);       /* the page of any frame */
void *ptprove_map_page(const struct page_info *pg);  /* NULL: stops the call */
mfn_t ptprove_frame_of(const void *va);            /* domain_page_map_to_mfn */
#define page_to_mfn(pg)    _mfn((pg)->mfn)
#define mfn_to_page(m)     ptprove_page(m)
#define mfn_valid(m)       (mfn_x(m) != mfn_x(INVALID_MFN))
#define map_domain_page(m) ptprove_frame(m)
#define __map_domain_page(pg) ptprove_map_page(pg)
#define domain_page_map_to_mfn(va) ptprove_frame_of(va)
#define clean_dcache_va_range(p, n) ((void)(p), (void)(n))
#define MEMF_no_owner      (1U << 0)
struct page_info *alloc_domheap_pages(struct domain *d, unsigned int order, unsigned int memflags);

void put_page(struct page_info *pg);
bool get_page(struct page_info *pg, const struct domain *d);
struct domain *page_get_owner_and_reference(struct page_info *pg);

/* -- the domain's p2m pool (asm/paging.h) ---------------------------------------- */
struct page_info *paging_alloc_page(struct domain *d);
void paging_free_page(struct domain *d, struct page_info *pg);
int paging_freelist_adjust(struct domain *d, unsigned long pages, bool preempt);
int paging_ret_to_domheap(struct domain *d, unsigned int nr);
int paging_refill_from_domheap(struct domain *d, unsigned int nr);
static inline int paging_domain_init(struct domain *d) { (void)d; return 0; }

/* -- locks (xen/rwlock.h) ------------------------------------------------------- */
typedef struct { int writers, readers; } rwlock_t;
#define rwlock_init(l)     ((l)->writers = (l)->readers = 0)
#define write_lock(l)      ((l)->writers++)
#define write_unlock(l)    ((l)->writers--)
#define read_lock(l)       ((l)->readers++)
#define read_unlock(l)     ((l)->readers--)
#define rw_is_write_locked(l) ((l)->writers > 0)
#define rw_is_locked(l)    ((l)->writers > 0 || (l)->readers > 0)

/* -- the CPU: CSRs, hfences (asm/csr.h, asm/flushtlb.h, asm/sbi.h) ---------------- */
#define CSR_HGATP          0x680
#define CSR_VSATP          0x280
#define HGATP_MODE_OFF     0
#define HGATP_MODE_SV32X4  1
#define HGATP_MODE_SV39X4  8
#define HGATP_MODE_SV48X4  9
#define HGATP_MODE_SV57X4  10
#define HGATP_MODE_MASK    (_UL(0xF) << 60)
#define HGATP_VMID_MASK    (_UL(0x3FFF) << 44)
#define HGATP_PPN_MASK     _UL(0x00000FFFFFFFFFFF)
unsigned long ptprove_csr(unsigned int csr, unsigned long v, int write);
#define csr_read(c)        ptprove_csr(c, 0, 0)
#define csr_write(c, v)    ((void)ptprove_csr(c, v, 1))
#define csr_swap(c, v)     ptprove_csr(c, v, 2)
#define RISCV_ISA_EXT_svade 0
bool ptprove_isa_extension(int ext);
#define riscv_isa_extension_available(isa, ext) ptprove_isa_extension(ext)

typedef struct { unsigned long bits; } cpumask_t;
/* one G-stage TLB invalidation: which harts, which guest-physical range (0, 0: all) */
void ptprove_hfence(const char *what, const cpumask_t *mask, unsigned long start, unsigned long size);
#define sbi_remote_hfence_gvma(mask, s, n) ptprove_hfence("sbi_remote_hfence_gvma", mask, s, n)
#define local_hfence_gvma_all()  ptprove_hfence("local_hfence_gvma_all", NULL, 0, 0)
#define flush_tlb_guest_local()  ((void)0)   /* VS-stage: not modelled */

/* -- domains and vCPUs (xen/sched.h) ---------------------------------------------- */
#define P2M_ROOT_ORDER     (ilog2(GSTAGE_ROOT_PAGE_TABLE_SIZE) - PAGE_SHIFT)
#define P2M_ROOT_PAGES     BIT(P2M_ROOT_ORDER, U)
#define P2M_ROOT_LEVEL(p2m) ((p2m)->mode->paging_levels)
#define P2M_LEVEL_ORDER(lvl) XEN_PT_LEVEL_ORDER(lvl)
#define P2M_ROOT_EXTRA_BITS 2
#define P2M_LEVEL_EXTRA_BITS(p2m, lvl) (P2M_ROOT_EXTRA_BITS * ((lvl) == P2M_ROOT_LEVEL(p2m)))
#define P2M_PAGETABLE_ENTRIES(p2m, lvl) (BIT(PAGETABLE_ORDER + P2M_LEVEL_EXTRA_BITS(p2m, lvl), UL))
#define P2M_TABLE_OFFSET(p2m, lvl) (P2M_PAGETABLE_ENTRIES(p2m, lvl) - 1UL)
#define P2M_GFN_LEVEL_SHIFT(lvl) (P2M_LEVEL_ORDER(lvl) + PAGE_SHIFT)
#define p2m_get_hostp2m(d) (&(d)->arch.p2m)

struct gstage_mode_desc {
    unsigned char mode;
    unsigned int paging_levels;
    char name[8];
};
extern const struct gstage_mode_desc *max_gstage_mode;

struct p2m_domain {
    rwlock_t lock;
    struct page_list_head pages;
    struct page_info *root;
    const struct gstage_mode_desc *mode;
    struct domain *domain;
    bool need_flush;
    bool clean_dcache;
    gfn_t max_mapped_gfn;
    gfn_t lowest_mapped_gfn;
};

struct paging_domain { spinlock_t lock; unsigned long total_pages; };
struct arch_domain { struct p2m_domain p2m; struct paging_domain paging; };
struct domain {
    int domain_id;
    bool is_dying;
    cpumask_t *dirty_cpumask;
    struct arch_domain arch;
};
void ptprove_domain_crash(struct domain *d);
#define domain_crash(d)    ptprove_domain_crash(d)
#define is_system_domain(d) ((d)->domain_id < 0)

struct vcpu_vmid { unsigned short vmid; };
struct arch_vcpu { unsigned long vsatp; struct vcpu_vmid vmid; };
struct vcpu { struct domain *domain; struct arch_vcpu arch; };
#define is_idle_vcpu(v)    ((v)->domain == NULL)
extern struct vcpu *ptprove_current;
#define current            ptprove_current
bool vmid_handle_vmenter(struct vcpu_vmid *vmid);
static inline void vmid_init(void) {}

struct xen_arch_domainconfig { unsigned char gaddr_bits; };
struct xen_domctl_createdomain { struct xen_arch_domainconfig arch; };

/* p2m.c's public functions, declared by asm/p2m.h */
void p2m_write_unlock(struct p2m_domain *p2m);
static inline void p2m_write_lock(struct p2m_domain *p2m) { write_lock(&p2m->lock); }
static inline bool p2m_is_write_locked(struct p2m_domain *p2m) { return rw_is_write_locked(&p2m->lock); }
static inline void p2m_read_lock(struct p2m_domain *p2m) { read_lock(&p2m->lock); }
static inline void p2m_read_unlock(struct p2m_domain *p2m) { read_unlock(&p2m->lock); }
static inline bool p2m_is_locked(const struct p2m_domain *p2m) { return rw_is_locked(&p2m->lock); }

#endif /* PTPROVE_P2M_SHIM_H */
