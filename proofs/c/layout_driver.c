/*
 * ptprove C harness driver for the fixmap's layout vectors, written for
 * ptprove: the regions the tree's asm/config.h and asm/fixmap.h define,
 * computed by the compiler from the tree's own macros (ptprove_fixmap_layout.h
 * and ptprove_layout_rows.h, proofs/c_header.py), built on the fixmap shim.
 *
 * What this file states: GB(); sizeof(struct page_info) is
 * PTPROVE_PAGE_INFO_SIZE (48, config.h's frametable comment; the shim's
 * struct page_info is only what pt.c needs), so FRAMETABLE_SCALE_FACTOR is
 * restated with it.
 * Output (stdout), one JSON object:
 *     {"regions": [{"name": "xen", "start": "0x..", "end": "0x.."}, ...]}
 * each region [start, end) as the model's Layout.regions names it.
 */
#include <inttypes.h>
#include <stdio.h>

#define GB(x)              ((unsigned long)(x) << 30)
#include "ptprove_layout_rows.h"   /* the tree's config.h slot rows */
#undef FRAMETABLE_SCALE_FACTOR
#define FRAMETABLE_SCALE_FACTOR (PAGE_SIZE / PTPROVE_PAGE_INFO_SIZE)

jmp_buf ptprove_stop;
const char *ptprove_failed;
bool ptprove_stale;
unsigned long ptprove_flushes, ptprove_fences, ptprove_messages;

static void region(const char *sep, const char *name, uint64_t start, uint64_t size)
{
    printf("%s{\"name\": \"%s\", \"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\"}",
           sep, name, start, start + size);
}

int main(void)
{
    printf("{\"regions\": [");
    region("", "xen", XEN_VIRT_START, XEN_VIRT_SIZE);
    region(", ", "fdt", BOOT_FDT_VIRT_START, BOOT_FDT_VIRT_SIZE);
    region(", ", "fixmap", FIXMAP_ADDR(0), FIXMAP_ADDR(FIX_LAST + 1) - FIXMAP_ADDR(0));
#ifdef DIRECTMAP_VIRT_START
    region(", ", "directmap", DIRECTMAP_VIRT_START, DIRECTMAP_SIZE);
#endif
#ifdef FRAMETABLE_VIRT_START
    region(", ", "frametable", FRAMETABLE_VIRT_START, FRAMETABLE_SIZE);
#endif
#ifdef VMAP_VIRT_START
    region(", ", "vmap", VMAP_VIRT_START, VMAP_VIRT_SIZE);
#endif
    printf("]}\n");
    return 0;
}
