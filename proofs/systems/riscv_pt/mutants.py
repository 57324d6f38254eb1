"""Mutations of the RISC-V hypervisor page-table model (pt.c, asm/page.h).

Each function below is the override one mutant puts in place of the model
method named in its decorator; `self.unmutated` is the base version's class,
so most mutations wrap the real code and change one decision.  Ids read as
`<function>-<change>`.  The survivors' reasons were found by running
`make mutants`, not assumed.
"""
from __future__ import annotations

from model.riscv.machine import (EINVAL, EOPNOTSUPP, INVALID_MFN, LEVEL_BITS, PC_IDLE, Exec, level_pages,
                                  rc_word)
from model.riscv.pte import (PAGE_SHIFT, PAGETABLE_ORDER, PTE_ACCESSED, PTE_DIRTY, PTE_PBMT_MASK,
                             PTE_POPULATE, PTE_READABLE, PTE_SMALL, PTE_TABLE,
                             PTE_VALID)
from model.term import FALSE, TRUE, Bool, Word, bv, ite
from proofs.mutant import Mutation, mutation_decorator

UP, V9, V5 = "riscv-pt-upstream", "riscv-pt-v9", "riscv-pt-v5"
BOTH = (UP, V9)
ALL = (UP, V9, V5)
MUTATIONS: list[Mutation] = []
mutation = mutation_decorator(MUTATIONS, (UP,))


MODIFY, INSERT, REMOVE = range(3)


def _request(mfn: Word, flags: Word) -> tuple[Bool, Bool, Bool]:
    """pt_check_entry's (modify, insert, remove) cases of a request."""
    V, invalid = (flags & PTE_VALID).any(), mfn == INVALID_MFN
    return V & invalid, V & ~invalid, ~V & ~(flags & PTE_POPULATE).any()


def _check_case(self, x, g, entry, mfn, flags, case: int, verdict: Bool) -> Bool:
    """pt_check_entry with its answer for one request case replaced by `verdict`."""
    return ite(_request(mfn, flags)[case], verdict,
               self.unmutated.pt_check_entry(self, x, g, entry, mfn, flags))


# -- pt_check_entry: drop a check, swap two branches --------------------------------

@mutation("pt_check_entry", "an insert no longer requires the entry to be invalid", bases=BOTH)
def check_entry_insert_any(self, x, g, entry, mfn, flags):
    return _check_case(self, x, g, entry, mfn, flags, INSERT, TRUE)


@mutation("pt_check_entry", "a modify no longer requires the entry to be valid")
def check_entry_modify_invalid(self, x, g, entry, mfn, flags):
    return _check_case(self, x, g, entry, mfn, flags, MODIFY, ~self.pte_is_table(entry))


@mutation("pt_check_entry", "a modify may turn a table entry into a leaf", bases=BOTH,
          survives={UP: "equivalent on upstream: modify walks to the leaf (96a86ebcf5), so the "
                        "entry it checks is never a table"})
def check_entry_modify_table(self, x, g, entry, mfn, flags):
    return _check_case(self, x, g, entry, mfn, flags, MODIFY, self.pte_is_valid(entry))


@mutation("pt_check_entry", "a remove may clear a table entry", bases=BOTH,
          survives={UP: "equivalent on upstream: destroy walks to the leaf (96a86ebcf5), so the "
                        "entry it checks is never a table"})
def check_entry_remove_table(self, x, g, entry, mfn, flags):
    return _check_case(self, x, g, entry, mfn, flags, REMOVE, TRUE)


@mutation("pt_check_entry", "the insert and modify branches swapped")
def check_entry_swap_insert_modify(self, x, g, entry, mfn, flags):
    valid, table = self.pte_is_valid(entry), self.pte_is_table(entry)
    swapped = _check_case(self, x, g, entry, mfn, flags, INSERT, valid & ~table)
    return ite(_request(mfn, flags)[MODIFY], ~valid, swapped)


# -- PTE helpers (asm/page.h) -------------------------------------------------------

@mutation("pte_is_table", "pte_is_table tests V only, not V with R=W=X=0")
def pte_is_table_valid_only(self, pte):
    return (pte & PTE_VALID).any()


@mutation("pte_is_mapping", "pte_is_mapping tests W|X, not R|W|X (v5's bug)")
def pte_is_mapping_wx_only(self, pte):
    return self.unmutated.pte_is_mapping(self, pte & ~PTE_READABLE)


@mutation("pte_is_valid", "pte_is_valid tests pte != 0, not the V bit", bases=(UP,))
def pte_is_valid_nonzero(self, pte):
    return pte != 0


@mutation("pte_assert", "the (V|R|W) != (V|W) ASSERT dropped", bases=(UP,),
          survives="equivalent: Xen never writes a V|W entry (`reserved` is proved), so the "
                   "ASSERT never fires on a reachable state")
def pte_assert_dropped(self, pte):
    return TRUE


@mutation("mfn_from_pte", "the PPN read one bit too high (>> 11)")
def mfn_from_pte_shift_off_by_one(self, pte):
    return self.unmutated.mfn_from_pte(self, pte >> 1)


@mutation("pte_from_mfn", "the PPN written at bit 12 (PAGE_SHIFT) instead of bit 10")
def pte_from_mfn_page_shift(self, mfn, flags):
    return (mfn << PAGE_SHIFT) | flags


# -- table creation and the walk --------------------------------------------------

@mutation("create_table", "the new table page is linked with R set (a leaf, not a pointer)")
def create_table_readable(self, x: Exec, g, table, offset, level):
    ok, mfn = x.alloc(g, level - 1, (table, offset))
    x.clear(g & ok, mfn)
    x.write(g & ok, table, offset, level, self.pte_from_mfn(mfn.zext(64), PTE_TABLE | PTE_READABLE),
            "create_table")
    return ok


@mutation("create_table", "the new table page is not cleared before it is linked")
def create_table_no_clear(self, x: Exec, g, table, offset, level):
    ok, mfn = x.alloc(g, level - 1, (table, offset))
    x.write(g & ok, table, offset, level, self.pte_from_mfn(mfn.zext(64), PTE_TABLE), "create_table")
    return ok


@mutation("create_table", "the allocation failure not checked: the entry is written anyway")
def create_table_ignores_nomem(self, x: Exec, g, table, offset, level):
    ok, mfn = x.alloc(g, level - 1, (table, offset))
    x.clear(g & ok, mfn)
    x.write(g, table, offset, level, self.pte_from_mfn(mfn.zext(64), PTE_TABLE), "create_table")
    return ok


@mutation("alloc_tbl", "alloc_tbl inverted (v5's sense)", bases=BOTH)
def alloc_tbl_inverted(self, mfn, flags):
    return ~self.unmutated.alloc_tbl(self, mfn, flags)


@mutation("alloc_tbl", "missing tables are created for every operation, remove included",
          survives={UP: "equivalent on upstream: destroy and modify walk to the leaf (_pt_walk, "
                        "96a86ebcf5) and never consult alloc_tbl"},
          bases=BOTH)
def alloc_tbl_always(self, mfn, flags):
    return TRUE


@mutation("pt_next_level", "a superpage is walked into as if it were a table (branches swapped)", bases=BOTH)
def next_level_super_as_normal(self, x, g, alloc_tbl, table, offset, level):
    ret, nxt = self.unmutated.pt_next_level(self, x, g, alloc_tbl, table, offset, level)
    return ite(ret == self.XEN_TABLE_SUPER_PAGE, bv(self.XEN_TABLE_NORMAL, 2), ret), nxt


@mutation("next_level_rc", "a failed allocation (MAP_NOMEM) returns 0 instead of -ENOMEM")
def next_level_rc_nomem_ok(self, ret, flags):
    leave, rc = self.unmutated.next_level_rc(self, ret, flags)
    return leave, ite(ret == self.XEN_TABLE_MAP_NOMEM, rc_word(0), rc)


@mutation("walk_to_target", "the level != target check dropped: no -EOPNOTSUPP, the entry "
          "found at the higher level is updated", bases=BOTH)
def walk_to_target_no_shatter_check(self, x, g, va, target, alloc_tbl, flags):
    out, rc, ptep = self.unmutated.walk_to_target(self, x, g, va, target, alloc_tbl, flags)
    shatter = out & (rc == rc_word(-EOPNOTSUPP))
    return out & ~shatter, ite(shatter, rc_word(0), rc), ptep


@mutation("offset_at", "the table index taken from the level above (off by one)", bases=BOTH)
def offset_at_level_off_by_one(self, va, level):
    return self.unmutated.offset_at(self, va, level + 1)


@mutation("_pt_walk", "the walk to the leaf reports one level below the one it stopped at",
          bases=(UP,),
          survives="masked: only destroy and modify walk to the leaf, and upstream already "
                   "fails footprint, functional and lemma-progress for both; the level only "
                   "sizes the loop's step, which no obligation the base proves there reads")
def pt_walk_level_off_by_one(self, x, g, va):
    table, idx, level = self.unmutated._pt_walk(self, x, g, va)
    return table, idx, ite(level == 0, level, level - 1)


# -- the new entry (pt_update_entry) -------------------------------------------------

@mutation("modified_base", "modify ORs the new R/W/X into the old ones instead of clear-then-set", bases=BOTH)
def modified_base_ors(self, entry):
    return entry


@mutation("pt_update_entry_pte", "the new leaf without A and D set")
def update_entry_no_ad(self, entry, mfn, flags):
    return self.unmutated.pt_update_entry_pte(self, entry, mfn, flags) & ~(PTE_ACCESSED | PTE_DIRTY)


@mutation("pt_update_entry_pte", "PBMT not taken from the flags (b3d5fad63a reverted)", bases=(UP,))
def update_entry_drops_pbmt(self, entry, mfn, flags):
    pte = self.unmutated.pt_update_entry_pte(self, entry, mfn, flags)
    kept = ite(mfn == INVALID_MFN, entry & PTE_PBMT_MASK, bv(0, 64))  # modify keeps, insert zeroes
    return ite((flags & PTE_VALID).any(), (pte & ~PTE_PBMT_MASK) | kept, pte)


@mutation("pt_update_entry_pte", "a remove clears only V and keeps the rest of the entry",
          survives="equivalent for every stated invariant: an entry with V clear translates "
                   "nothing whatever its other bits")
def update_entry_remove_keeps_bits(self, entry, mfn, flags):
    pte = self.unmutated.pt_update_entry_pte(self, entry, mfn, flags)
    return ite((flags & PTE_VALID).any(), pte, entry & ~PTE_VALID)


@mutation("pt_update_entry", "the level it reports (the loop's step) one below the level it wrote",
          bases=BOTH)
def update_entry_level_off_by_one(self, x, g, virt, mfn, target, flags):
    rc, level = self.unmutated.pt_update_entry(self, x, g, virt, mfn, target, flags)
    return rc, ite(level == 0, level, level - 1)


# -- pt_mapping_level: the order of a chunk ------------------------------------------

def _mapping_level(self, vfn: Word, mfn: Word, nr: Word, flags: Word, align: int = 0,
                   need: int = 0, with_mfn: bool = True, small: bool = True) -> Word:
    """pt_mapping_level with knobs: `align`/`need` shift the alignment and size
    tests by that many pages' order, `with_mfn` drops the mfn from the alignment
    test, `small` drops the PTE_SMALL test."""
    mask = (ite(mfn != INVALID_MFN, mfn, bv(0, 64)) if with_mfn else bv(0, 64)) | vfn
    level = bv(0, LEVEL_BITS)
    for i in range(1, self.ROOT_LEVEL + 1):
        order = PAGETABLE_ORDER * i
        fits = ((mask & ((1 << (order + align)) - 1)) == 0) & (nr >= (1 << order) + need)
        level = ite(fits, bv(i, LEVEL_BITS), level)
    return ite((flags & PTE_SMALL).any() if small else FALSE, bv(0, LEVEL_BITS), level)


@mutation("pt_mapping_level", "the alignment test one bit short (order - 1)", bases=BOTH)
def mapping_level_align_off_by_one(self, vfn, mfn, nr, flags):
    return _mapping_level(self, vfn, mfn, nr, flags, align=-1)


@mutation("pt_mapping_level", "a superpage chosen when one page short of its size (nr >= 2^order - 1)",
          bases=BOTH,
          survives={V9: "caught by v9's own ASSERT(left >= BIT(order)): the step halts (a debug "
                        "build stops there) and a halted step is not judged"})
def mapping_level_size_off_by_one(self, vfn, mfn, nr, flags):
    return _mapping_level(self, vfn, mfn, nr, flags, need=-1)


@mutation("pt_mapping_level", "the alignment test skips the mfn (virtual address only)")
def mapping_level_skips_mfn_alignment(self, vfn, mfn, nr, flags):
    return _mapping_level(self, vfn, mfn, nr, flags, with_mfn=False)


@mutation("pt_mapping_level", "PTE_SMALL ignored: superpages even when 4K was asked for")
def mapping_level_ignores_small(self, vfn, mfn, nr, flags):
    return _mapping_level(self, vfn, mfn, nr, flags, small=False)


@mutation("pt_mapping_level", "one level too high whenever a superpage fits")
def mapping_level_plus_one(self, vfn, mfn, nr, flags):
    level = self.unmutated.pt_mapping_level(self, vfn, mfn, nr, flags)
    return ite((level != 0) & (level < self.ROOT_LEVEL), level + 1, level)


@mutation("pt_mapping_level", "never a top-level (1G) superpage",
          survives="equivalent: only the page size changes (a 1G range mapped as 2M pages)")
def mapping_level_no_top(self, vfn, mfn, nr, flags):
    level = self.unmutated.pt_mapping_level(self, vfn, mfn, nr, flags)
    return ite(level == self.ROOT_LEVEL, bv(self.ROOT_LEVEL - 1, LEVEL_BITS), level)


@mutation("iteration_target", "every operation sized by pt_mapping_level (96a86ebcf5 reverted)",
          bases=(UP,))
def iteration_target_always_mapping_level(self, x, g):
    s = x.state
    return self.pt_mapping_level(s.vfn, s.mfn, s.left, s.flags)


@mutation("iteration_target", "ASSERT(left >= BIT(order)) dropped", bases=(V9,),
          survives="equivalent: pt_mapping_level never picks an order larger than left")
def iteration_target_no_left_assert(self, x, g):
    s = x.state
    return self.pt_mapping_level(s.vfn, s.mfn, s.left, s.flags)


# -- the loop advance ------------------------------------------------------------------

@mutation("advance", "the loop advances by the next level's size (order off by one)", bases=BOTH)
def advance_order_off_by_one(self, x, g, level):
    self.unmutated.advance(self, x, g, level + 1)


@mutation("advance", "the loop always advances by one page")
def advance_one_page(self, x, g, level):
    self.unmutated.advance(self, x, g, bv(0, LEVEL_BITS))


@mutation("advance", "mfn not advanced: every chunk maps the first frame")
def advance_keeps_mfn(self, x, g, level):
    s = x.state
    x.set(g, vfn=s.vfn + level_pages(level, self.LEVELS))


# -- pt_update's checks and the flush --------------------------------------------------

@mutation("pt_update_prologue", "the W+X refusal dropped")
def prologue_no_wx_check(self, virt, flags):
    return ite((virt & ((1 << PAGE_SHIFT) - 1)) != 0, rc_word(-EINVAL), rc_word(0))


@mutation("pt_update_prologue", "the alignment test on virt dropped")
def prologue_no_align_check(self, virt, flags):
    return self.unmutated.pt_update_prologue(self, virt & ~((1 << PAGE_SHIFT) - 1), flags)


@mutation("pt_update_epilogue", "the fence and flush_tlb_range_va(0, 0) skipped at return", bases=BOTH)
def epilogue_no_flush(self, x, g, rc):
    x.set(g, pc=bv(PC_IDLE, 2), rc=rc)


@mutation("flush_args", "flush_tlb_range_va(virt, PAGE_SIZE): one page flushed, not the whole space",
          bases=ALL)
def flush_one_page(self, s):
    return s.start << PAGE_SHIFT, bv(1 << PAGE_SHIFT, 64)


@mutation("flush_args", "flush_tlb_range_va(virt, nr << PAGE_SHIFT): the request's range only", bases=ALL)
def flush_request_range(self, s):
    return s.start << PAGE_SHIFT, s.nr << PAGE_SHIFT


@mutation("pt_update_epilogue", "the loop's rc dropped at return: a failed call returns 0", bases=BOTH)
def epilogue_returns_zero(self, x, g, rc):
    self.unmutated.pt_update_epilogue(self, x, g, rc_word(0))


@mutation("pt_update_entry", "pt_check_entry's refusal returns EINVAL, not -EINVAL (a positive rc)")
def update_entry_positive_errno(self, x, g, virt, mfn, target, flags):
    rc, level = self.unmutated.pt_update_entry(self, x, g, virt, mfn, target, flags)
    return ite(rc == rc_word(-EINVAL), rc_word(EINVAL), rc), level


@mutation("pt_next_level_missing", "create_table's failure unchecked: MAP_NOMEM never returned, "
          "the walk goes on through the entry it could not link", bases=BOTH)
def next_level_unchecked_alloc(self, x, g, alloc_tbl, table, offset, level):
    none, _ = self.unmutated.pt_next_level_missing(self, x, g, alloc_tbl, table, offset, level)
    return none, FALSE


# -- the public wrappers -----------------------------------------------------------------

@mutation("map_pages_to_xen", "the ASSERT with || (v5): INVALID_MFN reaches the modify path")
def map_assert_or(self, virt, mfn, nr, flags):
    _, early, args = self.unmutated.map_pages_to_xen(self, virt, mfn, nr, flags)
    return (mfn != INVALID_MFN) | (flags & PTE_VALID).any(), early, args


@mutation("destroy_xen_mappings", "the page-alignment ASSERT dropped",
          survives="equivalent: pt_update shifts s and e by PAGE_SHIFT, so an unaligned range "
                   "acts on whole pages inside the contract's range")
def destroy_no_align_assert(self, s, e):
    _, early, args = self.unmutated.destroy_xen_mappings(self, s, e)
    return TRUE, early, args


@mutation("populate_pt_range", "populate passes flags 0 (a remove) instead of PTE_POPULATE")
def populate_flags_zero(self, virt, nr):
    ok, early, (v, mfn, n, _) = self.unmutated.populate_pt_range(self, virt, nr)
    return ok, early, (v, mfn, n, bv(0, 64))


@mutation("destroy_xen_mappings", "the s < e test off by one (s <= e): destroy(s, s) returns 0")
def destroy_empty_ok(self, s, e):
    ok, early, args = self.unmutated.destroy_xen_mappings(self, s, e)
    return ok, ite(s <= e, rc_word(0), early), args


# -- map_table / unmap_table: a mapping left behind ------------------------------------

@mutation("pt_update_entry_out", "the exit unmaps `ptep`, still NULL when the walk to an explicit "
          "target leaves early (upstream's _pt_walk refactor, put on v9)", bases=(V9,))
def update_entry_out_ptep(self, x, g, out):
    x.unmap_table(g, null=out)


@mutation("create_table", "the page create_table cleared stays mapped (no unmap_table)", bases=(V9,))
def create_table_no_unmap(self, x, g, table, offset, level):
    ok = self.unmutated.create_table(self, x, g, table, offset, level)
    x.map_table(g & ok)
    return ok
