"""The C of riscv-p2m-v5 and riscv-p2m-v2: upstream p2m.c with their seeds' functions spliced in.

Like their models (model/riscv/p2m_v5.py, p2m_v2.py: upstream's model with cited
overrides of what the seed changes), v5's C is upstream's p2m.c with every
function seed 003's diff of p2m.c defines whole in place of upstream's, and v2's
is v5's with seed 004's p2m_split_superpage and the one line of its
__p2m_set_entry hunk the model follows (the descent after the split).  The
adaptations to upstream's surroundings (`proofs/c_splice.py` Seed) are renames
of names the seeds' era spelt otherwise and adapters with upstream's
signatures; each is written into the generated file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from proofs.c_splice import Seed, write_splice
from proofs.refine.sources import SHARED

P2M_C = "xen/arch/riscv/p2m.c"
SEEDS = SHARED / "seeds"

_ENTRIES = ("#define PTPROVE_SEED_P2M_PAGETABLE_ENTRIES(lvl) \\\n"
            "    BIT(PAGETABLE_ORDER + P2M_ROOT_EXTRA_BITS * ((lvl) == max_gstage_mode->paging_levels), UL)")


def seed_003(seeds: Path = SEEDS) -> Seed:
    """Seed 003 ([for 4.22 v5 11/18] p2m_free_subtree() and helpers) on upstream's p2m.c."""
    return Seed(
        path=seeds / "003_531ac80e977a3b1a.txt", label="seed 003", target=P2M_C,
        functions=("p2m_get_type", "p2m_put_foreign_page", "p2m_put_4k_page", "p2m_put_2m_superpage",
                   "p2m_put_page", "p2m_free_page", "p2m_free_subtree"),
        renamed={"p2m_get_type": "seed003_p2m_get_type", "p2m_free_subtree": "seed003_p2m_free_subtree"},
        adapters={
            "p2m_get_type": (
                "static p2m_type_t p2m_get_type(const pte_t pte, const struct p2m_pte_ctx *ctx)\n{\n"
                "    (void)ctx;  /* seed 003's p2m_get_type reads PTE bits 8-9 only */\n"
                "    return seed003_p2m_get_type(pte);\n}\n"),
            "p2m_free_subtree": (
                "static void p2m_free_subtree(struct p2m_domain *p2m, pte_t entry,\n"
                "                             const struct p2m_pte_ctx *ctx)\n{\n"
                "    seed003_p2m_free_subtree(p2m, entry, ctx->level);  /* seed 003 takes the level */\n}\n"),
        },
        rewrites=(("P2M_PAGETABLE_ENTRIES(", "PTPROVE_SEED_P2M_PAGETABLE_ENTRIES(",
                   "its era's P2M_PAGETABLE_ENTRIES(lvl) took the level alone, the root level being the "
                   "global gstage_root_level (seed 003's context), the detected mode's: here "
                   "max_gstage_mode's, which the driver makes the domain's"),),
        preamble=((_ENTRIES, "seed 003's P2M_PAGETABLE_ENTRIES(lvl): 4 times a table's entries at the root level"),),
    )


def seed_004(seeds: Path = SEEDS) -> Seed:
    """Seed 004 (Re: [PATCH v2 15/17] superpage splitting, quoted) on v5's p2m.c."""
    return Seed(
        path=seeds / "004_1c35fef42a594b3f.txt", label="seed 004", target=P2M_C,
        functions=("p2m_split_superpage",),
        renamed={"p2m_split_superpage": "seed004_p2m_split_superpage"},
        adapters={"p2m_split_superpage": (
            "static bool p2m_split_superpage(struct p2m_domain *p2m, pte_t *entry,\n"
            "                                unsigned int level, unsigned int target,\n"
            "                                const unsigned int *offsets,\n"
            "                                struct page_info *tbl_pg)\n{\n"
            "    (void)tbl_pg;  /* v2 has no types outside the PTE: no parent metadata to read */\n"
            "    return seed004_p2m_split_superpage(p2m, entry, level, target, offsets);\n}\n")},
        rewrites=(
            ("p2me_is_superpage(p2m, *entry, level)", "pte_is_superpage(*entry, level)",
             "v2's p2me_is_superpage took the p2m; seed 003 (its changes in V3) replaces it by pte_is_superpage"),
            ("p2m_alloc_page(p2m->domain)", "seed004_p2m_alloc_page(p2m->domain)",
             "v2's p2m_alloc_page took the domain and left the page list to its caller (the seed's "
             "page_list_add after it), where upstream's p2m_alloc_page(p2m) lists the page itself"),
            ("XEN_PT_ENTRIES", "PAGETABLE_ENTRIES",
             "a table's entries, the root's 2 extra bits not counted (seed 003's changes in V4)"),
            ("page_to_p2m_table(p2m, page)", "page_to_p2m_table(page)",
             "upstream's page_to_p2m_table takes the page only"),
            ("p2m->clean_pte", "p2m->clean_dcache", "the field's upstream name"),
        ),
        preamble=((
            "static struct page_info *seed004_p2m_alloc_page(struct domain *d)\n{\n"
            "    struct page_info *pg = paging_alloc_page(d);\n\n"
            "    if ( pg )\n"
            "        clear_and_clean_page(pg, p2m_get_hostp2m(d)->clean_dcache);\n\n"
            "    return pg;\n}",
            "v2's p2m_alloc_page(d): upstream's without the page_list_add the seed's caller does"),),
        lines=(("p2m_set_entry", "for ( ; level > target; level-- )", "for ( ; level < target; level++ )",
                "its __p2m_set_entry hunk's descent after the split, which model/riscv/p2m_v2.py "
                "descend_after_split follows"),),
        tails={"p2m_split_superpage": 2},  # `return rv;` `}`: the reply stops after p2m_write_pte
    )


#: version -> the seeds spliced into upstream's p2m.c, in order
SPLICED = {"riscv-p2m-v5": (seed_003,), "riscv-p2m-v2": (seed_003, seed_004)}


def spliced_p2m_c(version: str, upstream_p2m_c: Path, dest: Path,
                  seeds: Path = SEEDS) -> Optional[tuple[Path, str]]:
    """(dest/<version>/p2m.c, what it is) for a spliced version, or None when the
    upstream p2m.c or a seed is not at hand."""
    parts = [f(seeds) for f in SPLICED[version]]
    if not upstream_p2m_c.is_file() or not all(s.path.is_file() for s in parts):
        return None
    return write_splice(upstream_p2m_c, parts, dest / version)
