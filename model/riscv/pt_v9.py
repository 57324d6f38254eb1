"""`riscv-pt-v9`: the first merged version, xen-project/xen commit 557b7f1b9a.

Differs from upstream only where later commits changed the code:
96a86ebcf5 (modify/remove walk to the leaf; the ASSERT on `left` dropped) and
b3d5fad63a (PBMT taken from the flags).  `destroy_xen_mappings` (0eb8b71604)
and `populate_pt_range` (6b71d4f849) came later; this version is driven through
them as upstream defines them, over its own pt_update.

v9's `pt_update_entry` takes the target level by value and always walks to it;
that is exactly upstream's explicit-level branch (`walk_to_target`), and the
walk-to-leaf branch is never taken here because `iteration_target` never asks
for level CONFIG_PAGING_LEVELS.  The same holds for `riscv-pt-v5`.
"""
from __future__ import annotations

from model.cite import follows
from model.riscv.machine import Exec, level_pages
from model.riscv.pt_upstream import RiscvPtUpstream
from model.riscv.pte import PTE_ACCESS_MASK
from model.term import Bool, Word

V9 = "xen-project/xen@557b7f1b9a xen/arch/riscv/pt.c"


class RiscvPtV9(RiscvPtUpstream):
    name = "riscv-pt-v9"
    source = "xen-project/xen@557b7f1b9a (v9 of 'xen/riscv: page table handling', as merged)"

    UPDATE_ATTRS = PTE_ACCESS_MASK  # before b3d5fad63a: no PBMT
    FLAG_PRESETS = RiscvPtUpstream.FLAG_PRESETS[:3]  # RO, RW, RX: no PBMT presets yet
    FLAGS_BITS = 32  # `unsigned int flags` (map_pages_to_xen, pt_update; so in v5)

    @follows(V9, "pt_update (level of an iteration)",
             note="pt_mapping_level for every operation, then ASSERT(left >= BIT(order))")
    def iteration_target(self, x: Exec, g: Bool) -> Word:
        s = x.state
        level = self.pt_mapping_level(s.vfn, s.mfn, s.left, s.flags)
        x.assert_(g, s.left >= level_pages(level, self.LEVELS), "pt_update: ASSERT(left >= BIT(order, UL))")
        return level

    @follows(V9, "pt_update_entry (out: unmap_table(table))",
             note="v9 unmaps the table it walked to, on every path (upstream's _pt_walk "
                  "refactor unmaps ptep, NULL on the early exits)", stmt="out: unmap_table(table);")
    def pt_update_entry_out(self, x: Exec, g: Bool, out: Bool) -> None:
        x.unmap_table(g)
