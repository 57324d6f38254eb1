"""Refinement: each pt.c function as lifted C against its model version."""
from __future__ import annotations

import os

import pytest

from needs import require

from proofs.refine.run import refine
from proofs.refine.sources import versions_at_hand

AT_HAND = versions_at_hand()
FUNCTIONS = ["pte_is_valid", "pte_is_table", "pte_is_mapping", "pt_check_entry", "pt_mapping_level",
             "pt_next_level", "create_table", "pt_update_entry"]


def c_of(version):
    if version not in AT_HAND:
        require(False, f"the C of {version} is not on this machine (../shared)")
    return AT_HAND[version]


SLOW = bool(os.environ.get("PTPROVE_SLOW"))


@pytest.mark.parametrize("version", sorted(AT_HAND) or ["riscv-pt-upstream"])
def test_every_function_of_each_version_refines_its_model(version):
    # pt_update_entry takes seconds: upstream's always, the older versions' with PTPROVE_SLOW=1
    units = FUNCTIONS if SLOW or version == "riscv-pt-upstream" else FUNCTIONS[:-1]
    results = refine(version, c_of(version), only=units)
    assert [r.operation for r in results] == units
    for r in results:
        assert r.verdict == "proved" and r.vacuity, (r.operation, r.detail, r.counterexample)
        assert r.invariant == "refines" and r.bounds["c_sha256"] and r.bounds["target"]
        assert any("44-bit" in a for a in r.extra["assumptions"]) or r.operation in FUNCTIONS[:5]


def test_a_one_line_patch_is_refuted_with_a_replayed_input(tmp_path):
    text = c_of("riscv-pt-upstream").read_text()
    needle = "pte.pte |= (flags & attrs) | PTE_ACCESSED | PTE_DIRTY;"
    assert needle in text
    (tmp_path / "pt.c").write_text(text.replace(needle, "pte.pte |= (flags & attrs) | PTE_ACCESSED;"))
    (r,) = refine("riscv-pt-upstream", tmp_path / "pt.c", only=["pt_update_entry"])
    assert r.verdict == "violated" and "replayed concretely" in r.detail
    assert "memory" in r.counterexample["replay"]["failing_claims"]
    assert r.counterexample["inputs"]["virt"] and r.counterexample["memory"]


def test_v5_c_against_the_upstream_model_differs_in_pte_is_mapping():
    (r,) = refine("riscv-pt-v5", c_of("riscv-pt-v5"), only=["pte_is_mapping"], against="riscv-pt-upstream")
    assert r.verdict == "violated" and r.counterexample["replay"]["failing_claims"]
    outs = r.counterexample["replay"]["outputs"].values()
    assert any(o["C"] != o["model"] for o in outs)


@pytest.mark.parametrize("version", sorted(AT_HAND) or ["riscv-pt-upstream"])
def test_the_versions_own_page_h_predicates_refine_the_model(version):
    own = [f"{n} (asm/page.h)" for n in ("pte_is_valid", "pte_is_table", "pte_is_mapping")]
    from proofs.refine.run import obligations, setup_for
    setup = setup_for(version, c_of(version))
    present = [o.operation for o in obligations(setup) if o.operation in own]
    # seed 000 adds pte_is_table (`inline bool`, not static) and pte_is_mapping to page.h; pte_is_valid
    # is only the hunk's context there
    assert present if version != "riscv-pt-v5" else \
        sorted(present) == ["pte_is_mapping (asm/page.h)", "pte_is_table (asm/page.h)"]
    for r in refine(version, c_of(version), only=present):
        assert r.verdict == "proved" and r.bounds["header_sha256"], (r.operation, r.counterexample)


def test_the_frame_width_assumption_carries_weight():
    """Without it the C follows a table pointer with bits 63:54 set to another frame than the
    model's (C's mfn_from_pte keeps bits 63:10, the model's 53:10): the study's finding."""
    from proofs.refine.obligations import FRAME_WIDTH
    (r,) = refine("riscv-pt-upstream", c_of("riscv-pt-upstream"), only=["pt_next_level"], drop=[FRAME_WIDTH])
    assert r.verdict == "violated" and "next-table" in r.counterexample["replay"]["failing_claims"]
    (kept,) = refine("riscv-pt-upstream", c_of("riscv-pt-upstream"), only=["pt_next_level"])
    assert kept.verdict == "proved" and FRAME_WIDTH in kept.extra["assumptions"]
