"""`ptprove prove` end to end: bad arguments, a broken version, --rlimit, --confirm."""
from __future__ import annotations

import json

import pytest

import proofs.systems.riscv_pt.versions as riscv_versions
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
    monkeypatch.setitem(riscv_versions.VERSIONS, UPSTREAM, NoFlushUpstream)
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
    monkeypatch.setitem(riscv_versions.VERSIONS, UPSTREAM, NoFlushUpstream)
    assert main([*TLB_ONLY, "--confirm", "cvc5"]) == 1  # the mismatch with expectations
    assert "--confirm cvc5: 0 disagreements" in capsys.readouterr().out


def test_confirm_without_cvc5_is_one_line_exit_3(monkeypatch, capsys):
    import proofs.engine.confirm as confirm_module
    monkeypatch.setattr(confirm_module, "available", lambda name: False)
    assert main([*TLB_ONLY, "--confirm", "cvc5"]) == 3
    err = capsys.readouterr().err
    assert "cvc5" in err and len(err.strip().splitlines()) == 1


def test_confirm_disagreement_is_loud_and_exit_1(monkeypatch, capsys):
    # A second solver that answers sat on everything contradicts every proof.
    import proofs.engine.confirm as confirm_module
    from proofs.engine.solver import Answer

    solver("cvc5")
    monkeypatch.setattr(confirm_module, "check", lambda formula, solver, timeout_ms: Answer("sat"))
    assert main([*TLB_ONLY, "--confirm", "cvc5"]) == 1
    out = capsys.readouterr().out
    assert "DISAGREEMENT: riscv-pt-upstream tlb" in out and "on the step query" in out
    assert "--confirm cvc5: 4 disagreements" in out


def _only_v9_tlb(tmp_path):
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"version": 1, "variants": {
        "riscv-pt-v9": {"tlb": {"verdict": "proved", "reason": "v9 flushes"}}}}, indent=2) + "\n")
    return exp


AGAINST_V9 = ["prove", "--variant", UPSTREAM, "--against", "riscv-pt-v9", "--invariant", "tlb", "--jobs", "1"]


def test_against_a_base_an_unrecorded_verdict_equal_to_the_base_matches(tmp_path, capsys):
    assert main([*AGAINST_V9, "--expectations", str(_only_v9_tlb(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert f"{UPSTREAM} against riscv-pt-v9: 0 of 1 verdicts differ" in out
    assert "not in expectations" not in out and "| obligation" not in out


def test_against_a_base_shows_only_the_verdict_that_differs(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(riscv_versions.VERSIONS, UPSTREAM, NoFlushUpstream)
    assert main([*AGAINST_V9, "--expectations", str(_only_v9_tlb(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert f"{UPSTREAM} against riscv-pt-v9: 1 of 1 verdicts differ" in out
    header = next(line for line in out.splitlines() if line.startswith("| obligation"))
    assert header.index("riscv-pt-v9") < header.index(UPSTREAM)  # the base first
    row = next(line for line in out.splitlines() if line.startswith("| tlb"))
    assert [c.strip() for c in row.split("|")[2:4]] == ["proved", "VIOLATED"]
    assert f"{UPSTREAM} tlb: differs from riscv-pt-v9: riscv-pt-v9 proved, {UPSTREAM} violated" in out


def test_record_expectations_writes_the_new_verdicts_with_reasons_to_fill_in(tmp_path, capsys):
    exp = _only_v9_tlb(tmp_path)
    assert main([*TLB_ONLY, "--expectations", str(exp), "--record-expectations"]) == 1  # new: not expected yet
    assert f"recorded 1 expectations in {exp}" in capsys.readouterr().out
    recorded = json.loads(exp.read_text())["variants"]
    assert recorded[UPSTREAM] == {"tlb": {"verdict": "proved", "reason": ""}}
    assert recorded["riscv-pt-v9"]["tlb"]["reason"] == "v9 flushes"  # never changed
    assert main([*TLB_ONLY, "--expectations", str(exp)]) == 2  # until each reason is written
    err = capsys.readouterr().err
    assert f"variants.{UPSTREAM}.tlb.reason: missing or empty" in err and len(err.splitlines()) == 1


def test_a_finding_names_its_canonical_vector(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["prove", "--variant", "riscv-pt-v5", "--invariant", "enc-mapping", "--jobs", "1"]
    assert main([*argv, "--vectors", "cx"]) == 0
    finding = next(line for line in capsys.readouterr().out.splitlines() if "enc-mapping VIOLATED" in line)
    assert "(cx/riscv-pt-v5/enc-mapping.json): entry 0x" in finding
    assert (tmp_path / "cx" / "riscv-pt-v5" / "enc-mapping.json").is_file()


def test_an_error_after_the_run_keeps_the_report(tmp_path, monkeypatch, capsys):
    import proofs.cmd_prove
    import proofs.engine.confirm as confirm_module
    from proofs.errors import SolverError

    def broken(*args):
        raise SolverError("cvc5 crashed")

    monkeypatch.setattr(confirm_module, "confirm", broken)
    monkeypatch.setattr(proofs.cmd_prove, "available", lambda name: True)
    report = tmp_path / "r.json"
    assert main([*TLB_ONLY, "--confirm", "cvc5", "--json", str(report)]) == 3
    assert capsys.readouterr().err == "ptprove: error: cvc5 crashed\n"
    data = json.loads(report.read_text())
    assert (data["exit_status"], data["meta"]["complete"], len(data["results"])) == (3, True, 4)


def test_a_report_that_cannot_be_written_leaves_the_other_written(tmp_path, monkeypatch, capsys):
    import proofs.cmd_prove
    from proofs.errors import UsageError

    def full_disk(*args):
        raise UsageError("--json r.json: cannot write: No space left on device")

    monkeypatch.setattr(proofs.cmd_prove, "write_json", full_disk)
    junit = tmp_path / "j.xml"
    assert main([*TLB_ONLY, "--json", str(tmp_path / "r.json"), "--junit", str(junit)]) == 2
    assert capsys.readouterr().err == "ptprove: error: --json r.json: cannot write: No space left on device\n"
    assert junit.read_text().count("<testcase") == 4
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
