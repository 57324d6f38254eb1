/*
 * ptprove C harness driver: runs the calls of one arm-pt vector through Arm's mmu/pt.c.
 *
 * Input (a file the Python side writes from the vector), one item a line:
 *     root <frame>            the root table's frame (TTBR0_EL2)
 *     pool <base> <count>     table pages alloc_domheap_page() hands out, then NULL
 *     call <op> <a0> <a1> <a2> <a3>
 *                             op: map, destroy, populate, modify (numbers in hex)
 * Output (stdout), one JSON object:
 *     {"calls": [{"rc": <int or null>, "failed": <string or null>, "stale": <bool>,
 *                 "flushes": [["0x<va>", "0x<size>"], ...],
 *                 "events": [["0x<frame>", <index>, "0x<old>", "0x<new>"] or "flush", ...],
 *                 "isb": <n>, "dsb": <n>,
 *                 "mapped": <map_domain_page calls not unmapped>}, ...],
 *      "pool_handed_out": <n>, "tables": [{"frame": "0x..", "entries": [[index, "0x.."], ...]}, ...]}
 * A failed ASSERT / BUG_ON stops the run (the model halts there too), and so does a
 * call that maps tables more than PTPROVE_ITERATION_CAP times (it does not return).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pt.c"
#include "ptprove_frames.h"

jmp_buf ptprove_stop;
const char *ptprove_failed;
bool ptprove_stale;
unsigned long ptprove_flushes, ptprove_fences, ptprove_messages, ptprove_dsbs, ptprove_isbs;
int system_state = SYS_STATE_active;

static unsigned long root_frame, maps;
#include "ptprove_pool.h"   /* pool_base, pool_count, pool_next and the allocator */
static long mapped;

#define CAP_MESSAGE "the iteration cap (the call did not return)"
#define MAX_FLUSHES 16
static unsigned long flush_va[MAX_FLUSHES], flush_size[MAX_FLUSHES];

void *ptprove_map(mfn_t mfn)
{
    if ( ++maps > PTPROVE_ITERATION_CAP )
        ptprove_fail(CAP_MESSAGE);
    mapped++;
    return ptprove_frame(mfn);
}

void ptprove_unmap(const void *p)
{
    (void)p;
    mapped--;
}

/* the call's writes and flushes in order: [frame, index, old, new], or "flush" */
#define MAX_EVENTS 1024  /* a call of the vector replay runs up to 1024 more steps (trace_vectors) */
static struct { unsigned long frame, idx; uint64_t old, new; bool flush; } events[MAX_EVENTS];
static unsigned long nr_events;

static void log_event(unsigned long frame, unsigned long idx, uint64_t old, uint64_t new, bool flush)
{
    if ( nr_events == MAX_EVENTS )
    {
        fprintf(stderr, "ptprove harness: more than %d writes and flushes in one call\n", MAX_EVENTS);
        exit(2);
    }
    events[nr_events].frame = frame;
    events[nr_events].idx = idx;
    events[nr_events].old = old;
    events[nr_events].new = new;
    events[nr_events++].flush = flush;
}

void ptprove_log_write(const lpae_t *p, uint64_t old, uint64_t new)
{
    unsigned int i;

    for ( i = 0; i < nr_frames; i++ )
        if ( (const uint64_t *)p >= frames[i].page && (const uint64_t *)p < frames[i].page + 512 )
        {
            log_event(frames[i].mfn, (const uint64_t *)p - frames[i].page, old, new, false);
            return;
        }
    fprintf(stderr, "ptprove harness: write_pte outside every table page\n");
    exit(2);
}

void ptprove_flush_range(vaddr_t va, unsigned long size)
{
    log_event(0, 0, 0, 0, true);
    if ( ptprove_flushes < MAX_FLUSHES )
    {
        flush_va[ptprove_flushes] = va;
        flush_size[ptprove_flushes] = size;
    }
    ptprove_flushes++;
    ptprove_stale = false;   /* the model's ghost: the range covers every change */
}

uint64_t ptprove_read_sysreg(int reg)
{
    (void)reg;
    return (uint64_t)root_frame << PAGE_SHIFT;
}


/* the host compiler lays lpae_t's bit-fields out as AArch64 does (little endian, LSB first) */
static bool layout_ok(void)
{
    lpae_t e = { .bits = 0 };

    e.pt.contig = 1;
    e.pt.xn = 1;
    e.walk.base = 0xfffffffffUL;
    return sizeof(lpae_t) == 8 && e.bits == ((1UL << 52) | (1UL << 54) | 0xfffffffff000UL);
}

static void print_call(const char *sep, const int *rc)
{
    unsigned long i;

    if ( rc )
        printf("%s{\"rc\": %d, \"failed\": null", sep, *rc);
    else
        printf("%s{\"rc\": null, \"failed\": \"%s\"", sep, ptprove_failed);
    printf(", \"stale\": %s, \"flushes\": [", ptprove_stale ? "true" : "false");
    for ( i = 0; i < ptprove_flushes && i < MAX_FLUSHES; i++ )
        printf("%s[\"0x%lx\", \"0x%lx\"]", i ? ", " : "", flush_va[i], flush_size[i]);
    printf("], \"events\": [");
    for ( i = 0; i < nr_events; i++ )
        if ( events[i].flush )
            printf("%s\"flush\"", i ? ", " : "");
        else
            printf("%s[\"0x%lx\", %lu, \"0x%" PRIx64 "\", \"0x%" PRIx64 "\"]", i ? ", " : "",
                   events[i].frame, events[i].idx, events[i].old, events[i].new);
    printf("], \"isb\": %lu, \"dsb\": %lu, \"mapped\": %ld}", ptprove_isbs, ptprove_dsbs, mapped);
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
    if ( !layout_ok() )
    {
        fprintf(stderr, "ptprove harness: this compiler does not lay lpae_t out as AArch64 does\n");
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
        maps = 0;
        mapped = 0;
        ptprove_flushes = ptprove_isbs = ptprove_dsbs = nr_events = 0;
        if ( setjmp(ptprove_stop) == 0 )
        {
            int rc;

            if ( !strcmp(op, "map") )
                rc = map_pages_to_xen(a[0], _mfn(a[1]), a[2], a[3]);
            else if ( !strcmp(op, "destroy") )
                rc = destroy_xen_mappings(a[0], a[1]);
            else if ( !strcmp(op, "populate") )
                rc = populate_pt_range(a[0], a[1]);
            else if ( !strcmp(op, "modify") )
                rc = modify_xen_mappings(a[0], a[1], a[2]);
            else
            {
                fprintf(stderr, "ptprove harness: unknown call %s\n", op);
                return 2;
            }
            print_call(sep, &rc);
        }
        else
        {
            print_call(sep, NULL);
            break;
        }
        sep = ", ";
    }
    printf("], \"pool_handed_out\": %lu, ", pool_next);
    print_tables(NULL);
    printf("}\n");
    return 0;
}
