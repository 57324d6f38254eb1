"""Mutations of the RISC-V p2m (G-stage) model (`model/riscv/p2m_upstream.py`).

Judged through the p2m system's own `run_system` (proofs/mutation_system.py):
each mutant runs every p2m obligation and is compared with upstream's results.
"""
from __future__ import annotations

from model.riscv.p2m_state import CURRENT_HART, NO_MD, NR_HARTS
from model.riscv.p2m_upstream import ENOMEM, NORMAL, SUPER_PAGE, rc
from model.term import bv, ite
from proofs.mutant import Mutation, mutation_decorator

UP = "riscv-p2m-upstream"
MUTATIONS: list[Mutation] = []
mutation = mutation_decorator(MUTATIONS, (UP,))


@mutation("free_table_below", "free before flush: the table page is freed, then the TLB flushed")
def free_table_before_flush(self, st, g, e, level):
    if level == 0 or (g.is_concrete and not g.v):
        return st
    child = self.pte_page(e)
    for i in range(st.geo.entries):
        st = self.p2m_free_subtree(st, g, st.read(child, bv(i, 16)), level - 1, child, bv(i, 16))
    return self.p2m_tlb_flush_sync(self.p2m_free_table(st, g, child), g)


@mutation("p2m_put_page", "the reference put forgotten when a foreign leaf goes away")
def put_page_forgotten(self, st, g, e, level, t):
    return st


@mutation("split_child", "split off by one: child i maps the frames of child i + 1")
def split_child_off_by_one(self, e, mfn, i, order, next_level):
    return self.unmutated.split_child(self, e, mfn, i + 1, order, next_level)


@mutation("p2m_tlb_flush_sync", "p2m_tlb_flush_sync does nothing (no flush at unlock or before a free)")
def flush_sync_skipped(self, st, g):
    return st


@mutation("flush_mask", "p2m_tlb_flush fences cpumask_of(smp_processor_id()), not d->dirty_cpumask: "
          "the other harts the domain ran on keep its old translations")
def flush_current_hart_only(self, st):
    return bv(1 << CURRENT_HART, NR_HARTS)


@mutation("install_split", "need_flush not set after the superpage is replaced by its split table",
          survives="likely equivalent (from the run, not proved): the split table translates as "
                   "the superpage did (split-preserves) and the update that follows in the same "
                   "call sets need_flush")
def install_split_no_need_flush(self, st, g, page, idx, split_pte):
    return self.write_pte(st, g, page, idx, split_pte)


@mutation("split_alloc_failed", "a failed split leaves *entry as it was, so the caller frees "
          "the live superpage's subtree",
          survives="masked: the effect is a reference put on a still-mapped foreign superpage, "
                   "which `refcount` would catch, but upstream already fails refcount for every "
                   "call shape")
def split_alloc_failed_keeps_entry(self, e):
    return e


@mutation("p2m_free_table", "p2m_free_table never returns the page to the pool (a leak)")
def free_table_leaks(self, st, g, page):
    return st


@mutation("p2m_next_level", "a superpage is walked into as if it were a table (no split)")
def next_level_super_as_table(self, st, g, alloc, level, page, idx, oracle):
    st, res, nxt = self.unmutated.p2m_next_level(self, st, g, alloc, level, page, idx, oracle)
    return st, ite(res == SUPER_PAGE, bv(NORMAL, 2), res), nxt


@mutation("set_entry_split", "a wrong return value: __p2m_set_entry returns 0 when the split "
          "of a superpage fails (the range is left as it was)", bases=("arm-p2m-upstream",))
def split_failure_returns_0(self, st, g, level, target, page, gfn, mfn, t, oracle):
    st, r = self.unmutated.set_entry_split(self, st, g, level, target, page, gfn, mfn, t, oracle)
    return st, ite(r == rc(-ENOMEM), rc(0), r)


@mutation("p2m_set_type", "an unchecked metadata allocation: p2m_set_type uses the page "
          "p2m_alloc_page did not give (no NULL check, no domain_crash)")
def metadata_allocation_unchecked(self, st, g, e, t, page, idx, oracle):
    if g.is_concrete and not g.v:
        return st, e
    need = g & (st.md_of(page) == NO_MD) & (t >= self.FIRST_EXTERNAL)
    st, got, mdp = self.p2m_alloc_page(st, need, oracle)
    # the failed allocation's page is taken as the metadata page all the same
    st = st.set_md_page(need & ~got, page, mdp)
    return self.unmutated.p2m_set_type(self, st, g, e, t, page, idx, oracle)
