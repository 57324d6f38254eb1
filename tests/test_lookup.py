"""`vmap-to-mfn` (proofs/systems/riscv_pt/lookup.py): upstream's vmap_to_mfn returns
pte_to_paddr of the leaf pt_walk finds, which is not the frame the MMU translates the
address to inside a superpage (no offset) nor for a WC leaf (PBMT's bit 61 lands in the
MFN); a 4K leaf without PBMT gives the translation; a model that computes the frame
as the MMU does proves the query (it can be proved, and so its violation is the C's)."""
from __future__ import annotations

import pytest

from model.memory import Memory
from model.riscv.pte import PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_WC, PTE_PPN_SHIFT, PTE_TABLE
from model.term import TRUE, bv
from proofs.engine import solver as smt
from proofs.engine.result import PROVED, VIOLATED
from proofs.engine.settings import Settings
from proofs.systems.riscv_pt.lookup import VMAP_TO_MFN, lookup
from tests.helpers import variant

ROOT, L1, L0 = 0x1000, 0x2000, 0x3000


def _tables(*cells) -> Memory:
    mem = Memory.zero()
    for f, i, e in cells:
        mem = mem.write(TRUE, bv(f, 44), bv(i, 9), bv(e, 64))
    return mem


def _leaf(mfn: int, flags: int) -> int:
    return (mfn << PTE_PPN_SHIFT) | flags


def _lookup(mem: Memory, va: int) -> tuple[bool, bool, int, int]:
    mapped, bug, mfn, ppn, _ = lookup(variant("riscv-pt-upstream"), mem, bv(va, 64))
    return bool(mapped), bool(bug), int(mfn), int(ppn)


def test_a_4k_leaf_gives_its_translation():
    mem = _tables((ROOT, 0, _leaf(L1, PTE_TABLE)), (L1, 0, _leaf(L0, PTE_TABLE)),
                  (L0, 5, _leaf(0x80123, PAGE_HYPERVISOR_RW)))
    assert _lookup(mem, 5 << 12) == (True, False, 0x80123, 0x80123)


def test_inside_a_2m_superpage_vmap_to_mfn_returns_the_superpage_s_first_frame():
    mem = _tables((ROOT, 0, _leaf(L1, PTE_TABLE)), (L1, 1, _leaf(0x80200, PAGE_HYPERVISOR_RW)))
    va = (1 << 21) + (7 << 12)  # the 8th page of the 2M leaf
    assert _lookup(mem, va) == (True, False, 0x80200, 0x80207)


def test_a_wc_leaf_puts_pbmt_s_bit_61_into_the_mfn():
    mem = _tables((ROOT, 0, _leaf(L1, PTE_TABLE)), (L1, 0, _leaf(L0, PTE_TABLE)),
                  (L0, 5, _leaf(0x80123, PAGE_HYPERVISOR_WC)))
    assert _lookup(mem, 5 << 12) == (True, False, 0x80123 | 1 << 51, 0x80123)


def _decide(cls) -> list[str]:
    ask = lambda f: smt.check(f.node(), "z3", 60_000, None)  # noqa: E731
    return [m.decide(ask)[0] for m in VMAP_TO_MFN.members(cls, Settings())]


def test_upstream_is_violated_at_every_leaf_level_and_v9_has_no_lookup():
    assert _decide(type(variant("riscv-pt-upstream"))) == [VIOLATED] * 3
    assert _decide(type(variant("riscv-pt-v9"))) == []


def test_a_lookup_that_adds_the_offset_and_masks_the_ppn_proves_it():
    base = type(variant("riscv-pt-upstream"))

    class Fixed(base):  # what the MMU computes: PPN bits only, plus va's pages inside the leaf
        def vmap_to_mfn(self, x, g, va):
            entry, level = self.pt_walk(x, g, va)
            ppn = entry.bits(53, PTE_PPN_SHIFT).zext(64)
            offset = (va >> 12) & ((bv(1, 64) << (level.zext(64) * 9)) - 1)
            return ~self.pte_is_mapping(entry), ppn + offset

    assert _decide(Fixed) == [PROVED] * 3


@pytest.mark.parametrize("level", [0, 1, 2])
def test_each_counterexample_reproduces_and_names_its_level(level):
    ask = lambda f: smt.check(f.node(), "z3", 60_000, None)  # noqa: E731
    m = VMAP_TO_MFN.members(type(variant("riscv-pt-upstream")), Settings())[level]
    verdict, cex, *_ = m.decide(ask)
    assert verdict == VIOLATED and cex["leaf_level"] == level
    assert cex["vmap_to_mfn"] != cex["translation_mfn"] and cex["bug_on"] is False


def _upstream_tree():
    from needs import require, shared_dir

    tree = shared_dir() / "xen" / "upstream"
    require((tree / "xen/arch/riscv/pt.c").is_file(), f"{tree} has no riscv pt.c")
    return tree


def test_each_counterexample_runs_on_the_compiled_pt_c_and_its_vmap_to_mfn_agrees():
    """The C harness puts the counterexample's entries in its tables and calls the tree's own
    vmap_to_mfn (asm/mm.h) over pt.c's pt_walk: upstream's C returns what the model says."""
    ask = lambda f: smt.check(f.node(), "z3", 60_000, None)  # noqa: E731
    settings = Settings(xen_src=str(_upstream_tree().parent))
    for m in VMAP_TO_MFN.members(type(variant("riscv-pt-upstream")), settings):
        verdict, cex, *_ = m.decide(ask)
        assert verdict == VIOLATED
        assert cex["on_c"]["vmap_to_mfn"] == cex["vmap_to_mfn"] != cex["translation_mfn"], cex


def test_a_c_lookup_that_differs_from_the_model_is_a_fidelity_failure(tmp_path):
    """A tree whose asm/mm.h vmap_to_mfn adds a page: the model (upstream's reading) and the
    compiled C then disagree on the counterexample, which is not reported as confirmed."""
    import shutil

    from proofs.engine.step import ReplayError

    trees = tmp_path / "xen-trees"  # laid out as ../shared/xen is: upstream/xen/arch/...
    tree = trees / "upstream"
    shutil.copytree(_upstream_tree(), tree)
    mm = tree / "xen/arch/riscv/include/asm/mm.h"
    text = mm.read_text()
    assert "maddr_to_mfn(pte_to_paddr(__entry));" in text
    mm.write_text(text.replace("maddr_to_mfn(pte_to_paddr(__entry));",
                               "maddr_to_mfn(pte_to_paddr(__entry) + PAGE_SIZE);"))
    ask = lambda f: smt.check(f.node(), "z3", 60_000, None)  # noqa: E731
    m = VMAP_TO_MFN.members(type(variant("riscv-pt-upstream")), Settings(xen_src=str(trees)))[2]
    with pytest.raises(ReplayError, match="fidelity"):
        m.decide(ask)
