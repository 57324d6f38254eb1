/*
 * ptprove lifter's translation unit: pt.c, the entry points it may lack, and
 * exported wrappers so the functions the refinement lifts one at a time (the
 * shim's PTE predicates, the entry points pt.c may have as static fallbacks,
 * pt_update's modify path) stay functions of the IR.  Taking the address of
 * pt.c's static functions keeps clang from specialising them to their call sites
 * (dropping an unused parameter, narrowing one's range): each is lifted as written.
 */
#include "pt.c"
#include "ptprove_entries.h"

void *const ptprove_lifted[] = {
    (void *)pt_check_entry, (void *)pt_mapping_level, (void *)pt_next_level,
    (void *)create_table, (void *)pt_update_entry, (void *)pt_update,
};

bool ptprove_pte_is_valid(pte_t p) { return pte_is_valid(p); }
bool ptprove_pte_is_table(pte_t p) { return pte_is_table(p); }
bool ptprove_pte_is_mapping(pte_t p) { return pte_is_mapping(p); }

int ptprove_destroy(unsigned long s, unsigned long e) { return destroy_xen_mappings(s, e); }
int ptprove_populate(unsigned long virt, unsigned long nr) { return populate_pt_range(virt, nr); }

/* no RISC-V wrapper calls the modify path: pt_update with INVALID_MFN and PTE_VALID */
int ptprove_modify(unsigned long virt, unsigned long nr, unsigned long flags)
{
    return pt_update(virt, INVALID_MFN, nr, flags);
}
