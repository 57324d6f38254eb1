/*
 * ptprove C harness drivers: the table-page pool of the page-table code's allocator.
 * The driver's `pool <base> <count>` line sets pool_base and pool_count;
 * alloc_domheap_page() hands out frames base, base+1, ... and then NULL (the model's
 * failing allocation); early boot's alloc_boot_pages() is not modelled.
 * Included by the pt.c drivers (RISC-V and Arm) after their shim.
 */
#ifndef PTPROVE_POOL_H
#define PTPROVE_POOL_H

static unsigned long pool_base, pool_count, pool_next;
static struct page_info pool_pages[64];

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

#endif
