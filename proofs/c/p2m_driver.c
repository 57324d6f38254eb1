/*
 * ptprove C harness driver: runs the calls of one vector through RISC-V p2m.c.
 *
 * Input (a file the Python side writes from the vector), one item a line:
 *     mode <paging_levels>     the G-stage mode (2: Sv39x4, 3: Sv48x4, 4: Sv57x4)
 *     pool <count>             p2m pool pages (frames BASE+4 ...), after the 4 root pages
 *     call set <gfn> <order> <mfn> <type> <fails>
 *                              one p2m_set_entry under the write lock; a foreign
 *                              mapping's caller takes a reference on each frame
 *                              first and drops them if the call fails
 *     call range <gfn> <nr> <mfn> <type> <fails>
 *                              map_regions_p2mt (p2m_set_range under the lock)
 *   numbers in hex; <fails>: bit k set = the k-th pool allocation of the call fails.
 * Output (stdout), one JSON object:
 *     {"calls": [{"rc", "stopped", "notes", "hfences", "crashed", "allocs"}, ...],
 *      "pool_in_use", "md_pages", "need_flush", "write_locked", "refs", "md", "tables"}
 * A BUG_ON, a panic or mapping a page that does not exist stops the run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "p2m.c"
#include "ptprove_frames.h"
#define PTPROVE_SET_ENTRY(p2m, gfn, order, mfn, t) p2m_set_entry(p2m, gfn, order, mfn, t)
#include "ptprove_p2m_calls.h"

jmp_buf ptprove_stop;
const char *ptprove_failed;
bool ptprove_stale;
unsigned long ptprove_flushes, ptprove_fences, ptprove_messages;
struct vcpu *ptprove_current;

#define ROOT_PAGES 4
#define MAX_POOL 60
#define MAX_GUEST 4096
#define MAX_NOTES 16
#define MAX_HFENCES 32

static struct page_info tables_pages[ROOT_PAGES + MAX_POOL];
static unsigned long pool_count;
static struct page_info *freelist[MAX_POOL];   /* head first */
static unsigned int free_n;
static struct page_info guest_pages[MAX_GUEST];
static unsigned int nr_guest;
static unsigned long call_fails, call_attempts;
static bool call_crashed;
static const char *notes[MAX_NOTES];
static unsigned int nr_notes;
static struct { const char *what; unsigned long start, size; bool all_harts; } hfences[MAX_HFENCES];
static unsigned int nr_hfences;
static cpumask_t dirty = { 1 };
static struct domain dom = { .domain_id = 1, .dirty_cpumask = &dirty };

void ptprove_note(const char *what)
{
    if ( nr_notes < MAX_NOTES )
        notes[nr_notes++] = what;
}

void ptprove_hfence(const char *what, const cpumask_t *mask, unsigned long start, unsigned long size)
{
    ptprove_flushes++;
    if ( start == 0 && size == 0 )
        ptprove_stale = false;
    if ( nr_hfences < MAX_HFENCES )
    {
        hfences[nr_hfences].what = what;
        hfences[nr_hfences].start = start;
        hfences[nr_hfences].size = size;
        hfences[nr_hfences++].all_harts = mask == &dirty;
    }
}

void ptprove_domain_crash(struct domain *d)
{
    (void)d;
    call_crashed = true;
}

struct page_info *ptprove_page(mfn_t mfn)
{
    unsigned long m = mfn_x(mfn);
    unsigned int i;

    if ( m - PTPROVE_PT_FRAME_BASE < ROOT_PAGES + pool_count )
        return &tables_pages[m - PTPROVE_PT_FRAME_BASE];
    for ( i = 0; i < nr_guest; i++ )
        if ( guest_pages[i].mfn == m )
            return &guest_pages[i];
    if ( nr_guest == MAX_GUEST )
    {
        fprintf(stderr, "ptprove harness: more than %d guest frames touched\n", MAX_GUEST);
        exit(2);
    }
    guest_pages[nr_guest].mfn = m;
    return &guest_pages[nr_guest++];
}

void *ptprove_map_page(const struct page_info *pg)
{
    if ( !pg )
        ptprove_fail("__map_domain_page(NULL): a page that does not exist");
    return ptprove_frame(page_to_mfn(pg));
}

mfn_t ptprove_frame_of(const void *va)
{
    unsigned int i;
    const char *p = va;

    for ( i = 0; i < nr_frames; i++ )
        if ( p >= (const char *)frames[i].page && p < (const char *)frames[i].page + PAGE_SIZE )
            return _mfn(frames[i].mfn);
    ptprove_fail("domain_page_map_to_mfn of an address no frame holds");
    return INVALID_MFN;
}

struct page_info *alloc_domheap_pages(struct domain *d, unsigned int order, unsigned int memflags)
{
    (void)d; (void)memflags;
    return order == P2M_ROOT_ORDER ? &tables_pages[0] : NULL;   /* the root only */
}

struct page_info *paging_alloc_page(struct domain *d)
{
    struct page_info *pg;
    unsigned long k = call_attempts++;

    (void)d;
    if ( (k < 64 && (call_fails >> k) & 1) || !free_n )
        return NULL;
    pg = freelist[0];
    memmove(freelist, freelist + 1, --free_n * sizeof(freelist[0]));
    pg->free = false;
    return pg;
}

void paging_free_page(struct domain *d, struct page_info *pg)
{
    (void)d;
    if ( pg->free )
        ptprove_fail("paging_free_page of a page already free");
    pg->free = true;
    freelist[free_n++] = pg;
}

int paging_freelist_adjust(struct domain *d, unsigned long pages, bool preempt)
{
    unsigned long k;

    (void)d; (void)preempt;
    for ( k = 0; k < pages; k++ )
    {
        struct page_info *pg = &tables_pages[ROOT_PAGES + k];

        pg->mfn = PTPROVE_PT_FRAME_BASE + ROOT_PAGES + k;
        pg->free = true;
        freelist[free_n++] = pg;
    }
    return 0;
}

int paging_ret_to_domheap(struct domain *d, unsigned int nr) { (void)d; (void)nr; return 0; }
int paging_refill_from_domheap(struct domain *d, unsigned int nr) { (void)d; (void)nr; return 0; }

void put_page(struct page_info *pg)
{
    if ( !pg->refs )
        ptprove_note("put_page on a page without a reference");
    else
        pg->refs--;
}

bool get_page(struct page_info *pg, const struct domain *d)
{
    (void)d;
    pg->refs++;
    return true;
}

struct domain *page_get_owner_and_reference(struct page_info *pg)
{
    pg->refs++;
    return pg->owner;
}

unsigned long ptprove_csr(unsigned int csr, unsigned long v, int write)
{
    static unsigned long hgatp, vsatp;
    unsigned long *r = csr == CSR_HGATP ? &hgatp : &vsatp, old = *r;

    if ( write )
        *r = v;
    return old;
}

bool ptprove_isa_extension(int ext)
{
    return ext == RISCV_ISA_EXT_svade;   /* the model's hart has Svade */
}

bool vmid_handle_vmenter(struct vcpu_vmid *vmid) { (void)vmid; return false; }

/* -- output ------------------------------------------------------------------- */
static bool is_md_page(const struct page_info *pg)
{
    unsigned int i;

    for ( i = 0; i < ROOT_PAGES + pool_count; i++ )
        if ( tables_pages[i].v.md.pg == pg )
            return true;
    return false;
}

/* a root page (even one p2m_free_subtree has put in the free list, as the model keeps it), or a
 * pool page in use that is not a metadata page (a free pool page's bytes are stale) */
static bool is_table_frame(unsigned long mfn)
{
    unsigned long k = mfn - PTPROVE_PT_FRAME_BASE;

    return k < ROOT_PAGES ||
           (k < ROOT_PAGES + pool_count && !tables_pages[k].free && !is_md_page(&tables_pages[k]));
}

static void print_call(int rc, const char *stopped)
{
    unsigned int i;

    if ( stopped )
        printf("{\"rc\": null, \"stopped\": \"%s\"", stopped);
    else
        printf("{\"rc\": %d, \"stopped\": null", rc);
    printf(", \"crashed\": %s, \"allocs\": %lu, \"notes\": [", call_crashed ? "true" : "false",
           call_attempts);
    for ( i = 0; i < nr_notes; i++ )
        printf("%s\"%s\"", i ? ", " : "", notes[i]);
    printf("], \"hfences\": [");
    for ( i = 0; i < nr_hfences; i++ )
        printf("%s{\"what\": \"%s\", \"harts\": \"%s\", \"start\": \"0x%lx\", \"size\": \"0x%lx\"}",
               i ? ", " : "", hfences[i].what, hfences[i].all_harts ? "d->dirty_cpumask" : "local",
               hfences[i].start, hfences[i].size);
    printf("]}");
}

static void print_state(void)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(&dom);
    unsigned int i, j, in_use = 0;
    const char *sep = "";

    for ( i = ROOT_PAGES; i < ROOT_PAGES + pool_count; i++ )
        in_use += !tables_pages[i].free;
    printf("\"pool_in_use\": %u, \"md_pages\": [", in_use);
    for ( i = 0; i < ROOT_PAGES + pool_count; i++ )
        if ( tables_pages[i].v.md.pg )
        {
            printf("%s[\"0x%lx\", \"0x%lx\", %lu]", sep, tables_pages[i].mfn,
                   tables_pages[i].v.md.pg->mfn, tables_pages[i].u.md.used_entries);
            sep = ", ";
        }
    printf("], \"need_flush\": %s, \"write_locked\": %s, \"refs\": {",
           p2m->need_flush ? "true" : "false", p2m_is_write_locked(p2m) ? "true" : "false");
    sep = "";
    for ( i = 0; i < nr_guest; i++ )
        if ( guest_pages[i].refs )
        {
            printf("%s\"0x%lx\": %lu", sep, guest_pages[i].mfn, guest_pages[i].refs);
            sep = ", ";
        }
    printf("}, \"md\": [");
    sep = "";
    for ( i = 0; i < ROOT_PAGES + pool_count; i++ )
    {
        const struct md_t *md;

        if ( !tables_pages[i].v.md.pg || tables_pages[i].free )
            continue;
        md = ptprove_frame(page_to_mfn(tables_pages[i].v.md.pg));
        for ( j = 0; j < PAGETABLE_ENTRIES; j++ )
            if ( md[j].type )
            {
                printf("%s[\"0x%lx\", %u, %u]", sep, tables_pages[i].mfn, j, (unsigned int)md[j].type);
                sep = ", ";
            }
    }
    printf("], ");
    print_tables(is_table_frame);
}

int main(int argc, char **argv)
{
    static struct xen_domctl_createdomain config;
    struct p2m_domain *p2m = p2m_get_hostp2m(&dom);
    char line[512], op[32];
    unsigned long levels = 2, a[5];
    const char *sep = "";
    unsigned int k;
    FILE *in;

    if ( argc != 2 || !(in = fopen(argv[1], "r")) )
    {
        fprintf(stderr, "usage: p2m-harness CALLS-FILE\n");
        return 2;
    }
    for ( k = 0; k < ROOT_PAGES; k++ )
        tables_pages[k].mfn = PTPROVE_PT_FRAME_BASE + k;
    printf("{\"calls\": [");
    while ( fgets(line, sizeof(line), in) )
    {
        int rc = 0;

        if ( sscanf(line, "mode %lx", &levels) == 1 )
            continue;
        if ( sscanf(line, "pool %lx", &pool_count) == 1 )
        {
            /* the domain as p2m_init and p2m_set_allocation leave it */
            for ( k = 1; k < ARRAY_SIZE(gstage_modes); k++ )
                if ( gstage_modes[k].paging_levels == levels )
                    max_gstage_mode = &gstage_modes[k];
            config.arch.gaddr_bits = P2M_GFN_LEVEL_SHIFT(levels + 1) + P2M_ROOT_EXTRA_BITS;
            if ( pool_count > MAX_POOL || p2m_init(&dom, &config) ||
                 p2m_set_allocation(&dom, pool_count, false) )
            {
                fprintf(stderr, "ptprove harness: cannot set up the domain (mode %lu, pool %lu)\n",
                        levels, pool_count);
                return 2;
            }
            continue;
        }
        if ( sscanf(line, "call %31s %lx %lx %lx %lx %lx", op, &a[0], &a[1], &a[2], &a[3], &a[4]) != 6 )
        {
            fprintf(stderr, "ptprove harness: bad line: %s", line);
            return 2;
        }
        call_fails = a[4];
        call_attempts = 0;
        call_crashed = false;
        nr_notes = nr_hfences = 0;
        ptprove_failed = NULL;
        printf("%s", sep);
        sep = ", ";
        if ( setjmp(ptprove_stop) == 0 )
        {
            rc = ptprove_p2m_call(p2m, &dom, op, a);
            print_call(rc, NULL);
        }
        else
        {
            print_call(0, ptprove_failed);
            break;
        }
    }
    printf("], ");
    print_state();
    printf("}\n");
    return 0;
}
