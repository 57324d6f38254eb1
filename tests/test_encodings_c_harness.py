"""The encodings vectors on C: a version's own pte_is_table / pte_is_mapping (its
asm/page.h, or seed 000's page.h hunk for v5) run on every entry of the vector; a
predicate that answers otherwise, or an ASSERT the model does not have, is a
difference; a page.h without the predicates is "C not run", with the reason."""
from __future__ import annotations

from pathlib import Path

import pytest

from needs import c_compiler, shared_file
from proofs import vector as vec
from proofs.c_sources import CSources
from proofs.cli import main
from proofs.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
ENC_MAPPING = ROOT / "counterexamples" / "riscv-pt-v5" / "enc-mapping.json"
V5_TABLE = """inline bool pte_is_table(const pte_t p)
{
    return ((p.pte & (PTE_VALID | PTE_READABLE | PTE_WRITABLE | PTE_EXECUTABLE)) == PTE_VALID);
}
"""
V5_MAPPING = """static inline bool pte_is_mapping(const pte_t p)
{
    return (p.pte & PTE_VALID) && (p.pte & (PTE_WRITABLE | PTE_EXECUTABLE));
}
"""
#: the merged versions' answer: R alone is a mapping too
MERGED_MAPPING = V5_MAPPING.replace("(PTE_WRITABLE | PTE_EXECUTABLE)", "PTE_ACCESS_MASK")


def _tree(tmp_path: Path, page_h: str) -> Path:
    """A pt.c (empty: the predicates are page.h's) with `page_h` as its asm/page.h."""
    riscv = tmp_path / "xen" / "arch" / "riscv"
    (riscv / "include" / "asm").mkdir(parents=True)
    (riscv / "include" / "asm" / "page.h").write_text(page_h)
    (riscv / "pt.c").write_text("/* the predicates are in asm/page.h */\n")
    return riscv / "pt.c"


def _compare(pt_c: Path) -> list[str]:
    sources = CSources(c_source=str(pt_c), cc=c_compiler())
    try:
        harness, why = sources.harness_for(vec.load(ENC_MAPPING))
        assert harness is not None, why
        return harness.compare(vec.load(ENC_MAPPING))
    finally:
        sources.close()


def test_the_v5_predicates_give_the_vectors_answers(tmp_path):
    assert _compare(_tree(tmp_path, V5_TABLE + V5_MAPPING)) == []


def test_a_predicate_that_answers_otherwise_is_a_difference(tmp_path):
    problems = _compare(_tree(tmp_path, V5_TABLE + MERGED_MAPPING))
    assert problems and all("pte_is_mapping(p) = false, C true" in p for p in problems), problems


def test_an_assert_the_model_does_not_have_is_a_difference(tmp_path):
    table = V5_TABLE.replace("{\n", "{\n    ASSERT(!(p.pte & PTE_READABLE));\n", 1)
    problems = _compare(_tree(tmp_path, table + V5_MAPPING))
    assert problems and "the C stops at ASSERT(!(p.pte & PTE_READABLE))" in problems[0], problems


def test_a_page_h_without_the_predicates_is_not_run_with_its_reason(tmp_path):
    sources = CSources(c_source=str(_tree(tmp_path, V5_TABLE)), cc=c_compiler())
    try:
        harness, why = sources.harness_for(vec.load(ENC_MAPPING))
    finally:
        sources.close()
    assert harness is None and "does not define pte_is_mapping" in why


def test_predicates_that_do_not_compile_are_one_line(tmp_path):
    with pytest.raises(UsageError, match="does not compile with the C harness"):
        _compare(_tree(tmp_path, V5_TABLE + V5_MAPPING.replace("&&", "&& nonsense")))


def test_replay_runs_the_seed_predicates_on_every_v5_encoding_vector(capsys):
    shared_file("seeds/000_8afac2f4e5276757.txt")
    c_compiler()
    xen = shared_file("xen/upstream/xen/arch/riscv/pt.c").parents[4]
    files = [str(p) for p in sorted((ROOT / "counterexamples" / "riscv-pt-v5").glob("enc-*.json"))]
    assert len(files) == 2
    assert main(["replay", "--xen-src", str(xen), *files]) == 0
    out = capsys.readouterr().out
    assert out.count("on the model and C (the same answers from the predicates)") == 2, out
