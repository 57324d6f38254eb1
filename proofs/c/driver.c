/*
 * ptprove C harness driver: runs the calls of one vector through pt.c.
 *
 * Input (a file the Python side writes from the vector), one item a line:
 *     root <frame>            the root table's frame (satp.PPN)
 *     pool <base> <count>     table pages alloc_domheap_page() hands out, then NULL
 *     call <op> <a0> <a1> <a2> <a3>
 *                             op: map, destroy, populate, modify (numbers in hex)
 * Output (stdout), one JSON object:
 *     {"calls": [{"rc": <int or null>, "failed": <string or null>, "stale": <bool>}, ...],
 *      "pool_handed_out": <n>, "tables": [{"frame": "0x..", "entries": [[index, "0x.."], ...]}, ...]}
 * A failed ASSERT / BUG_ON stops the run (the model halts there too).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pt.c"

jmp_buf ptprove_stop;
const char *ptprove_failed;
bool ptprove_stale;
unsigned long ptprove_flushes, ptprove_fences, ptprove_messages;
int system_state = SYS_STATE_active;

#define MAX_FRAMES 256
static struct { unsigned long mfn; pte_t *page; } frames[MAX_FRAMES];
static unsigned int nr_frames;
static unsigned long root_frame, pool_base, pool_count, pool_next;
static struct page_info pool_pages[64];

void *ptprove_frame(mfn_t mfn)
{
    unsigned int i;

    for ( i = 0; i < nr_frames; i++ )
        if ( frames[i].mfn == mfn_x(mfn) )
            return frames[i].page;
    if ( nr_frames == MAX_FRAMES )
    {
        fprintf(stderr, "ptprove harness: more than %d frames touched\n", MAX_FRAMES);
        exit(2);
    }
    frames[nr_frames].mfn = mfn_x(mfn);
    frames[nr_frames].page = calloc(PAGETABLE_ENTRIES, sizeof(pte_t));
    return frames[nr_frames++].page;
}

struct page_info *alloc_domheap_page(struct domain *d, unsigned int memflags)
{
    (void)d; (void)memflags;
    if ( pool_next >= pool_count )
        return NULL;
    pool_pages[pool_next].mfn = pool_base + pool_next;
    return &pool_pages[pool_next++];
}

mfn_t alloc_boot_pages(unsigned long nr, unsigned long align)
{
    (void)nr; (void)align;
    ptprove_fail("alloc_boot_pages (early boot is not modelled)");
    return INVALID_MFN;
}

unsigned long ptprove_csr_read(unsigned int csr)
{
    return csr == CSR_SATP ? (8UL << 60) | root_frame : 0;   /* Sv39 */
}

#include "ptprove_entries.h"

static int compare_frames(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

static void print_tables(void)
{
    unsigned long mfns[MAX_FRAMES];
    unsigned int i, j, n = 0;
    const char *sep = "";

    for ( i = 0; i < nr_frames; i++ )
        mfns[n++] = frames[i].mfn;
    qsort(mfns, n, sizeof(mfns[0]), compare_frames);
    printf("\"tables\": [");
    for ( i = 0; i < n; i++ )
    {
        pte_t *t = ptprove_frame(_mfn(mfns[i]));
        const char *esep = "";
        bool any = false;

        for ( j = 0; j < PAGETABLE_ENTRIES; j++ )
            any = any || t[j].pte;
        if ( !any )
            continue;
        printf("%s{\"frame\": \"0x%lx\", \"entries\": [", sep, mfns[i]);
        for ( j = 0; j < PAGETABLE_ENTRIES; j++ )
            if ( t[j].pte )
            {
                printf("%s[%u, \"0x%lx\"]", esep, j, t[j].pte);
                esep = ", ";
            }
        printf("]}");
        sep = ", ";
    }
    printf("]");
}

int main(int argc, char **argv)
{
    char line[512], op[32];
    unsigned long a[4];
    const char *sep = "";
    FILE *in;

    if ( argc != 2 || !(in = fopen(argv[1], "r")) )
    {
        fprintf(stderr, "usage: harness CALLS-FILE\n");
        return 2;
    }
    printf("{\"calls\": [");
    while ( fgets(line, sizeof(line), in) )
    {
        if ( sscanf(line, "root %lx", &root_frame) == 1 )
            continue;
        if ( sscanf(line, "pool %lx %lx", &pool_base, &pool_count) == 2 )
            continue;
        if ( sscanf(line, "call %31s %lx %lx %lx %lx", op, &a[0], &a[1], &a[2], &a[3]) != 5 )
        {
            fprintf(stderr, "ptprove harness: bad line: %s", line);
            return 2;
        }
        ptprove_failed = NULL;
        if ( setjmp(ptprove_stop) == 0 )
        {
            int rc;

            if ( !strcmp(op, "map") )
                rc = map_pages_to_xen(a[0], _mfn(a[1]), a[2], a[3]);
            else if ( !strcmp(op, "destroy") )
                rc = destroy_xen_mappings(a[0], a[1]);
            else if ( !strcmp(op, "populate") )
                rc = populate_pt_range(a[0], a[1]);
            else if ( !strcmp(op, "modify") )   /* no wrapper calls it: pt_update directly */
                rc = pt_update(a[0], INVALID_MFN, a[1], a[2]);
            else
            {
                fprintf(stderr, "ptprove harness: unknown call %s\n", op);
                return 2;
            }
            printf("%s{\"rc\": %d, \"failed\": null, \"stale\": %s}", sep, rc,
                   ptprove_stale ? "true" : "false");
        }
        else
        {
            printf("%s{\"rc\": null, \"failed\": \"%s\", \"stale\": %s}", sep, ptprove_failed,
                   ptprove_stale ? "true" : "false");
            sep = ", ";
            break;
        }
        sep = ", ";
    }
    printf("], \"pool_handed_out\": %lu, ", pool_next);
    print_tables();
    printf("}\n");
    return 0;
}
