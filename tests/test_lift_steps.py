"""pt_update's loop cut at its header, and the entry points' prologues, as lifted C."""
from __future__ import annotations


import pytest

from needs import require

from proofs.refine import steps
from proofs.refine.run import refine, setup_for
from proofs.refine.sources import versions_at_hand

AT_HAND = versions_at_hand()
PROLOGUES = ["map prologue", "destroy prologue", "populate prologue", "modify prologue"]
slow = pytest.mark.slow  # `pytest -m slow` runs it; make test does not


def c_of(version):
    if version not in AT_HAND:
        require(False, f"the C of {version} is not on this machine (../shared)")
    return AT_HAND[version]


@pytest.mark.parametrize("version", sorted(AT_HAND) or ["riscv-pt-upstream"])
def test_header_phis_are_matched_to_the_loop_variables_by_their_entry_values(version):
    setup = setup_for(version, c_of(version))
    phis = steps.loop_phis(setup)
    assert sorted(phis) == ["left", "mfn", "vfn"] and len(set(phis.values())) == 3
    header = steps.loop_header(setup)
    names = [i.result for i in setup.fn("pt_update").blocks[header].instrs if i.opcode == "phi"]
    assert set(phis.values()) <= set(names)


@pytest.mark.parametrize("version", sorted(AT_HAND) or ["riscv-pt-upstream"])
def test_every_prologue_refines_the_model_step_from_idle(version):
    results = refine(version, c_of(version), only=PROLOGUES)
    for r in results:
        assert r.verdict == "proved" and r.vacuity, (r.operation, r.detail, r.counterexample)
        assert {"returns", "loops", "vfn", "mfn", "left", "flags", "fence+flush", "flush-args"} <= \
            {c["claim"] for c in r.extra["claims"]}


def test_a_dropped_alignment_check_is_refuted_and_run_as_a_whole_call_on_the_compiled_c(tmp_path):
    import shutil
    text = c_of("riscv-pt-upstream").read_text()
    (tmp_path / "pt.c").write_text(text.replace("if ( !IS_ALIGNED(virt, PAGE_SIZE) )", "if ( 0 )", 1))
    (r,) = refine("riscv-pt-upstream", tmp_path / "pt.c", only=["map prologue"], minimize=True)
    assert r.verdict == "violated"
    assert {"returns", "loops"} <= set(r.counterexample["replay"]["failing_claims"])
    whole = r.counterexample["whole_call"]
    assert whole["call"].startswith("map(") and whole["model"]
    if shutil.which("cc"):
        assert not whole["compiled C (harness)"].startswith("not run")


def test_a_flush_of_one_page_is_refuted_by_its_arguments(tmp_path):
    """pt.c flushing (0, PAGE_SIZE) instead of the whole space: the C still fences and flushes
    when the model does, but not what the model flushes."""
    text = c_of("riscv-pt-upstream").read_text()
    assert "flush_tlb_range_va(0, 0);" in text
    (tmp_path / "pt.c").write_text(text.replace("flush_tlb_range_va(0, 0);", "flush_tlb_range_va(0, PAGE_SIZE);"))
    (r,) = refine("riscv-pt-upstream", tmp_path / "pt.c", only=["map prologue"])
    violated = {c["claim"] for c in r.extra["claims"] if c["verdict"] == "violated"}
    assert r.verdict == "violated" and "flush-args" in violated and "fence+flush" not in violated, violated


@slow
@pytest.mark.parametrize("version", sorted(AT_HAND) or ["riscv-pt-upstream"])
def test_one_loop_iteration_refines_the_model_step(version):
    (r,) = refine(version, c_of(version), only=["pt_update loop iteration"])
    assert r.verdict == "proved" and r.vacuity, (r.detail, r.counterexample)


@slow
def test_upstream_loop_iteration_is_not_v9s():
    (r,) = refine("riscv-pt-upstream", c_of("riscv-pt-upstream"), only=["pt_update loop iteration"],
                  against="riscv-pt-v9")
    assert r.verdict == "violated" and len([c for c in r.extra["claims"] if c["verdict"] == "violated"]) >= 6
