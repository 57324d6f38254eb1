"""`ptprove prove` end to end: bad arguments, a broken version, --rlimit, --confirm."""
from __future__ import annotations

import json

import pytest

import model.variants
from model.riscv.machine import PC_IDLE
from model.riscv.pt_upstream import RiscvPtUpstream
from model.term import bv
from proofs.cli import main
from needs import solver

UPSTREAM = "riscv-pt-upstream"
TLB_ONLY = ["prove", "--variant", UPSTREAM, "--invariant", "tlb", "--jobs", "1"]


class NoFlushUpstream(RiscvPtUpstream):
    """Upstream with the epilogue's flush forgotten: tlb_stale survives the call."""

    def pt_update_epilogue(self, x, g, rc) -> None:
        x.set(g, pc=bv(PC_IDLE, 2), rc=rc)


@pytest.mark.parametrize("args", [["--variant", "nope"], ["--depth", "0"], ["--solver", "yices"],
                                  ["--rlimit", "-5"], ["--confirm", "z3"]])
def test_bad_arguments_exit_2_with_one_line(args, capsys):
    assert main(["prove", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ptprove: error:") and len(err.strip().splitlines()) == 1


def test_broken_version_exits_1_naming_the_invariant(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(model.variants.VARIANTS, UPSTREAM, NoFlushUpstream)
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"version": 1, "variants": {
        UPSTREAM: {"tlb": {"verdict": "proved", "reason": "the epilogue flushes"}}}}))
    report = tmp_path / "report.json"
    assert main([*TLB_ONLY, "--expectations", str(exp), "--json", str(report)]) == 1
    out = capsys.readouterr().out
    assert f"{UPSTREAM} tlb" in out and "expected proved" in out
    data = json.loads(report.read_text())
    bad = [r for r in data["results"] if r["verdict"] == "violated"]
    assert bad and all(r["invariant"] == "tlb" for r in bad)
    assert bad[0]["extra"]["replay"]["step_calls"]


def test_exhausted_rlimit_is_unknown_exit_3(capsys):
    assert main([*TLB_ONLY, "--rlimit", "1000"]) == 3
    assert "did not decide" in capsys.readouterr().out


def test_confirm_cvc5_agrees_on_upstream_tlb(capsys):
    solver("cvc5")
    assert main([*TLB_ONLY, "--confirm", "cvc5"]) == 0
    assert "--confirm cvc5: 0 disagreements" in capsys.readouterr().out


def test_confirm_replays_violated_traces(monkeypatch, capsys):
    solver("cvc5")
    monkeypatch.setitem(model.variants.VARIANTS, UPSTREAM, NoFlushUpstream)
    assert main([*TLB_ONLY, "--confirm", "cvc5"]) == 1  # the mismatch with expectations
    assert "--confirm cvc5: 0 disagreements" in capsys.readouterr().out


def test_confirm_without_cvc5_is_one_line_exit_3(monkeypatch, capsys):
    import proofs.confirm
    monkeypatch.setattr(proofs.confirm, "available", lambda name: False)
    assert main([*TLB_ONLY, "--confirm", "cvc5"]) == 3
    err = capsys.readouterr().err
    assert "cvc5" in err and len(err.strip().splitlines()) == 1


def test_confirm_disagreement_is_loud_and_exit_1(monkeypatch, capsys):
    # A second solver that answers sat on everything contradicts every proof.
    import proofs.confirm
    from proofs.solver import Answer

    solver("cvc5")
    monkeypatch.setattr(proofs.confirm, "check", lambda formula, solver, timeout_ms: Answer("sat"))
    assert main([*TLB_ONLY, "--confirm", "cvc5"]) == 1
    out = capsys.readouterr().out
    assert "DISAGREEMENT: riscv-pt-upstream tlb" in out and "on the step query" in out
    assert "--confirm cvc5: 4 disagreements" in out


def _vectors_dir(tmp_path, dest: str, edit=lambda text: text, source: str = "riscv-pt-v5/enc-mapping.json") -> str:
    """A vectors directory holding the committed vector `source` at `dest`, changed by `edit`."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "counterexamples" / source).read_text()
    (tmp_path / dest).parent.mkdir(parents=True)
    (tmp_path / dest).write_text(edit(text))
    return str(tmp_path)


ENC_V5 = ["prove", "--variant", "riscv-pt-v5", "--invariant", "enc-mapping", "--jobs", "1"]


def test_prove_vectors_passes_when_the_vectors_are_what_the_run_produces(tmp_path, capsys):
    assert main([*ENC_V5, "--vectors", _vectors_dir(tmp_path, "riscv-pt-v5/enc-mapping.json")]) == 0
    assert "1 counterexample vectors under" in capsys.readouterr().out


def test_prove_vectors_exits_1_on_a_differing_vector(tmp_path, capsys):
    """The verdicts match the expectations (0), but the committed vector differs: the run fails."""
    directory = _vectors_dir(tmp_path, "riscv-pt-v5/enc-mapping.json",
                             lambda text: text.replace('"solver": "z3"', '"solver": "z3 (edited)"'))
    assert main([*ENC_V5, "--vectors", directory]) == 1
    out = capsys.readouterr().out
    assert "all 1 verdicts match the expectations" in out and "VECTOR DIFFERS" in out


def test_prove_vectors_exits_1_on_a_stale_vector(tmp_path, capsys):
    """A vector for an obligation this run proves is stale."""
    directory = _vectors_dir(tmp_path, "riscv-pt-v9/enc-mapping.json")
    assert main(["prove", "--variant", "riscv-pt-v9", "--invariant", "enc-mapping", "--jobs", "1",
                 "--vectors", directory]) == 1
    assert "STALE VECTOR" in capsys.readouterr().out
