"""RISC-V p2m as seed 004 posts it: `[PATCH v2 15/17] superpage splitting` (as posted).

Seed 004 shows p2m_split_superpage and the split branch of __p2m_set_entry.
The rest of v2 (p2m_free_entry, the types in a radix tree) is not in the
seeds: it is taken from v5 (seed 003) and upstream, the nearest versions, and
like v5 this version's callers map RAM and MMIO only.
"""
from __future__ import annotations

from model.cite import follows
from model.riscv.p2m_state import P2MState
from model.riscv.p2m_upstream import NORMAL
from model.riscv.p2m_v5 import RiscvP2MV5
from model.term import TRUE, Bool, Word, ite

SEED_004 = "seed 004_1c35fef42a594b3f.txt"


class RiscvP2MV2(RiscvP2MV5):
    source = "seed 004: [PATCH v2 15/17] xen/riscv: superpage splitting (rest v5/upstream)"

    @follows(SEED_004, "p2m_split_superpage", "`unsigned int i`: `i << level_order` is "
             "computed in 32 bits")
    def split_index(self, i: Word) -> Word:
        return i.zext(32)

    @follows(SEED_004, "p2m_split_superpage", "`if ( !page ) return false;`: *entry keeps the "
             "superpage, so the caller's p2m_free_entry(split_pte) frees the live mapping")
    def split_alloc_failed(self, e: Word) -> Word:
        return e

    @follows(SEED_004, "__p2m_set_entry", "after the split: `for ( ; level < target; level++ )` "
             "(runs zero times: level > target), then entry = table + offsets[level] (upstream)")
    def descend_after_split(self, st: P2MState, g: Bool, level: int, target: int, page: Word,
                            gfn: Word, oracle):
        while level < target:
            st, res, nxt = self.p2m_next_level(st, g, TRUE, level, page,
                                               self.offset(gfn, level), oracle)
            page = ite(res == NORMAL, nxt, page)
            level += 1
        return st, level, page
