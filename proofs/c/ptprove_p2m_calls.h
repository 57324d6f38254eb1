/*
 * ptprove C harness: one p2m vector call, as both p2m drivers run it (written for
 * ptprove; proofs/c/p2m_driver.c for RISC-V p2m.c, proofs/c/arm_p2m_driver.c for
 * Arm's mmu/p2m.c).  The driver defines PTPROVE_SET_ENTRY(p2m, gfn, order, mfn, t):
 * the file's one-entry call (RISC-V p2m_set_entry, Arm __p2m_set_entry), which
 * runs under the write lock.
 *
 *     set <gfn> <order> <mfn> <type>   the one-entry call; a foreign mapping's caller
 *                                      takes a reference on each frame first and drops
 *                                      them if the call fails
 *     range <gfn> <nr> <mfn> <type>    map_regions_p2mt
 * Returns the call's rc; an unknown call is one line on stderr and exit 2.
 */
#ifndef PTPROVE_P2M_CALLS_H
#define PTPROVE_P2M_CALLS_H

static int ptprove_p2m_call(struct p2m_domain *p2m, struct domain *d, const char *op,
                            const unsigned long a[4])
{
    int rc;

    if ( !strcmp(op, "set") )
    {
        unsigned long i, span = 1UL << a[1];
        bool foreign = a[2] != mfn_x(INVALID_MFN) && p2m_is_foreign(a[3]);

        for ( i = 0; foreign && i < span; i++ )   /* the caller's get_page */
            ptprove_page(_mfn(a[2] + i))->refs++;
        p2m_write_lock(p2m);
        rc = PTPROVE_SET_ENTRY(p2m, _gfn(a[0]), a[1], _mfn(a[2]), a[3]);
        p2m_write_unlock(p2m);
        for ( i = 0; foreign && rc && i < span; i++ )   /* and put_page on failure */
            put_page(ptprove_page(_mfn(a[2] + i)));
        return rc;
    }
    if ( !strcmp(op, "range") )
        return map_regions_p2mt(d, _gfn(a[0]), a[1], _mfn(a[2]), a[3]);
    fprintf(stderr, "ptprove harness: unknown call %s\n", op);
    exit(2);
}

#endif /* PTPROVE_P2M_CALLS_H */
