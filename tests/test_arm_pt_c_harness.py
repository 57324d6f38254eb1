"""Arm's mmu/pt.c under the C harness: every arm-pt-upstream vector (the findings
and the boundary scenarios) replays on upstream's pt.c with the model's return
codes, ASSERTs, tables, table pages and TLB state; a changed pt.c or a changed
model is caught; `--xen-src` runs arm-pt-upstream on the C and arm-pt-rfc (a
seed patch) on the model only; a pt.c outside a tree is one line, exit 2."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from needs import c_compiler, shared_file
from proofs import vector as vec
from proofs.cli import main

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_DIR = ROOT / "counterexamples" / "arm-pt-upstream"
RFC_DIR = ROOT / "counterexamples" / "arm-pt-rfc"
UPSTREAM_VECTORS = vec.vector_files([UPSTREAM_DIR])
REGRESSION = UPSTREAM_DIR / "regression"
ASM = ("lpae.h", "page.h")


@pytest.fixture
def cc() -> str:
    return c_compiler()


@pytest.fixture(scope="module")
def arm_pt_c() -> Path:
    return shared_file("xen/upstream/xen/arch/arm/mmu/pt.c")


def _tree_copy(arm_pt_c: Path, tmp_path: Path, old: str = "", new: str = "") -> Path:
    """pt.c in a tree of its own under tmp_path (its asm/lpae.h and asm/page.h beside),
    with `old` replaced by `new`."""
    arm = tmp_path / "xen" / "arch" / "arm"
    (arm / "mmu").mkdir(parents=True)
    (arm / "include" / "asm").mkdir(parents=True)
    for h in ASM:
        shutil.copy(arm_pt_c.parent.parent / "include" / "asm" / h, arm / "include" / "asm" / h)
    text = arm_pt_c.read_text()
    if old:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (arm / "mmu" / "pt.c").write_text(text)
    return arm / "mmu" / "pt.c"


def test_every_upstream_arm_pt_vector_replays_identically_on_upstream_pt_c(cc, arm_pt_c, capsys):
    assert len(UPSTREAM_VECTORS) >= 25
    assert main(["replay", "--c-source", str(arm_pt_c), str(UPSTREAM_DIR)]) == 0
    out = capsys.readouterr().out
    n = len(UPSTREAM_VECTORS)
    assert f"{n} of {n} vectors reproduce: {n} on the model and C" in out
    assert "arm-pt-upstream contig reproduces on the model and C" in out


def test_xen_src_runs_upstream_on_the_c_and_the_rfc_on_the_model_only(cc, arm_pt_c, capsys):
    tree = arm_pt_c.parents[5]  # .../xen (upstream/, v9/)
    assert main(["replay", "--xen-src", str(tree), str(UPSTREAM_DIR / "contig.json"),
                 str(RFC_DIR / "atomicity.json"), str(REGRESSION / "map-2m-block-ok.json")]) == 0
    out = capsys.readouterr().out
    assert "3 of 3 vectors reproduce: 2 on the model and C, 1 on the model only (C not run)" in out
    assert "arm-pt-rfc atomicity reproduces on the model only (C not run: seed 001 is a reply quoting" in out


def test_the_rfc_seed_still_defines_no_function_whole():
    """Why arm-pt-rfc has no C (proofs/c_sources.py ARM_PT_RFC_WHY): no function of its
    diff of mm.c is whole in a hunk, so there is nothing to splice."""
    from needs import shared_file
    from proofs.c_splice import definition, hunks

    seed = shared_file("seeds/001_28a0876c5a699a7c.txt").read_text()
    new = hunks(seed, "xen/arch/arm/mm.c")
    assert len(new) == 6 and any("unsigned int target = 3 - (page_order / LPAE_SHIFT);" in h for h in new)
    for name in ("xen_pt_check_entry", "xen_pt_update_entry", "xen_pt_update"):
        assert all(definition(h, name) is None for h in new), name


def test_an_arm_pt_c_runs_only_arm_pt_vectors(cc, arm_pt_c, capsys):
    riscv = vec.vector_files([ROOT / "counterexamples" / "riscv-pt-v9"])[0]
    assert main(["replay", "--c-source", str(arm_pt_c), str(riscv), str(REGRESSION / "map-4k-ok.json")]) == 0
    out = capsys.readouterr().out
    assert "1 on the model and C" in out and "is arm-pt's C, not riscv-pt's" in out


@pytest.mark.parametrize("old, new, vector, says", [
    # the contiguous bit is never set: the group's 16 entries lack it
    ("pte.pt.contig = !!(flags & _PAGE_CONTIG);", "", "map-contig-16-ok.json",
     "table 0x1003[0]: model 0x50000080200f7f, C 0x40000080200f7f"),
    # a block over the whole range is taken for a 2M request (no superpage shatter check)
    ("        rc = -EOPNOTSUPP;\n", "        rc = 0;\n", "destroy-2m-block-eopnotsupp.json",
     "model returns -EOPNOTSUPP, C returns 0"),
    # the insert flush skip is dropped the other way: a remove no longer flushes
    ("    if ( !((flags & _PAGE_PRESENT) && !mfn_eq(mfn, INVALID_MFN)) )\n        flush_xen_tlb_range_va",
     "    if ( 0 )\n        flush_xen_tlb_range_va", "destroy-4k-ok.json", "TLB stale at the end: model False, C True"),
    # the walk's table is never unmapped on the way out
    ("out:\n    xen_unmap_table(table);", "out:", "map-4k-ok.json",
     "tables left mapped at its return (map_table without unmap_table): model 0, C 1"),
    # the alignment ASSERT of destroy_xen_mappings is gone
    ("int destroy_xen_mappings(unsigned long s, unsigned long e)\n{\n    ASSERT(IS_ALIGNED(s, PAGE_SIZE));",
     "int destroy_xen_mappings(unsigned long s, unsigned long e)\n{", "destroy-unaligned-assert.json",
     "model ASSERT entry point ASSERT (destroy/modify_xen_mappings), C -22"),
])
def test_a_changed_arm_pt_c_is_a_fidelity_failure_with_both_sides(cc, arm_pt_c, tmp_path, capsys, old, new,
                                                                  vector, says):
    changed = _tree_copy(arm_pt_c, tmp_path, old, new)
    assert main(["replay", "--c-source", str(changed), str(REGRESSION / vector)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and says in out, out


def test_a_changed_model_is_caught_by_the_c(cc, arm_pt_c, monkeypatch):
    """The model forgets the contiguous bit: its scenario differs from the C."""
    from model.arm.pt import CONTIG_BITS, ArmPtUpstream
    from model.term import bv
    from proofs.engine.settings import Settings
    from proofs.systems.arm_pt.c_harness import ArmPtHarness
    from proofs.systems.arm_pt.regression import vectors

    monkeypatch.setattr(ArmPtUpstream, "xen_pt_check_contig",
                        lambda self, vfn, mfn, level, left, flags: bv(1, CONTIG_BITS))
    made = {v["name"]: v for v in vectors("arm-pt-upstream", Settings())}
    h = ArmPtHarness(str(arm_pt_c), cc)
    try:
        assert h.compare(vec.load(REGRESSION / "map-contig-16-ok.json")) == []
        problems = h.compare(made["map-contig-16-ok"])
        assert problems and all("table 0x1003[" in p for p in problems)
        assert h.compare(made["map-4k-ok"]) == []
    finally:
        h.close()


def test_regression_vectors_are_what_ptprove_vectors_writes(tmp_path, capsys):
    for version, d in (("arm-pt-upstream", UPSTREAM_DIR), ("arm-pt-rfc", RFC_DIR)):
        assert main(["vectors", "--variant", version, "--out", str(tmp_path)]) == 0
        made = sorted((tmp_path / version / "regression").glob("*.json"))
        committed = sorted((d / "regression").glob("*.json"))
        assert [f.name for f in made] == [f.name for f in committed] and len(made) >= 25
        for a, b in zip(made, committed):
            assert a.read_text() == b.read_text(), a.name
    names = {f.stem for f in (UPSTREAM_DIR / "regression").glob("*.json")}
    assert {"map-contig-16-ok", "destroy-unaligned-assert", "modify-contig-einval",
            "map-pool-exhausted-enoent"} <= names
    rfc = {f.stem for f in (RFC_DIR / "regression").glob("*.json")}
    assert {"destroy-unaligned-einval", "modify-contig-ok"} <= rfc  # no ASSERT, no contiguous hint


def test_an_arm_pt_c_outside_a_tree_is_one_line_exit_2(cc, arm_pt_c, tmp_path, capsys):
    lone = tmp_path / "pt.c"
    lone.write_text(arm_pt_c.read_text())
    assert main(["replay", "--c-source", str(lone), str(REGRESSION / "map-4k-ok.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ptprove: error:") and "asm/lpae.h" in err[0]


def test_an_arm_pt_c_that_does_not_compile_is_one_line_exit_2(cc, arm_pt_c, tmp_path, capsys):
    broken = _tree_copy(arm_pt_c, tmp_path, "static int create_xen_table(lpae_t *entry)\n{",
                        "static int create_xen_table(lpae_t *entry)\n{ undeclared_thing;")
    assert main(["replay", "--c-source", str(broken), str(REGRESSION / "map-4k-ok.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not compile with the C harness" in err[0]


def _beyond_paddr_vector(version: str = "arm-pt-upstream@any") -> dict:
    """map_pages_to_xen of an MFN whose machine address has bit 48 set: outside the
    presets contract (48-bit output addresses), inside `any`."""
    from proofs.engine.settings import Settings
    from proofs.systems.arm_pt.machine import machine
    from proofs.systems.arm_pt.regression import MFN, RW, VA
    from proofs.systems.trace_vectors import build, map_

    m = machine(version, Settings())
    return build(m.v, None, [map_(VA, MFN, 1, RW), map_(VA + 0x1000, 1 << 36, 1, RW)], 0, m.bounds(),
                 "none (concrete model)", regression=("map-mfn-beyond-paddr", "mfn_to_xen_entry's ASSERT",
                                                      "tests/test_arm_pt_c_harness.py"))


@pytest.mark.parametrize("old, new", [
    ("", ""),  # upstream: the model's ASSERT is the C's
    ("    ASSERT(!(mfn_to_maddr(mfn) & ~PADDR_MASK));\n\n    lpae_set_mfn(e, mfn);", "    lpae_set_mfn(e, mfn);"),
])
def test_an_mfn_beyond_paddr_bits_stops_at_mfn_to_xen_entrys_assert_on_the_model_and_the_c(
        cc, arm_pt_c, tmp_path, old, new):
    from proofs.systems.arm_pt.c_harness import ArmPtHarness

    v = _beyond_paddr_vector()
    first, second = v["calls"]
    assert first["rc"] == "0" or first["rc_value"] == 0, first
    assert second["rc"] == "ASSERT" and "PADDR_MASK" in second["assert_failed"], second
    h = ArmPtHarness(str(_tree_copy(arm_pt_c, tmp_path, old, new)), cc)
    try:
        problems = h.compare(v)
    finally:
        h.close()
    if not old:
        assert problems == []
    else:  # without the ASSERT the C writes the entry (the base field keeps the low 36 bits)
        assert problems and any("ASSERT" in p for p in problems), problems
