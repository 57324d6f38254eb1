"""RISC-V p2m.c under the C harness: every upstream p2m vector replays on
upstream's p2m.c with the model's return codes, tables, metadata, pool and
references; a changed p2m.c is caught; `--xen-src` picks each system's file;
bad C input is one line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from needs import c_compiler, xen_file
from proofs import vector as vec
from proofs.cli import main

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_DIR = ROOT / "counterexamples" / "riscv-p2m-upstream"
UPSTREAM_VECTORS = vec.vector_files([UPSTREAM_DIR])
REGRESSION = UPSTREAM_DIR / "regression"


@pytest.fixture
def cc() -> str:
    return c_compiler()


@pytest.fixture(scope="module")
def p2m_c() -> Path:
    return xen_file("riscv-pt-upstream", "xen/arch/riscv/p2m.c")


def test_every_upstream_p2m_vector_replays_identically_on_upstream_p2m_c(cc, p2m_c, capsys):
    assert len(UPSTREAM_VECTORS) >= 14
    assert main(["replay", "--c-source", str(p2m_c), str(UPSTREAM_DIR)]) == 0
    out = capsys.readouterr().out
    n = len(UPSTREAM_VECTORS)
    assert f"{n} of {n} vectors reproduce: {n} on the model and C" in out
    assert out.count("reproduces on the model and C (same return codes and tables)") == n


def test_xen_src_runs_each_system_on_its_own_file_and_counts_the_rest_apart(cc, p2m_c, capsys):
    tree = p2m_c.parents[4]  # .../xen (upstream/, v9/)
    assert main(["replay", "--xen-src", str(tree), str(UPSTREAM_DIR / "bbm.json"),
                 str(ROOT / "counterexamples" / "riscv-pt-upstream" / "functional.json"),
                 str(ROOT / "counterexamples" / "arm-p2m-upstream" / "refcount.json"),
                 str(ROOT / "counterexamples" / "riscv-p2m-v5@any" / "metadata.json")]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 vectors reproduce: 3 on the model and C, 1 on the model only (C not run)" in out
    assert "arm-p2m-upstream refcount reproduces on the model and C" in out  # Arm's mmu/p2m.c


def test_a_p2m_c_given_by_name_runs_only_p2m_vectors(cc, p2m_c, tmp_path, capsys):
    (tmp_path / "p2m.c").write_text(p2m_c.read_text())
    pt_vector = vec.vector_files([ROOT / "counterexamples" / "riscv-pt-v9"])[0]
    assert main(["replay", "--c-source", str(tmp_path / "p2m.c"), str(pt_vector),
                 str(REGRESSION / "map-2m-ok.json")]) == 0
    out = capsys.readouterr().out
    assert "1 on the model and C" in out and "is p2m's C, not riscv-pt's" in out


def _changed(p2m_c: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = p2m_c.read_text()
    assert text.count(old) == 1
    d = tmp_path / "changed"
    d.mkdir()
    (d / "p2m.c").write_text(text.replace(old, new))
    return d / "p2m.c"


def test_a_changed_p2m_c_is_a_fidelity_failure_with_both_sides(cc, p2m_c, tmp_path, capsys):
    # MMIO leaves lose W: the model's entry keeps R|W, the C's has R only
    changed = _changed(p2m_c, tmp_path, "    case p2m_map_foreign_rw:\n    case p2m_mmio_direct_io:\n"
                       "        e->pte |= PTE_READABLE | PTE_WRITABLE;",
                       "    case p2m_map_foreign_rw:\n    case p2m_mmio_direct_io:\n"
                       "        e->pte |= PTE_READABLE;")
    assert main(["replay", "--c-source", str(changed), str(REGRESSION / "map-1g-ok.json")]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "model 0x40000000000102d7, C 0x40000000000102d3" in out


def test_a_p2m_c_that_frees_no_metadata_page_is_caught(cc, p2m_c, tmp_path, capsys):
    # p2m_free_table keeps the table's metadata page: it stays out of the pool
    changed = _changed(p2m_c, tmp_path, "    p2m_free_metadata_page(p2m, &tbl_pg->v.md.pg);\n", "")
    v = REGRESSION / "replace-foreign-by-1g-ok.json"
    assert json.loads(v.read_text())["expected"]["pool_handed_out"] == 0
    assert main(["replay", "--c-source", str(changed), str(v)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "pool pages in use: model 0, C 1" in out


def test_the_split_metadata_failure_stops_the_c_where_the_model_flags_it(cc, p2m_c):
    """The finding: a foreign superpage split whose metadata allocation fails leaves
    p2m_ext_storage children without a metadata page, and p2m_set_entry's
    p2m_free_subtree maps that NULL page (the C stops there, the model flags it)."""
    from proofs.systems.p2m.c_harness import P2MHarness

    v = vec.load(REGRESSION / "foreign-2m-split-ok.json")
    assert v["calls"][-1]["events"] == ["domain_crash", "maps a NULL metadata page"]
    broken = vec.load(UPSTREAM_DIR / "metadata.json")  # the shrunk trace: same mfn, nothing freed
    assert broken["calls"][-1]["events"] == ["domain_crash"]
    h = P2MHarness(str(p2m_c), cc)
    try:
        got = h.run(v)
        assert "__map_domain_page(NULL)" in got["calls"][-1]["stopped"] and got["calls"][-1]["crashed"]
        assert h.compare(v) == [] and h.compare(broken) == []
        v["calls"][-1]["events"] = ["domain_crash"]  # a model that did not see the NULL page
        assert any("the C stopped (__map_domain_page(NULL)" in p for p in h.compare(v))
    finally:
        h.close()


@pytest.mark.parametrize("argv, message", [
    (["--c-source", "a/p2m.c", "--xen-src", "."], "give --c-source FILE or --xen-src DIR, not both"),
    (["--xen-src", "/nonexistent/xen"], "--xen-src /nonexistent/xen: not a directory"),
])
def test_bad_c_arguments_are_one_line(argv, message, capsys):
    assert main(["replay", *argv, str(REGRESSION / "map-4k-ok.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_p2m_c_that_does_not_compile_is_one_line(cc, tmp_path, capsys):
    (tmp_path / "p2m.c").write_text("int p2m_set_entry(void) { return }\n")
    assert main(["replay", "--c-source", str(tmp_path / "p2m.c"), str(REGRESSION / "map-4k-ok.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not compile with the C harness" in err[0]


def _agreeing_c_run(v: dict) -> dict:
    """What the driver prints when the C does what the vector says the model does."""
    x = v["expected"]
    return {"calls": [{"rc": c["rc_value"], "stopped": None, "crashed": "domain_crash" in c["events"],
                       "allocs": 0, "notes": [], "hfences": []} for c in v["calls"]],
            "pool_in_use": x["pool_handed_out"], "md_pages": [], "need_flush": x["need_flush"],
            "write_locked": False, "refs": {v["initial_state"]["watch"]: x["refs_watched"]} if x["refs_watched"] else {},
            "md": [[e["frame"], e["index"], e["type"]] for e in x["metadata"]],
            "tables": [{"frame": t["frame"], "entries": [[e["index"], e["raw"]] for e in t["entries"]]}
                       for t in x["tables"]]}


@pytest.mark.parametrize("change, says", [
    (lambda g: g["calls"][0].update(rc=-12), "call 1: model returns 0, C returns -12"),
    (lambda g: g["calls"][0].update(stopped="BUG_ON(x)"), "call 1: the C stopped (BUG_ON(x))"),
    (lambda g: g["calls"][0].update(crashed=True), "call 1: domain_crash in the C True, in the model False"),
    (lambda g: g["calls"][0]["notes"].append("put_page on a page without a reference"),
     "call 1: in the C, put_page on a page without a reference"),
    (lambda g: g["tables"][-1]["entries"][0].__setitem__(1, "0x1"), "model 0x"),
    (lambda g: g["md"].clear(), "metadata 0x80005[0]: model type 4, C 0"),
    (lambda g: g.update(pool_in_use=0), "pool pages in use: model 3, C 0"),
    (lambda g: g.update(refs={}), "references on the watched frame 0x40: model 1, C 0"),
    (lambda g: g.update(need_flush=True), "need_flush after the unlock: model False, C True"),
])
def test_every_field_the_c_reports_is_compared(change, says):
    """No compiler: the comparison itself, field by field, on the foreign-4k vector."""
    from proofs.systems.p2m.c_harness import differences

    v = vec.load(REGRESSION / "foreign-4k-ok.json")
    got = _agreeing_c_run(v)
    assert differences(v, got) == []
    change(got)
    assert any(says in p for p in differences(v, got)), differences(v, got)
