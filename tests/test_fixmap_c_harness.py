"""The RISC-V fixmap under the C harness: setup_fixmap_mappings (taken from the
tree's mm.c) and pt.c's set_fixmap / clear_fixmap replay every
riscv-fixmap-upstream scenario from the boot state with the model's return
codes, BUGs and tables; a changed mm.c or pt.c is caught; the v5 seed runs on
upstream's tree with its own definitions (its layout vectors on the regions it
carries); the committed scenarios are what `ptprove vectors` writes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from needs import c_compiler, shared_file
from proofs import vector as vec
from proofs.cli import main

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "counterexamples" / "riscv-fixmap-upstream" / "regression"
V5 = ROOT / "counterexamples" / "riscv-fixmap-v5" / "regression"
ASM = ("page.h", "page-bits.h", "mm.h", "config.h", "fixmap.h")


@pytest.fixture
def cc() -> str:
    return c_compiler()


@pytest.fixture(scope="module")
def pt_c() -> Path:
    return shared_file("xen/upstream/xen/arch/riscv/pt.c")


def _tree_copy(pt_c: Path, tmp_path: Path, name: str = "", old: str = "", new: str = "") -> Path:
    """pt.c and mm.c in a tree of their own (the asm/ headers beside), `old` -> `new` in `name`."""
    riscv = tmp_path / "xen" / "arch" / "riscv"
    (riscv / "include" / "asm").mkdir(parents=True)
    for h in ASM:
        src = pt_c.parent / "include" / "asm" / h
        if src.is_file():
            shutil.copy(src, riscv / "include" / "asm" / h)
    for f in ("pt.c", "mm.c"):
        text = (pt_c.parent / f).read_text()
        if f == name:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        (riscv / f).write_text(text)
    return riscv / "pt.c"


def _xen_src_of(pt_c: Path) -> Path:
    return pt_c.parents[4]  # .../xen (upstream/, v9/)


def test_every_upstream_fixmap_scenario_replays_identically_on_the_c(cc, pt_c, capsys):
    n = len(vec.vector_files([UPSTREAM]))
    assert n >= 11
    assert main(["replay", "--xen-src", str(_xen_src_of(pt_c)), str(UPSTREAM)]) == 0
    assert f"{n} of {n} vectors reproduce: {n} on the model and C, 0 on the model only" in capsys.readouterr().out


def test_every_v5_scenario_replays_on_seed_002_over_upstreams_tree(cc, pt_c, capsys):
    shared_file("seeds/002_1765b4b5e0e5695c.txt")
    v5 = ROOT / "counterexamples" / "riscv-fixmap-v5"
    n = len(vec.vector_files([V5]))
    assert main(["replay", "--xen-src", str(_xen_src_of(pt_c)), str(v5)]) == 0
    out = capsys.readouterr().out
    assert f"{n + 2} of {n + 2} vectors reproduce: {n + 2} on the model and C, 0 on the model only" in out
    assert out.count("C: upstream's pt.c (set/clear_fixmap, as the model drives them) with seed 002's") == n
    assert out.count("the same xen, fdt, fixmap and directmap regions from upstream's config.h with seed "
                     "002's #defines") == 2


def test_v5_layout_on_upstreams_config_h_alone_is_caught(cc, pt_c, tmp_path):
    """The v5 layout vectors on the v5 tree whose config.h lost the seed's #defines: the
    regions the seed carries (its 2 MB Xen image, the fdt and fixmap after it) differ."""
    from proofs.systems.riscv_fixmap.c_harness import SEED_002, FixmapHarness, v5_tree

    v5_pt_c = v5_tree(pt_c.parent, shared_file(f"seeds/{SEED_002}"), tmp_path)
    layout = vec.load(ROOT / "counterexamples" / "riscv-fixmap-v5" / "layout-slots.json")
    h = FixmapHarness(str(v5_pt_c), cc)
    try:
        assert h.compare(layout) == []
    finally:
        h.close()
    shutil.copy(pt_c.parent / "include" / "asm" / "config.h", v5_pt_c.parent / "include" / "asm" / "config.h")
    h = FixmapHarness(str(v5_pt_c), cc)
    try:
        got = h.compare(layout)
        assert any(p.startswith("region xen: model [0xffffffffc0000000, 0xffffffffc0200000)") for p in got), got
        assert not any("frametable" in p or "vmap" in p for p in got)  # upstream's rows: not compared
    finally:
        h.close()


def test_v5_without_the_seeds_layout_is_caught(cc, pt_c, tmp_path):
    """The v5 tree with upstream's config.h alone (XEN_VIRT_SIZE 16 MB: the fixmap 12 MB higher)
    does not give the v5 scenarios' tables: the seed's definitions carry weight."""
    from proofs.systems.riscv_fixmap.c_harness import SEED_002, FixmapHarness, v5_tree

    v5_pt_c = v5_tree(pt_c.parent, shared_file(f"seeds/{SEED_002}"), tmp_path)
    shutil.copy(pt_c.parent / "include" / "asm" / "config.h", v5_pt_c.parent / "include" / "asm" / "config.h")
    h = FixmapHarness(str(v5_pt_c), cc)
    try:
        assert any("table" in p for p in h.compare(vec.load(V5 / "set-rw-ok.json")))
    finally:
        h.close()


@pytest.mark.parametrize("name, old, new, vector, says", [
    # setup_fixmap_mappings no longer refuses an entry that is valid already
    ("mm.c", "    BUG_ON(pte_is_valid(*pte));\n\n    tmp = ", "\n    tmp = ", "setup-twice-assert.json",
     "model ASSERT setup_fixmap_mappings: BUG_ON(pte_is_valid(*pte)), C 0"),
    # set_fixmap maps the slot after the one asked for
    ("pt.c", "map_pages_to_xen(FIXMAP_ADDR(map), mfn, 1,", "map_pages_to_xen(FIXMAP_ADDR(map + 1), mfn, 1,",
     "set-rw-ok.json", "table 0x1900[1]: model 0x200800c7, C 0x0"),
    # clear_fixmap forgets its BUG on failure and its range is empty
    ("pt.c", "FIXMAP_ADDR(map) + PAGE_SIZE) != 0 )", "FIXMAP_ADDR(map)) != 0 )", "clear-ok.json",
     "table 0x1900[0]: model 0x0, C 0x200800c7"),
])
def test_a_changed_fixmap_c_is_a_fidelity_failure(cc, pt_c, tmp_path, capsys, name, old, new, vector, says):
    changed = _tree_copy(pt_c, tmp_path, name, old, new)
    assert main(["replay", "--xen-src", str(changed.parents[3]), str(UPSTREAM / vector)]) == 1  # a checkout
    out = capsys.readouterr().out
    assert "FAIL" in out and says in out, out


def test_a_changed_model_is_caught_by_the_c(cc, pt_c, monkeypatch):
    """The model puts FIXMAP_ADDR(n) one page further: its scenarios differ from the C."""
    from model.riscv.fixmap import RiscvFixmapUpstream
    from proofs.engine.settings import Settings
    from proofs.systems.riscv_fixmap.c_harness import FixmapHarness
    from proofs.systems.riscv_fixmap.regression import vectors

    real = RiscvFixmapUpstream.fixmap_addr
    monkeypatch.setattr(RiscvFixmapUpstream, "fixmap_addr", lambda self, n: real(self, n + 1))
    made = {v["name"]: v for v in vectors("riscv-fixmap-upstream", Settings())}
    h = FixmapHarness(str(pt_c), cc)
    try:
        assert h.compare(vec.load(UPSTREAM / "set-rw-ok.json")) == []
        assert "table 0x1900[2]: model 0x200800c7, C 0x0" in h.compare(made["set-rw-ok"])
    finally:
        h.close()


def test_regression_vectors_are_what_ptprove_vectors_writes(tmp_path):
    for version, d in (("riscv-fixmap-upstream", UPSTREAM), ("riscv-fixmap-v5", V5)):
        assert main(["vectors", "--variant", version, "--out", str(tmp_path)]) == 0
        made = sorted((tmp_path / version / "regression").glob("*.json"))
        committed = sorted(d.glob("*.json"))
        assert [f.name for f in made] == [f.name for f in committed] and len(made) >= 11
        for a, b in zip(made, committed):
            assert a.read_text() == b.read_text(), a.name
    names = {f.stem for f in UPSTREAM.glob("*.json")}
    assert {"setup-ok", "setup-twice-assert", "set-twice-assert", "set-wx-assert", "clear-ok"} <= names


def test_a_fixmap_call_before_setup_is_outside_the_contract(tmp_path, capsys):
    v = vec.load(UPSTREAM / "set-rw-ok.json")
    v["calls"] = v["calls"][1:]  # set_fixmap with no xen_fixmap[] installed
    f = tmp_path / "v.json"
    f.write_text(vec.dumps(v))
    assert main(["replay", str(f)]) == 1
    assert "outside the caller contract" in capsys.readouterr().out


LAYOUT = ROOT / "counterexamples" / "riscv-fixmap-upstream" / "layout-canonical.json"


def test_the_layout_vector_holds_of_the_regions_the_compiler_computes(cc, pt_c, capsys):
    assert main(["replay", "--xen-src", str(_xen_src_of(pt_c)), str(LAYOUT)]) == 0
    assert "on the model and C (the same regions from the tree's config.h and fixmap.h)" in capsys.readouterr().out


@pytest.mark.parametrize("name, old, new, says", [
    # the directmap starts one slot later: the constants the vector was found on are not the tree's
    ("config.h", "#define DIRECTMAP_SLOT_START    200", "#define DIRECTMAP_SLOT_START    201",
     "region directmap: model [0x3200000000, 0x7f80000000), the tree's config.h [0x3240000000, 0x7f80000000)"),
    # no VMAP row at all
    ("config.h", "#define VMAP_VIRT_START         SLOTN(VMAP_SLOT_START)", "",
     "region vmap: model [0x3040000000, 0x3080000000), the tree's config.h none"),
])
def test_a_changed_config_h_is_a_layout_difference(cc, pt_c, tmp_path, capsys, name, old, new, says):
    riscv = _tree_copy(pt_c, tmp_path).parent
    h = riscv / "include" / "asm" / name
    text = h.read_text()
    assert text.count(old) == 1, old
    h.write_text(text.replace(old, new))
    assert main(["replay", "--xen-src", str(riscv.parents[2]), str(LAYOUT)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and says in out, out
