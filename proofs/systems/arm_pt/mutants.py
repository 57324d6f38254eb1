"""Mutations of Arm's xen_pt_update (`model/arm/pt.py`).

Judged through the system's own `run_system` (proofs/mutation_system.py): each
mutant runs every arm-pt obligation and is compared with its base's results.
The base is arm-pt-rfc, which proves `tlb` and `lemma-idle` (upstream already
violates both through the contiguous hint, so a flush mutant there is masked).
"""
from __future__ import annotations

from proofs.mutant import Mutation, mutation_decorator

RFC = "arm-pt-rfc"
MUTATIONS: list[Mutation] = []
mutation = mutation_decorator(MUTATIONS, (RFC,))


@mutation("flush_args", "flush_xen_tlb_range_va(virt, PAGE_SIZE * (nr_mfns - 1)): the flush one page short")
def flush_one_page_short(self, s):
    return s.start << 12, (s.nr - 1) << 12


@mutation("flush_args", "flush_xen_tlb_range_va(virt + PAGE_SIZE, PAGE_SIZE * nr_mfns): the range one page off")
def flush_range_shifted(self, s):
    return (s.start + 1) << 12, s.nr << 12


@mutation("create_xen_table", "the page create_xen_table cleared stays mapped (no xen_unmap_table)",
          bases=(RFC, "arm-pt-upstream"))
def create_xen_table_no_unmap(self, x, g, table, off, level):
    ok = self.unmutated.create_xen_table(self, x, g, table, off, level)
    x.map_table(g & ok)
    return ok
