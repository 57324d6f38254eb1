/*
 * ptprove C harness driver: runs the calls of one vector through pt.c.
 *
 * Input (a file the Python side writes from the vector), one item a line:
 *     root <frame>            the root table's frame (satp.PPN)
 *     pool <base> <count>     table pages alloc_domheap_page() hands out, then NULL
 *     cell <frame> <index> <value>
 *                             an entry of the initial state (the fixmap's boot tables)
 *     fixmap <frame>          xen_fixmap[]'s frame (PTPROVE_FIXMAP builds)
 *     call <op> <a0> <a1> <a2> <a3>
 *                             op: map, destroy, populate, modify; with PTPROVE_FIXMAP
 *                             also setup_fixmap_mappings, set_fixmap, clear_fixmap
 *                             (numbers in hex)
 * Output (stdout), one JSON object:
 *     {"calls": [{"rc": <int or null>, "failed": <string or null>, "stale": <bool>,
 *                 "mapped": <tables map_table mapped and unmap_table did not unmap>,
 *                 "flush": ["0x<va>", "0x<size>"] (the call's last flush_tlb_range_va; absent
 *                 when it made none)}, ...],
 *      "pool_handed_out": <n>, "tables": [{"frame": "0x..", "entries": [[index, "0x.."], ...]}, ...]}
 * A failed ASSERT / BUG_ON stops the run (the model halts there too), and so does a
 * call that maps tables more than PTPROVE_ITERATION_CAP times (it does not return).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pt.c"
#ifdef PTPROVE_FIXMAP
#include "setup_fixmap.c"   /* mm.c's setup_fixmap_mappings, taken from the tree */
#endif
#include "ptprove_frames.h"

jmp_buf ptprove_stop;
const char *ptprove_failed;
bool ptprove_stale;
unsigned long ptprove_flushes, ptprove_fences, ptprove_messages;
unsigned long ptprove_flush_va, ptprove_flush_size;
int system_state = SYS_STATE_active;

static unsigned long root_frame, maps, unmaps, flushes;
#include "ptprove_pool.h"   /* pool_base, pool_count, pool_next and the allocator */
unsigned long ptprove_root_frame, ptprove_fixmap_frame;

#ifdef PTPROVE_FIXMAP
paddr_t ptprove_virt_to_maddr(const void *p)
{
    unsigned int i;

    for ( i = 0; i < nr_frames; i++ )
        if ( (const char *)p >= (const char *)frames[i].page
             && (const char *)p < (const char *)frames[i].page + PAGE_SIZE )
            return mfn_to_maddr(_mfn(frames[i].mfn)) + ((const char *)p - (const char *)frames[i].page);
    ptprove_fail("virt_to_maddr of an address outside every frame");
    return 0;
}
#endif

#define CAP_MESSAGE "the iteration cap (the call did not return)"

void *ptprove_map(mfn_t mfn)
{
    if ( ++maps > PTPROVE_ITERATION_CAP )
        ptprove_fail(CAP_MESSAGE);
    return ptprove_frame(mfn);
}

void ptprove_unmap(const void *p)
{
    (void)p;
    unmaps++;
}

unsigned long ptprove_csr_read(unsigned int csr)
{
    return csr == CSR_SATP ? (8UL << 60) | root_frame : 0;   /* Sv39 */
}

#include "ptprove_entries.h"

int main(int argc, char **argv)
{
    char line[512], op[32];
    unsigned long a[4], cell[3];
    volatile unsigned long value = 0;   /* what a lookup returned (set across the setjmp) */
    volatile bool has_value = false;
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
        {
            ptprove_root_frame = root_frame;
            continue;
        }
        if ( sscanf(line, "fixmap %lx", &ptprove_fixmap_frame) == 1 )
            continue;
        if ( sscanf(line, "cell %lx %lx %lx", &cell[0], &cell[1], &cell[2]) == 3 )
        {
            ((uint64_t *)ptprove_frame(_mfn(cell[0])))[cell[1]] = cell[2];
            continue;
        }
        if ( sscanf(line, "pool %lx %lx", &pool_base, &pool_count) == 2 )
            continue;
        if ( sscanf(line, "call %31s %lx %lx %lx %lx", op, &a[0], &a[1], &a[2], &a[3]) != 5 )
        {
            fprintf(stderr, "ptprove harness: bad line: %s", line);
            return 2;
        }
        ptprove_failed = NULL;
        maps = unmaps = 0;
        has_value = false;
        flushes = ptprove_flushes;
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
#ifdef vmap_to_mfn   /* the tree's asm/mm.h lookup (proofs/c_header.py): pt_walk, then pte_to_paddr */
            else if ( !strcmp(op, "vmap_to_mfn") )
            {
                value = mfn_x(vmap_to_mfn(a[0]));
                has_value = true;
                rc = 0;
            }
#endif
#ifdef PTPROVE_FIXMAP
            else if ( !strcmp(op, "setup_fixmap_mappings") )
                rc = (setup_fixmap_mappings(), 0);
            else if ( !strcmp(op, "set_fixmap") )
                rc = (set_fixmap(a[0], _mfn(a[1]), a[2]), 0);
            else if ( !strcmp(op, "clear_fixmap") )
                rc = (clear_fixmap(a[0]), 0);
#endif
            else
            {
                fprintf(stderr, "ptprove harness: unknown call %s\n", op);
                return 2;
            }
            printf("%s{\"rc\": %d, \"failed\": null, \"stale\": %s, \"mapped\": %ld", sep, rc,
                   ptprove_stale ? "true" : "false", (long)(maps - unmaps));
            if ( has_value )
                printf(", \"value\": \"0x%lx\"", value);
            if ( ptprove_flushes != flushes )
                printf(", \"flush\": [\"0x%lx\", \"0x%lx\"]", ptprove_flush_va, ptprove_flush_size);
            printf("}");
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
    print_tables(NULL);
    printf("}\n");
    return 0;
}
