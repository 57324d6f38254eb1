"""riscv-p2m-v5 and v2 on C: upstream's p2m.c with their seeds' functions spliced in
(proofs/c_splice.py, proofs/systems/p2m/seed_c.py), generated at test time from the
shared folder (never committed).  A seed function replaces upstream's of the same
name; one the seed or upstream lacks is one line; a vector of each spliced version
reproduces on its C, and a model that misses what the C does is caught."""
from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest

from needs import c_compiler, shared_file, xen_file
from proofs import vector as vec
from proofs.c_splice import definition, hunks, splice
from proofs.cli import main
from proofs.errors import UsageError
from proofs.systems.p2m.seed_c import seed_003, seed_004

ROOT = Path(__file__).resolve().parent.parent
V5 = ROOT / "counterexamples" / "riscv-p2m-v5"
V2 = ROOT / "counterexamples" / "riscv-p2m-v2"


@pytest.fixture(scope="module")
def p2m_c() -> Path:
    return xen_file("riscv-pt-upstream", "xen/arch/riscv/p2m.c")


@pytest.fixture(scope="module")
def seeds() -> Path:
    shared_file("seeds/003_531ac80e977a3b1a.txt")
    return shared_file("seeds/004_1c35fef42a594b3f.txt").parent


def _function(text: str, name: str) -> str:
    span = definition(text, name)
    assert span is not None, name
    return text[span[0]:span[1]]


def test_a_seed_function_replaces_upstreams_of_the_same_name(p2m_c, seeds):
    text, title = splice(p2m_c, [seed_003(seeds)])
    assert title.startswith("upstream p2m.c with seed 003's p2m_get_type,") and "p2m_free_subtree" in title
    seed = _function(text, "seed003_p2m_free_subtree")  # the seed's, under its own name (its level argument)
    assert "if ( (level == 0) || pte_is_superpage(entry, level) )" in seed
    assert "seed003_p2m_free_subtree(p2m, table[i], level - 1);" in seed  # its recursion stays its own
    adapter = _function(text, "p2m_free_subtree")  # upstream's callers reach it through upstream's signature
    assert "const struct p2m_pte_ctx *ctx" in adapter and "ctx->level" in adapter
    assert "if ( pte_is_mapping(entry) )" not in text  # upstream's leaf test is gone
    put = _function(text, "p2m_put_2m_superpage")  # same signature: replaced in place, adapted macro
    assert "PTPROVE_SEED_P2M_PAGETABLE_ENTRIES(1)" in put and "PAGETABLE_ENTRIES is used instead" not in put
    assert text.count("#define P2M_SUPPORTED_LEVEL_MAPPING 2") == 1  # the seed's own #define
    assert _function(text, "p2m_set_entry") == _function(p2m_c.read_text(), "p2m_set_entry")


def test_v2_adds_seed_004s_split_and_its_descent_line(p2m_c, seeds):
    text, title = splice(p2m_c, [seed_003(seeds), seed_004(seeds)])
    assert "seed 004's p2m_split_superpage" in title and "for ( ; level < target; level++ )" in title
    split = _function(text, "seed004_p2m_split_superpage")
    assert "unsigned int i;" in split and "for ( i = 0; i < PAGETABLE_ENTRIES; i++ )" in split
    assert split.rstrip().endswith("return rv;\n}")  # the reply cut it before: upstream's last lines
    assert "for ( ; level < target; level++ )" in _function(text, "p2m_set_entry")
    # the reply's own words between the quoted lines are not code
    assert "Is there a reason this list maintenance" not in text


def test_a_function_the_seed_does_not_define_is_one_line(p2m_c, seeds):
    bad = replace(seed_003(seeds), functions=("p2m_get_type", "p2m_set_type"))
    with pytest.raises(UsageError) as e:
        splice(p2m_c, [bad])
    assert str(e.value) == ("003_531ac80e977a3b1a.txt: no whole definition of p2m_set_type() in its diff "
                            "of xen/arch/riscv/p2m.c")


def test_a_function_upstream_does_not_define_is_one_line(p2m_c, seeds, tmp_path):
    text = p2m_c.read_text()
    s, e = definition(text, "p2m_put_4k_page")
    (tmp_path / "p2m.c").write_text(text[:s] + text[e:])
    with pytest.raises(UsageError) as err:
        splice(tmp_path / "p2m.c", [seed_003(seeds)])
    assert "\n" not in str(err.value)
    assert str(err.value).endswith("p2m.c: no definition of p2m_put_4k_page() to put seed 003's in place of")


def test_hunks_are_the_new_side_only(seeds):
    new = hunks((seeds / "003_531ac80e977a3b1a.txt").read_text(), "xen/arch/riscv/p2m.c")
    assert not any('panic("%s: hasn\'t been implemented yet\\n", __func__);' in h for h in new)  # a '-' line
    assert any("static void p2m_free_subtree(struct p2m_domain *p2m," in h for h in new)  # a context line


@pytest.mark.parametrize("path", [V5 / "regression" / "split-2m-ok.json", V2 / "regression" / "split-2m-ok.json"])
def test_a_spliced_versions_vector_reproduces_on_its_c(p2m_c, path, capsys):
    c_compiler()
    assert main(["replay", "--xen-src", str(p2m_c.parents[4]), str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 of 1 vectors reproduce: 1 on the model and C" in out
    assert "C: upstream p2m.c with seed 003's p2m_get_type" in out  # the line says which C


def test_v2s_descent_fails_the_assert_on_c_and_in_the_model(p2m_c, seeds, tmp_path):
    """v2's `for ( ; level < target; level++ )` never runs: the C notes ASSERT(level ==
    target) and the model (which follows upstream's ASSERT) lists it; a vector without it
    (the model before) is a difference on the C."""
    from proofs.c_sources import CSources
    from proofs.systems.p2m.vectors import replay

    v = vec.load(V2 / "regression" / "split-2m-ok.json")
    assert v["calls"][1]["asserts"] == ["ASSERT(level == target)"]
    assert replay(v) == []
    sources = CSources(xen_src=str(p2m_c.parents[4]), cc=c_compiler())
    try:
        h, why = sources.harness_for(v)
        assert why is None and h.compare(v) == []
        old = copy.deepcopy(v)
        del old["calls"][1]["asserts"]
        assert h.compare(old) == ["call 2: failed ASSERTs differ: model [], C [ASSERT(level == target)]"]
        assert replay(old) != []  # and the model no longer agrees with it either
    finally:
        sources.close()


def test_a_type_stored_outside_the_pte_is_not_run_on_the_splice(p2m_c, capsys):
    """Seed 003 shows no p2m_set_type for such a type: the vector is counted apart, with why."""
    path = ROOT / "counterexamples" / "riscv-p2m-v5@any" / "metadata.json"
    assert main(["replay", "--xen-src", str(p2m_c.parents[4]), str(path)]) == 0
    out = capsys.readouterr().out
    assert "reproduces on the model only (C not run: a call maps p2m_map_foreign_rw, a type stored outside" in out
