/*
 * ptprove C harness driver for the encodings system, written for ptprove:
 * runs a version's own PTE predicates (pte_is_table, pte_is_mapping, taken
 * from its asm/page.h, or from seed 000's page.h hunk, by
 * proofs/refine/sources.py header_predicates as ptprove_hdr_<name>) on
 * entry values.
 *
 * Input: one entry value a line (hex).  Output (stdout), one JSON object:
 *     {"entries": [{"raw": "0x..", "table": <bool or null>, "mapping": <bool or null>,
 *                   "failed": <string or null>}, ...]}
 * A predicate whose ASSERT fails gives null and the failed condition.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ptprove_predicates.c"   /* the version's predicates, renamed ptprove_hdr_* */

jmp_buf ptprove_stop;
const char *ptprove_failed;
bool ptprove_stale;
unsigned long ptprove_flushes, ptprove_fences, ptprove_messages;

void ptprove_note(const char *what)
{
    (void)what;
}

static void predicate(const char *name, bool (*f)(pte_t), pte_t p, const char **failed)
{
    volatile bool r = false;

    if ( *failed == NULL && setjmp(ptprove_stop) == 0 )
    {
        r = f(p);
        printf(", \"%s\": %s", name, r ? "true" : "false");
        return;
    }
    if ( *failed == NULL )
        *failed = ptprove_failed;
    printf(", \"%s\": null", name);
}

int main(int argc, char **argv)
{
    char line[128];
    const char *sep = "";
    FILE *in;

    if ( argc != 2 || (in = fopen(argv[1], "r")) == NULL )
    {
        fprintf(stderr, "usage: encodings-harness VALUES-FILE\n");
        return 2;
    }
    printf("{\"entries\": [");
    while ( fgets(line, sizeof(line), in) )
    {
        const char *failed = NULL;
        pte_t p;

        if ( line[0] == '\n' || line[0] == '\0' )
            continue;
        p.pte = strtoull(line, NULL, 16);
        printf("%s{\"raw\": \"0x%" PRIx64 "\"", sep, (uint64_t)p.pte);
        predicate("table", ptprove_hdr_pte_is_table, p, &failed);
        predicate("mapping", ptprove_hdr_pte_is_mapping, p, &failed);
        if ( failed )
            printf(", \"failed\": \"%s\"}", failed);
        else
            printf(", \"failed\": null}");
        sep = ", ";
    }
    printf("]}\n");
    fclose(in);
    return 0;
}
