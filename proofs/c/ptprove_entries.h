/*
 * ptprove: the entry points a pt.c may not have (v5 has neither), defined as
 * the model drives them and as upstream defines them.  Included after pt.c by
 * the harness driver and by the lifter's translation unit.
 */
#ifndef PTPROVE_ENTRIES_H
#define PTPROVE_ENTRIES_H

#ifndef PTPROVE_HAS_DESTROY
static int destroy_xen_mappings(unsigned long s, unsigned long e)
{
    ASSERT(IS_ALIGNED(s, PAGE_SIZE));
    ASSERT(IS_ALIGNED(e, PAGE_SIZE));
    return s < e ? pt_update(s, INVALID_MFN, PFN_DOWN(e - s), 0) : -EINVAL;
}
#endif
#ifndef PTPROVE_HAS_POPULATE
static int populate_pt_range(unsigned long virt, unsigned long nr_mfns)
{
    return pt_update(virt, INVALID_MFN, nr_mfns, PTE_POPULATE);
}
#endif

#endif /* PTPROVE_ENTRIES_H */
