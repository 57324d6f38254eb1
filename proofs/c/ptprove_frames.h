/*
 * ptprove C harness drivers: the frames a run touches (4 KiB each, created
 * zeroed on first map) and their nonzero 64-bit entries printed as JSON.
 * Included by each driver after its shim; one definition per harness binary.
 */
#ifndef PTPROVE_FRAMES_H
#define PTPROVE_FRAMES_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_FRAMES 256
static struct { unsigned long mfn; uint64_t *page; } frames[MAX_FRAMES];  /* raw 64-bit entries */
static unsigned int nr_frames;

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
    frames[nr_frames].page = calloc(1, PAGE_SIZE);
    return frames[nr_frames++].page;
}

static int compare_frames(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

    return x < y ? -1 : x > y;
}

/* "tables": every frame `shown` accepts (NULL: all) with a nonzero entry, by frame number */
static void print_tables(bool (*shown)(unsigned long mfn))
{
    unsigned long mfns[MAX_FRAMES];
    unsigned int i, j, n = 0;
    const char *sep = "";

    for ( i = 0; i < nr_frames; i++ )
        if ( !shown || shown(frames[i].mfn) )
            mfns[n++] = frames[i].mfn;
    qsort(mfns, n, sizeof(mfns[0]), compare_frames);
    printf("\"tables\": [");
    for ( i = 0; i < n; i++ )
    {
        const uint64_t *t = ptprove_frame(_mfn(mfns[i]));
        const char *esep = "";
        bool any = false;

        for ( j = 0; j < PAGETABLE_ENTRIES; j++ )
            any = any || t[j];
        if ( !any )
            continue;
        printf("%s{\"frame\": \"0x%lx\", \"entries\": [", sep, mfns[i]);
        for ( j = 0; j < PAGETABLE_ENTRIES; j++ )
            if ( t[j] )
            {
                printf("%s[%u, \"0x%" PRIx64 "\"]", esep, j, t[j]);
                esep = ", ";
            }
        printf("]}");
        sep = ", ";
    }
    printf("]");
}

#endif /* PTPROVE_FRAMES_H */
