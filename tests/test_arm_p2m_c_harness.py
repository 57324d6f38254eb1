"""Arm's mmu/p2m.c under the C harness (its p2m_set_entry path, extracted by
proofs/c_extract.py): every arm-p2m-upstream vector replays with the model's
return codes, tables, pool and references; a changed mmu/p2m.c is caught; bad C
input is one line."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from needs import c_compiler, xen_file
from proofs import c_extract
from proofs import vector as vec
from proofs.cli import main

ROOT = Path(__file__).resolve().parent.parent
ARM_DIR = ROOT / "counterexamples" / "arm-p2m-upstream"
ARM_VECTORS = vec.vector_files([ARM_DIR])
REGRESSION = ARM_DIR / "regression"


@pytest.fixture
def cc() -> str:
    return c_compiler()


@pytest.fixture(scope="module")
def arm_p2m_c() -> Path:
    return xen_file("riscv-pt-upstream", "xen/arch/arm/mmu/p2m.c")  # the upstream tree


def test_every_arm_p2m_vector_replays_identically_on_mmu_p2m_c(cc, arm_p2m_c, capsys):
    assert len(ARM_VECTORS) >= 20
    assert main(["replay", "--c-source", str(arm_p2m_c), str(ARM_DIR)]) == 0
    out = capsys.readouterr().out
    n = len(ARM_VECTORS)
    assert f"{n} of {n} vectors reproduce: {n} on the model and C" in out


def _tree_copy(arm_p2m_c: Path, tmp_path: Path, old: str = "", new: str = "") -> Path:
    """A copy of the tree's files the harness reads, mmu/p2m.c with `old` replaced."""
    arm = arm_p2m_c.parent.parent
    d = tmp_path / "arm"
    (d / "mmu").mkdir(parents=True)
    (d / "include" / "asm").mkdir(parents=True)
    shutil.copy(arm / "p2m.c", d / "p2m.c")
    for h in ("lpae.h", "page.h", "p2m.h"):
        shutil.copy(arm / "include" / "asm" / h, d / "include" / "asm" / h)
    text = arm_p2m_c.read_text()
    if old:
        assert text.count(old) == 1
        text = text.replace(old, new)
    (d / "mmu" / "p2m.c").write_text(text)
    return d / "mmu" / "p2m.c"


def test_an_mmu_p2m_c_that_drops_a_put_page_is_a_fidelity_failure(cc, arm_p2m_c, tmp_path, capsys):
    changed = _tree_copy(arm_p2m_c, tmp_path, "    put_page(pg);\n}", "    (void)pg;\n}")
    assert main(["replay", "--c-source", str(changed), str(REGRESSION / "foreign-removed-ok.json"),
                 str(REGRESSION / "map-4k-ok.json")]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "references on the watched frame 0x40: model 0, C 1" in out
    assert "1 on the model and C" in out  # the vector without a foreign page still reproduces


def test_an_mmu_p2m_c_that_does_not_compile_is_one_line(cc, arm_p2m_c, tmp_path, capsys):
    broken = _tree_copy(arm_p2m_c, tmp_path, "    p2m->need_flush = false;\n}",
                        "    p2m->need_flush = false\n}")
    assert main(["replay", "--c-source", str(broken), str(REGRESSION / "map-4k-ok.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not compile with the C harness" in err[0]


def test_extract_keeps_the_named_functions_and_defines_in_order():
    text = ("#include <x.h>\n#define A 1\n#define F(x) (x)\nstatic int a(void) { return A; }\n"
            "typedef enum { e0, e1 } t_t;\nstatic int b(void);\nint b(void) { return a(); }\n")
    out, missing = c_extract.extract(text, ["b", "t_t"])
    assert missing == []
    assert "#define A 1" in out and "F(x)" not in out and "#include" not in out
    assert "static int a" not in out and out.index("t_t;") < out.index("int b(void) {")
    assert c_extract.extract(text, ["nope"])[1] == ["nope"]


ANY_DIR = ROOT / "counterexamples" / "arm-p2m-upstream@any"
#: the any vectors whose tables the model once got wrong (a p2m_invalid block walked into as a
#: table; footprint's root entry in root page 3, which the harness once renumbered)
ANY_ON_C = ("bbm", "flush-before-free", "footprint", "no-leak", "return", "well-formed", "metadata")


def test_the_any_vectors_replay_identically_on_mmu_p2m_c(cc, arm_p2m_c, capsys):
    files = [ANY_DIR / f"{name}.json" for name in ANY_ON_C]
    footprint = vec.load(ANY_DIR / "footprint.json")
    assert "0x80003" in {t["frame"] for t in footprint["expected"]["tables"]}  # root page 3
    assert main(["replay", "--c-source", str(arm_p2m_c), *map(str, files)]) == 0
    out = capsys.readouterr().out
    n = len(files)
    assert f"{n} of {n} vectors reproduce: {n} on the model and C" in out
