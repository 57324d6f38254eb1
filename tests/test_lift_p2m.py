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
from proofs.refine.mutants import P2M_MUTANTS

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


# -- p2m_set_entry and p2m_set_range (issue 16) -----------------------------------------

def slow_unit(setup, name: str):
    return next(o for o in P.obligations(setup) + P.slow_obligations(setup) if o.operation == name)


@pytest.mark.slow  # 28 s; make prove's `refines` proves the same unit, its vacuity included
def test_set_entry_at_the_1g_level_is_what_the_model_does(upstream):
    """p2m_set_entry(p2m, gfn, 2 * PAGETABLE_ORDER, mfn, t) with p2m_set_type and
    p2m_free_subtree summarised: rc, tables, metadata, pool, references, need_flush, hfence."""
    r = prove(upstream, unit(upstream, "p2m_set_entry level 2"))
    assert r.verdict == PROVED and r.vacuity is True, (r.detail, r.counterexample)
    assert {"result", "need_flush", "hfence", "tables", "allocator"} <= {c["claim"] for c in r.extra["claims"]}


def test_a_model_set_entry_that_skips_the_flush_is_refuted(upstream, monkeypatch):
    """The breaking case of need_flush: a model whose entry write leaves need_flush as it was."""
    from dataclasses import replace

    from model.riscv.p2m_upstream import RiscvP2MUpstream

    real = RiscvP2MUpstream.set_entry_update

    def no_flush(self, st, g, *args):
        post, r = real(self, st, g, *args)
        return replace(post, need_flush=st.need_flush), r
    monkeypatch.setattr(RiscvP2MUpstream, "set_entry_update", no_flush)
    r = prove(upstream, unit(upstream, "p2m_set_entry level 2"))
    assert r.verdict == VIOLATED
    assert "need_flush" in {c["claim"] for c in r.extra["claims"] if c["verdict"] == VIOLATED}
    assert r.counterexample["replay"]["outputs"]["need_flush"]["C"] == "1"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["p2m_set_entry level 1", "p2m_set_entry level 0"])
def test_set_entry_below_a_superpage_is_what_the_model_does(upstream, name):
    """The split on the way summarised by the split units (bitwuzla: z3 answers unknown)."""
    r = prove(upstream, slow_unit(upstream, name), solver="bitwuzla", timeout_ms=300_000)
    assert r.verdict == PROVED and r.vacuity is True, (r.detail, r.counterexample)


@pytest.mark.parametrize("name", ["p2m_set_range prologue", "p2m_set_range loop iteration"])
def test_set_range_is_what_the_model_does(upstream, name):
    r = prove(upstream, unit(upstream, name))
    assert r.verdict == PROVED and r.vacuity is True, (r.detail, r.counterexample)


def iteration_outputs(setup, left: int, rc: int) -> tuple:
    """(C return, model return) of one loop iteration whose p2m_set_entry returns rc."""
    from model.term import bv
    from proofs.refine.check import replay

    b = replay(setup, unit(setup, "p2m_set_range loop iteration"),
               {"gfn": bv(0, 64), "mfn": bv(0x41, 64), "left": bv(left, 64), "t": bv(1, 32),
                "rc": bv(rc % (1 << 32), 32)}, {})
    assert all(bool(c.holds) for c in b.claims)
    c, m = b.show["result"]
    return int(c), int(m)


def test_set_range_returns_the_frames_left_as_an_int_on_the_c(upstream):
    """(a) `return !left ? rc : left;` in an int: a failing call with 2^32 frames left
    returns 0 (success) on the lifted C and on the model; 2^31 returns INT_MIN."""
    assert iteration_outputs(upstream, 1 << 32, -12) == (0, 0)
    assert iteration_outputs(upstream, 1 << 31, -12) == (1 << 31, 1 << 31)
    assert iteration_outputs(upstream, 5, -12) == (5, 5)
    assert iteration_outputs(upstream, 1, 0) == (0, 0)  # done


def test_a_model_whose_eoverflow_is_live_is_refuted_by_the_c(upstream, monkeypatch):
    """(b) -EOVERFLOW is dead in the C (clang folds it away: `left > INT_MAX` implies
    `left != 0`); a model returning it for left > INT_MAX differs, at left 2^31 + 1."""
    from model.riscv.p2m_upstream import EOVERFLOW, INT_MAX, RiscvP2MUpstream, rc
    from model.term import ite

    def live(self, left, r):
        return ite(left == 0, r, ite(left > INT_MAX, rc(-EOVERFLOW), left.trunc(32)))
    monkeypatch.setattr(RiscvP2MUpstream, "set_range_result", live)
    r = prove(upstream, unit(upstream, "p2m_set_range loop iteration"))
    assert r.verdict == VIOLATED
    assert "result" in {c["claim"] for c in r.extra["claims"] if c["verdict"] == VIOLATED}
    assert int(r.counterexample["inputs"]["left"], 0) > INT_MAX
    assert r.counterexample["replay"]["outputs"]["result"]["model"] == str(-EOVERFLOW)


def test_a_model_set_range_that_returns_the_errno_is_refuted(upstream, monkeypatch):
    """Arm's return (the failing call's rc) against RISC-V's C: the result claim breaks."""
    from model.riscv.p2m_upstream import RiscvP2MUpstream

    monkeypatch.setattr(RiscvP2MUpstream, "set_range_result", lambda self, left, r: r)
    r = prove(upstream, unit(upstream, "p2m_set_range loop iteration"))
    assert r.verdict == VIOLATED
    assert "result" in {c["claim"] for c in r.extra["claims"] if c["verdict"] == VIOLATED}


#: the set_entry unit takes 30-40 s a mutant: those run with -m slow (make test keeps the
#: model mutant that skips the flush as set_entry's breaking case)
_MUTANT_PARAMS = [pytest.param(m, id=m.id, marks=pytest.mark.slow)
                  if any(u.startswith("p2m_set_entry") for u in m.units) else pytest.param(m, id=m.id)
                  for m in P2M_MUTANTS]


@pytest.mark.parametrize("m", _MUTANT_PARAMS)
def test_each_p2m_mutant_of_the_table_is_refuted_by_its_unit(tmp_path, upstream, m):
    """proofs/refine/mutants.py's p2m.c mutants: each unit it names refutes it, replayed."""
    d = tmp_path / "xen" / "arch" / "riscv"
    d.mkdir(parents=True)
    (d / "p2m.c").write_text(m.apply(P.UPSTREAM_P2M_C.read_text()))
    setup = P.setup_for(VERSION, d / "p2m.c")
    for name in m.units:
        r = prove(setup, unit(setup, name))
        assert r.verdict == VIOLATED, (m.id, name)
        assert "replayed concretely" in r.detail


def test_deep_refines_adds_the_set_entry_levels_make_prove_leaves_out(upstream):
    """`prove --deep-refines` (make sweep's p2m-refines-deep) decides p2m_set_entry at levels 1
    and 0 as well; make prove's default run has level 2 only."""
    from proofs import sweep
    from proofs.engine.settings import Settings
    from proofs.systems.p2m.refines import members
    from proofs.systems.p2m.versions import VERSIONS

    def ops(settings):
        return {m.operation for m in members(VERSIONS[VERSION], settings) if "p2m_set_entry" in m.operation}

    assert ops(Settings()) == {"p2m_set_entry level 2"}
    assert ops(Settings(deep_refines=True)) == {f"p2m_set_entry level {t}" for t in (0, 1, 2)}
    assert "--deep-refines" in sweep.CONFIGS["p2m-refines-deep"]
