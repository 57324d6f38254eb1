"""Refinement of RISC-V p2m.c: each unit as lifted C against the upstream p2m model,
and one-line mutants of the C (or the model) that each unit must refute."""
from __future__ import annotations

from pathlib import Path

import pytest

from needs import require

from model.c.ir import UnsupportedIR
from proofs.engine.result import PROVED, VIOLATED
from proofs.refine import p2m as P
from proofs.refine.check import prove

VERSION = "riscv-p2m-upstream"


@pytest.fixture(scope="module")
def upstream():
    if not P.UPSTREAM_P2M_C.is_file():
        require(False, "../shared/xen/upstream (the p2m.c the model follows) is not here")
    return P.setup_for(VERSION, P.UPSTREAM_P2M_C)


def unit(setup, name: str):
    return next(o for o in P.obligations(setup) if o.operation == name)


def mutant(tmp_path: Path, old: str, new: str):
    """upstream p2m.c with `old` (found exactly once) replaced by `new`, lifted."""
    text = P.UPSTREAM_P2M_C.read_text()
    assert text.count(old) == 1, old
    d = tmp_path / "xen" / "arch" / "riscv"
    d.mkdir(parents=True)
    (d / "p2m.c").write_text(text.replace(old, new))
    return P.setup_for(VERSION, d / "p2m.c")


FAST = ["p2m_set_permission", "page_to_p2m_table", "p2m_get_type", "p2m_put_page level 0",
        "p2m_put_page level 1", "p2m_put_page level 2", "p2m_free_subtree level 0",
        "p2m_free_subtree level 1"]


@pytest.mark.parametrize("name", FAST)
def test_each_unit_of_upstream_p2m_c_is_what_the_model_does(upstream, name):
    r = prove(upstream, unit(upstream, name))
    assert r.verdict == PROVED and r.vacuity is True, (r.detail, r.counterexample)
    assert r.invariant == "refines" and r.bounds["c_sha256"] and r.bounds["entries_per_table"] == 2
    assert all(c["verdict"] == PROVED for c in r.extra["claims"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["p2m_set_type", "p2m_pte_from_mfn", "p2m_split_superpage level 1 to 0",
                                  "p2m_split_superpage level 2 to 1"])
def test_the_metadata_units_are_what_the_model_does(upstream, name):
    r = prove(upstream, unit(upstream, name))
    assert r.verdict == PROVED and r.vacuity is True, (r.detail, r.counterexample)


def test_freeing_a_root_level_entry_reads_past_the_table_where_the_model_flags_it(upstream):
    """p2m_free_subtree at P2M_ROOT_LEVEL (2 in Sv39x4) loops P2M_PAGETABLE_ENTRIES(p2m, 2)
    = 4 * the entries of the level-1 table its entry names; the model follows that bound and
    flags the entries past the page (ev_oob): the unit proves the C reads there exactly then."""
    r = prove(upstream, unit(upstream, "p2m_free_subtree level 2"))
    assert r.verdict == PROVED and r.vacuity is True, (r.detail, r.counterexample)
    assert "in-bounds" in {c["claim"] for c in r.extra["claims"]}


def test_a_c_whose_free_loop_stays_in_the_table_is_refuted_by_in_bounds(tmp_path, upstream):
    """The breaking case: with the loop bound the table's own (PAGETABLE_ENTRIES) the C reads
    nothing past the page, where the model (following upstream) flags it."""
    setup = mutant(tmp_path, "for ( i = 0; i < P2M_PAGETABLE_ENTRIES(p2m, level); i++ )",
                   "for ( i = 0; i < PAGETABLE_ENTRIES; i++ )")
    r = prove(setup, unit(setup, "p2m_free_subtree level 2"))
    assert r.verdict == VIOLATED
    assert "in-bounds" in {c["claim"] for c in r.extra["claims"] if c["verdict"] == VIOLATED}


# -- mutants: each unit refutes a one-line change with a replayed input -----------------

MUTANTS = [
    ("p2m_set_permission", "e->pte |= PTE_READABLE | PTE_WRITABLE;", "e->pte |= PTE_READABLE;", "pte"),
    ("page_to_p2m_table", "pte_t e = (pte_t) { PTE_VALID };", "pte_t e = (pte_t) { PTE_VALID | PTE_USER };",
     "result"),
    ("p2m_get_type", "type = md[ctx->index].type;", "type = md[0].type;", "result"),
    ("p2m_put_page level 0", "return p2m_put_4k_page(mfn, p2mt);", "return p2m_put_4k_page(mfn, p2m_ram_rw);",
     "refs"),
    ("p2m_put_page level 1", "for ( i = 0; i < PAGETABLE_ENTRIES; i++, pg++ )",
     "for ( i = 1; i < PAGETABLE_ENTRIES; i++, pg++ )", "refs"),
    ("p2m_free_subtree level 1", "    unmap_domain_page(table);\n\n    /*\n     * Make sure all the references",
     "    unmap_domain_page(table); p2m->need_flush = false;\n\n    /*\n     * Make sure all the references",
     "hfence"),
]


@pytest.mark.parametrize("name,old,new,claim", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_a_one_line_mutant_of_the_c_is_refuted_by_its_unit(tmp_path, upstream, name, old, new, claim):
    setup = mutant(tmp_path, old, new)
    r = prove(setup, unit(setup, name))
    assert r.verdict == VIOLATED, name
    failing = {c["claim"] for c in r.extra["claims"] if c["verdict"] == VIOLATED}
    assert claim in failing, failing
    assert "replayed concretely" in r.detail and claim in r.counterexample["replay"]["failing_claims"]


@pytest.mark.slow
def test_a_split_that_keeps_the_superpage_on_failure_is_refuted(tmp_path, upstream):
    setup = mutant(tmp_path, "memset(entry, 0, sizeof(*entry));", "(void)entry;")
    r = prove(setup, unit(setup, "p2m_split_superpage level 1 to 0"))
    assert r.verdict == VIOLATED
    assert "entry" in {c["claim"] for c in r.extra["claims"] if c["verdict"] == VIOLATED}


@pytest.mark.slow
def test_a_metadata_count_mutant_is_refuted_by_p2m_set_type(tmp_path, upstream):
    setup = mutant(tmp_path, "ctx->pt_page->u.md.used_entries++;", "ctx->pt_page->u.md.used_entries += 2;")
    r = prove(setup, unit(setup, "p2m_set_type"))
    assert r.verdict == VIOLATED
    assert "used-entries" in {c["claim"] for c in r.extra["claims"] if c["verdict"] == VIOLATED}


def test_the_model_before_the_put_refs_fix_differs_at_the_top_frame(upstream, monkeypatch):
    """The model once counted a 2M superpage's frames modulo 2^44 (put_refs): at mfn
    0xfffffffffff the C puts mfn + 1 = 0x100000000000, the old model frame 0."""
    from dataclasses import replace

    from model.riscv.p2m_upstream import RiscvP2MUpstream
    from model.term import ite

    def wrapping(self, st, g, first, n):
        hit = g & ((st.watch - first) < n)  # 44-bit: wraps
        return replace(st, refs=ite(hit, st.refs - 1, st.refs))
    monkeypatch.setattr(RiscvP2MUpstream, "put_refs", wrapping)
    r = prove(upstream, unit(upstream, "p2m_put_page level 1"))
    assert r.verdict == VIOLATED
    mfn = (int(r.counterexample["inputs"]["e"], 0) >> 10) & ((1 << 44) - 1)
    watch = int(r.counterexample["inputs"]["watch"], 0)
    assert mfn + 1 == 1 << 44 and watch == 0  # the one frame where 44 and 64 bits differ


def test_a_construct_the_lifter_lacks_is_one_error_line(tmp_path, upstream):
    setup = mutant(tmp_path, "    e->pte |= PTE_USER;", '    e->pte |= PTE_USER; __asm__ volatile("nop");')
    with pytest.raises(UnsupportedIR) as e:
        prove(setup, unit(setup, "p2m_set_permission"))
    assert "inline asm" in str(e.value) and "p2m_set_permission" in str(e.value) and "\n" not in str(e.value)


def test_the_structure_layout_is_read_from_the_ir(upstream):
    lay = P.layout(upstream.lifted)
    assert set(lay) == set(P.LAYOUT) and lay["sizeof page_info"] >= 48 and lay["p2m_domain.lock.writers"] == 0


def test_versions_without_a_whole_p2m_c_say_so_in_one_line(capsys):
    from proofs.engine.settings import Settings
    from proofs.systems.p2m.refines import members
    from proofs.systems.p2m.versions import VERSIONS

    for v in ("riscv-p2m-v5", "riscv-p2m-v2", "arm-p2m-upstream"):
        assert members(VERSIONS[v], Settings()) == []
    err = capsys.readouterr().err.splitlines()
    assert any("partial patch (seed 003)" in ln for ln in err) and any("seed 004" in ln for ln in err)
    assert all(ln.startswith("ptprove: refines: ") for ln in err)


def test_the_root_level_free_on_the_compiled_c_at_full_width(upstream):
    """The same finding as a whole call sequence on p2m.c compiled with the harness at 512
    entries a table: a 4K mapping, then the 1G range removed: freeing the root entry's
    level-1 table reads past its 4 KiB page and frees a page twice."""
    from proofs.c_harness import run_driver
    from proofs.systems.p2m.c_harness import P2MHarness

    h = P2MHarness(str(P.UPSTREAM_P2M_C))
    try:
        out = run_driver(h.binary(9), ["mode 2", "pool 8", "call set 0 0 1000 1 0",
                                       "call set 0 12 ffffffffffffffff 0 0"], h.tmp / "calls.txt", 30)
    finally:
        h.close()
    assert out["calls"][0]["rc"] == 0
    assert out["calls"][1]["stopped"] == "paging_free_page of a page already free"
