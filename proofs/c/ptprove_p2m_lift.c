/*
 * ptprove lifter's translation unit for RISC-V p2m.c: the file itself, and the
 * addresses of the static functions the refinement lifts one at a time, so that
 * clang keeps each one a function of the IR as written (no specialisation to its
 * call sites: an unused parameter dropped, a constant argument folded in).
 */
#include "p2m.c"

void *const ptprove_lifted[] = {
    (void *)p2m_set_permission, (void *)page_to_p2m_table, (void *)p2m_pte_from_mfn,
    (void *)p2m_get_type, (void *)p2m_set_type, (void *)p2m_put_page,
    (void *)p2m_free_subtree, (void *)p2m_split_superpage, (void *)p2m_set_entry,
    (void *)p2m_set_range,
};

/*
 * The layout of the structures the refinement builds or reads (p2m.c's IR reaches
 * them by byte offsets, so their types are not in it), in the order of
 * proofs/refine/p2m.py's LAYOUT.
 */
const unsigned long ptprove_layout[] = {
    offsetof(struct p2m_domain, pages), offsetof(struct p2m_domain, mode),
    offsetof(struct p2m_domain, domain), offsetof(struct p2m_domain, need_flush),
    offsetof(struct p2m_domain, clean_dcache), sizeof(struct p2m_domain),
    offsetof(struct domain, dirty_cpumask), sizeof(struct domain),
    offsetof(struct gstage_mode_desc, paging_levels), sizeof(struct gstage_mode_desc),
    offsetof(struct p2m_pte_ctx, p2m), offsetof(struct p2m_pte_ctx, pt_page),
    offsetof(struct p2m_pte_ctx, index), offsetof(struct p2m_pte_ctx, level),
    sizeof(struct p2m_pte_ctx),
    sizeof(struct page_info), offsetof(struct page_info, mfn), offsetof(struct page_info, listed),
    offsetof(struct page_info, u.md.used_entries), offsetof(struct page_info, v.md.pg),
    offsetof(struct p2m_domain, lock.writers), offsetof(struct p2m_domain, root),
    offsetof(struct p2m_domain, max_mapped_gfn), offsetof(struct p2m_domain, lowest_mapped_gfn),
    offsetof(struct domain, is_dying),
};
