/*
 * ptprove C harness: what every Xen file the harness compiles expects of
 * xen/lib.h, xen/mm.h and friends, written for ptprove (no Xen header is used).
 *
 * ASSERT and BUG_ON record what failed and jump back to the driver
 * (ptprove_fail); a file whose model compiles ASSERTs out defines
 * PTPROVE_RELEASE first, and then a failing ASSERT is only noted
 * (ptprove_note) and the code goes on, as a release build does.
 * PAGETABLE_ORDER is 9 unless the build passes PTPROVE_PAGETABLE_ORDER (the
 * width of a reduced model's tables: every level's index is that many bits).
 */
#ifndef PTPROVE_XEN_H
#define PTPROVE_XEN_H

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
#define _U(x)              x##U
#define BIT(n, sfx)        (_AC(1, sfx) << (n))
#define likely(x)          (x)
#define unlikely(x)        (x)
#define IS_ALIGNED(x, a)   (((x) & ((a) - 1)) == 0)
#define PFN_DOWN(x)        ((x) >> PAGE_SHIFT)

#define EINVAL      22
#define ENOMEM      12
#define ENOENT      2
#define EACCES      13
#define EOVERFLOW   75
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

#ifdef PTPROVE_RELEASE
void ptprove_note(const char *what);  /* the driver lists it with the call */
#define ASSERT(p)          do { if ( !(p) ) ptprove_note("ASSERT(" #p ")"); } while ( 0 )
#define ASSERT_UNREACHABLE() ptprove_note("ASSERT_UNREACHABLE()")
#else
#define ASSERT(p)          do { if ( !(p) ) ptprove_fail("ASSERT(" #p ")"); } while ( 0 )
#define ASSERT_UNREACHABLE() ptprove_fail("ASSERT_UNREACHABLE()")
#endif
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
#ifdef PTPROVE_PAGETABLE_ORDER
#define PAGETABLE_ORDER    PTPROVE_PAGETABLE_ORDER
#else
#define PAGETABLE_ORDER    9
#endif
#define PAGETABLE_ENTRIES  (1U << PAGETABLE_ORDER)

typedef struct { unsigned long mfn; } mfn_t;
static inline mfn_t _mfn(unsigned long m) { mfn_t r = { m }; return r; }
static inline unsigned long mfn_x(mfn_t m) { return m.mfn; }
static inline bool mfn_eq(mfn_t a, mfn_t b) { return a.mfn == b.mfn; }
static inline mfn_t mfn_add(mfn_t m, unsigned long n) { return _mfn(m.mfn + n); }
#define INVALID_MFN        _mfn(~0UL)
#define PRI_mfn            "05lx"
#define maddr_to_mfn(ma)   _mfn((ma) >> PAGE_SHIFT)
#define mfn_to_maddr(m)    ((paddr_t)mfn_x(m) << PAGE_SHIFT)
#define pfn_to_paddr(pfn)  ((paddr_t)(pfn) << PAGE_SHIFT)

void *ptprove_frame(mfn_t mfn);   /* the frame's 4 KiB, created zeroed */
#define unmap_domain_page(p) ((void)(p))
#define clear_page(p)      memset((p), 0, PAGE_SIZE)

typedef int spinlock_t;
#define DEFINE_SPINLOCK(l) spinlock_t l = 0
#define spin_lock(l)       ((void)(l))
#define spin_unlock(l)     ((void)(l))

#define __init
#define __ro_after_init
#define __must_check

#endif /* PTPROVE_XEN_H */
