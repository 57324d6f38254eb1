/*
 * ptprove C harness driver: runs the calls of one p2m vector through Arm's
 * p2m_set_entry path (mmu/p2m.c and arch/arm/p2m.c's map_regions_p2mt, staged
 * as p2m.c by proofs/systems/p2m/arm_c_harness.py).
 *
 * Input, one item a line (numbers in hex):
 *     pool <count>             p2m pool pages (frames BASE+4 ...), after the 4 root pages
 *     call set <gfn> <order> <mfn> <type> <fails>
 *                              one __p2m_set_entry under the write lock, then
 *                              p2m_write_unlock; a foreign mapping's caller takes a
 *                              reference on each frame first and drops them on failure
 *     call range <gfn> <nr> <mfn> <type> <fails>   map_regions_p2mt
 *   <fails>: bit k set = the k-th pool allocation of the call fails.
 * Output: the JSON of proofs/c/p2m_driver.c (no metadata pages: "md" is empty).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "p2m.c"
#include "ptprove_frames.h"
#define PTPROVE_SET_ENTRY(p2m, gfn, order, mfn, t) __p2m_set_entry(p2m, gfn, order, mfn, t, p2m_access_rwx)
#include "ptprove_p2m_calls.h"

jmp_buf ptprove_stop;
const char *ptprove_failed;
bool ptprove_stale;
unsigned long ptprove_flushes, ptprove_fences, ptprove_messages;

#define ROOT_PAGES 4
#define MAX_POOL 60
#define MAX_GUEST 4096
#define MAX_NOTES 16

static struct page_info tables_pages[ROOT_PAGES + MAX_POOL];
static unsigned long pool_count;
static struct page_info *freelist[MAX_POOL];   /* head first */
static unsigned int free_n;
static struct page_info guest_pages[MAX_GUEST];
static unsigned int nr_guest;
static unsigned long call_fails, call_attempts, call_flushes;
static const char *notes[MAX_NOTES];
static unsigned int nr_notes;
static struct domain dom = { .domain_id = 1 };
static uint64_t vttbr_el2;

void ptprove_note(const char *what)
{
    if ( nr_notes < MAX_NOTES )
        notes[nr_notes++] = what;
}

uint64_t ptprove_sysreg(int reg, uint64_t v, bool write)
{
    uint64_t old = vttbr_el2;

    (void)reg;
    if ( write )
        vttbr_el2 = v;
    return old;
}

void ptprove_flush_guest_tlb(void)
{
    ptprove_flushes++;
    call_flushes++;
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

struct page_info *page_list_remove_head(struct page_list_head *h)
{
    struct page_info *pg;
    unsigned long k = call_attempts++;

    (void)h;
    if ( (k < 64 && (call_fails >> k) & 1) || !free_n )
        return NULL;
    pg = freelist[0];
    memmove(freelist, freelist + 1, --free_n * sizeof(freelist[0]));
    pg->free = false;
    return pg;
}

void page_list_add_tail(struct page_info *pg, struct page_list_head *h)
{
    (void)h;
    if ( pg->free )
        ptprove_fail("p2m_free_page of a page already free");
    pg->free = true;
    freelist[free_n++] = pg;
}

void put_page(struct page_info *pg)
{
    if ( !pg->refs )
        ptprove_note("put_page on a page without a reference");
    else
        pg->refs--;
}

/* a root page, or a pool page in use (a free page's bytes are stale) */
static bool is_table_frame(unsigned long mfn)
{
    unsigned long k = mfn - PTPROVE_PT_FRAME_BASE;

    return k < ROOT_PAGES + pool_count && !tables_pages[k].free;
}

static void print_call(int rc, const char *stopped)
{
    unsigned int i;

    if ( stopped )
        printf("{\"rc\": null, \"stopped\": \"%s\"", stopped);
    else
        printf("{\"rc\": %d, \"stopped\": null", rc);
    printf(", \"crashed\": false, \"allocs\": %lu, \"flushes\": %lu, \"notes\": [", call_attempts,
           call_flushes);
    for ( i = 0; i < nr_notes; i++ )
        printf("%s\"%s\"", i ? ", " : "", notes[i]);
    printf("], \"hfences\": []}");
}

static void print_state(void)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(&dom);
    unsigned int i, in_use = 0;
    const char *sep = "";

    for ( i = ROOT_PAGES; i < ROOT_PAGES + pool_count; i++ )
        in_use += !tables_pages[i].free;
    printf("\"pool_in_use\": %u, \"md_pages\": [], \"need_flush\": %s, \"write_locked\": %s, \"refs\": {",
           in_use, p2m->need_flush ? "true" : "false", p2m_is_write_locked(p2m) ? "true" : "false");
    for ( i = 0; i < nr_guest; i++ )
        if ( guest_pages[i].refs )
        {
            printf("%s\"0x%lx\": %lu", sep, guest_pages[i].mfn, guest_pages[i].refs);
            sep = ", ";
        }
    printf("}, \"md\": [], ");
    print_tables(is_table_frame);
}

int main(int argc, char **argv)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(&dom);
    char line[512], op[32];
    unsigned long a[5];
    const char *sep = "";
    unsigned int k;
    FILE *in;

    if ( argc != 2 || !(in = fopen(argv[1], "r")) )
    {
        fprintf(stderr, "usage: arm-p2m-harness CALLS-FILE\n");
        return 2;
    }
    /* p2m_init and p2m_alloc_table as the model's bounds state them: 3 levels, a
     * 4-page concatenated root at level 1, default access rwx, an empty freelist filled
     * by p2m_set_allocation */
    p2m_root_order = 2;
    p2m_root_level = 1;
    for ( k = 0; k < ROOT_PAGES; k++ )
        tables_pages[k].mfn = PTPROVE_PT_FRAME_BASE + k;
    p2m->root = &tables_pages[0];
    p2m->domain = &dom;
    p2m->vmid = 1;
    p2m->vttbr = ((uint64_t)p2m->vmid << 48) | (PTPROVE_PT_FRAME_BASE << PAGE_SHIFT);
    p2m->default_access = p2m_access_rwx;
    p2m->max_mapped_gfn = _gfn(0);
    p2m->lowest_mapped_gfn = INVALID_GFN;
    printf("{\"calls\": [");
    while ( fgets(line, sizeof(line), in) )
    {
        int rc = 0;

        if ( sscanf(line, "pool %lx", &pool_count) == 1 )
        {
            if ( pool_count > MAX_POOL )
            {
                fprintf(stderr, "ptprove harness: a pool of %lu pages\n", pool_count);
                return 2;
            }
            for ( k = 0; k < pool_count; k++ )
            {
                struct page_info *pg = &tables_pages[ROOT_PAGES + k];

                pg->mfn = PTPROVE_PT_FRAME_BASE + ROOT_PAGES + k;
                pg->free = true;
                freelist[free_n++] = pg;
            }
            continue;
        }
        if ( sscanf(line, "call %31s %lx %lx %lx %lx %lx", op, &a[0], &a[1], &a[2], &a[3], &a[4]) != 6 )
        {
            fprintf(stderr, "ptprove harness: bad line: %s", line);
            return 2;
        }
        call_fails = a[4];
        call_attempts = call_flushes = 0;
        nr_notes = 0;
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
