"""Vacuity end to end: a proof whose assumptions cannot hold proves nothing, and
`ptprove prove` (so `make prove`) fails on it; every real proof carries a witness."""
from __future__ import annotations

import json

import proofs.systems.riscv_pt.machine as riscv_pt_machine
from model.term import FALSE, TRUE
from proofs.systems.encodings import theorem as encodings
from proofs.cli import main
from proofs.engine.result import Result

UPSTREAM = "riscv-pt-upstream"
TLB_ONLY = ["prove", "--variant", UPSTREAM, "--invariant", "tlb", "--jobs", "1"]


def test_every_proved_step_obligation_has_a_witness(tmp_path):
    report = tmp_path / "r.json"
    assert main([*TLB_ONLY, "--json", str(report)]) == 0
    proved = [r for r in json.loads(report.read_text())["results"] if r["verdict"] == "proved"]
    assert proved and all(r["vacuity"] is True for r in proved)


def test_an_unsatisfiable_contract_proves_vacuously_and_fails_the_run(tmp_path, monkeypatch, capsys):
    """A contract no call satisfies makes every step check unsat: without the
    vacuity witness that would read as proved.  The run must exit 1 and say why."""
    monkeypatch.setattr(riscv_pt_machine, "call_ok", lambda call, variant: FALSE)
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    assert main([*TLB_ONLY, "--json", str(report), "--junit", str(junit)]) == 1
    out = capsys.readouterr().out
    assert "proved without a vacuity witness" in out and "tlb" in out
    assert 'message="tlb: proved without a vacuity witness' in junit.read_text()  # CI shows it too
    results = json.loads(report.read_text())["results"]
    assert results and all(r["verdict"] == "proved" and r["vacuity"] is False for r in results)


def test_an_encoding_obligation_over_an_empty_domain_is_unknown_exit_3():
    empty = encodings.Obligation("enc-empty", "nothing", lambda s, p: (FALSE, TRUE), None, "x.py:1")
    subject = encodings.subjects([UPSTREAM])[0]
    verdict, _, detail, _, vacuity = encodings.check_obligation(empty, subject)
    assert (verdict, vacuity) == ("unknown", False) and "domain is empty" in detail
    r = Result(UPSTREAM, "enc-empty", "-", verdict, {}, "z3", 0.0, vacuity=vacuity, detail=detail)
    from proofs.expectations import exit_status

    assert exit_status([], [r]) == 3
