"""Every error a user can provoke: one line on stderr, its exit status, no
traceback, and (for a bad output path or an empty selection) no work done first."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from proofs.cli import main

ROOT = Path(__file__).resolve().parent.parent
VECTOR = str(ROOT / "counterexamples" / "riscv-pt-v5" / "wx.json")
FAST = ["--variant", "riscv-pt-upstream", "--invariant", "refusal", "--jobs", "1"]
UNWRITABLE = "/proc/ptprove-test"  # no file or directory can be created under /proc

# argv (TMP is the test's tmp_path), exit status, a fragment of the one stderr line,
# and whether stdout must stay empty (the error comes before any work)
CASES = [
    # an output that cannot be written: refused before any work
    pytest.param(["prove", *FAST, "--json", f"{UNWRITABLE}.json"], 2,
                 f"--json {UNWRITABLE}.json: cannot write", True, id="json-unwritable"),
    pytest.param(["prove", *FAST, "--junit", f"{UNWRITABLE}/junit.xml"], 2,
                 f"--junit {UNWRITABLE}/junit.xml: cannot write", True, id="junit-unwritable"),
    pytest.param(["prove", *FAST, "--json", "TMP"], 2,
                 "is a directory, a file is expected", True, id="json-is-a-directory"),
    pytest.param(["prove", *FAST, "--vectors", UNWRITABLE], 2,
                 f"--vectors {UNWRITABLE}: cannot write", True, id="vectors-unwritable"),
    pytest.param(["show", VECTOR, "--svg", f"{UNWRITABLE}.svg"], 2,
                 f"--svg {UNWRITABLE}.svg: cannot write", True, id="svg-unwritable"),
    pytest.param(["show", VECTOR, "--dot", f"{UNWRITABLE}.dot"], 2,
                 f"--dot {UNWRITABLE}.dot: cannot write", True, id="dot-unwritable"),
    pytest.param(["vectors", "--variant", "riscv-pt-v9", "--out", UNWRITABLE], 2,
                 f"--out {UNWRITABLE}: cannot write", True, id="vectors-out-unwritable"),
    pytest.param(["export", "--smtlib", UNWRITABLE, "--variant", "riscv-pt-upstream", "--invariant",
                  "enc-table"], 2, "ptprove-test", False, id="export-unwritable"),
    # no silent no-op
    pytest.param(["prove", "--variant", "riscv-p2m-v2", "--invariant", "wx"], 2,
                 "--invariant wx: not an obligation of the systems of the versions selected (p2m", True,
                 id="invariant-outside-systems"),
    pytest.param(["prove", "--system", "arm-pt", "--variant", "riscv-pt-v5"], 2,
                 "--variant riscv-pt-v5: not a version of system arm-pt", True, id="variant-outside-system"),
    pytest.param(["prove", "--variant", "riscv-pt-v5,arm-lpae", "--invariant", "wx"], 2,
                 "--variant arm-lpae: none of the obligations selected applies to it", True,
                 id="variant-without-obligations"),
    pytest.param(["prove", *FAST, "--update"], 2, "--update needs --vectors", True, id="update-without-vectors"),
    pytest.param(["pte", "decode", "-", "--level", "0"], 2, "no entries to decode", True,
                 id="decode-empty-stdin"),
    pytest.param(["prove", "--variant", "riscv-pt-v5", "--against", "riscv-p2m-v2"], 2,
                 "--against riscv-p2m-v2: riscv-pt-v5 and riscv-p2m-v2 share no system", True,
                 id="against-another-system"),
    pytest.param(["prove", "--against", "riscv-pt-v9"], 2, "--against needs --variant NEW", True,
                 id="against-without-variant"),
    # usage: one prefix, the subcommand named once
    pytest.param(["prove", "--depth", "0"], 2, "error: prove: argument --depth: must be at least 1", True,
                 id="usage-one-prefix"),
    pytest.param(["prove", "--system", "nope"], 2, "unknown system nope", True, id="unknown-system"),
    pytest.param(["nope"], 2, "invalid choice: 'nope'", True, id="unknown-command"),
    pytest.param(["replay", "TMP/bad.json"], 2, "bad.json: cannot read", False, id="replay-missing-file"),
]


@pytest.mark.parametrize("argv, status, fragment, quiet", CASES)
def test_bad_input_is_one_line_and_its_exit_status(argv, status, fragment, quiet, tmp_path, monkeypatch,
                                                   capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    argv = [a.replace("TMP", str(tmp_path)) for a in argv]
    assert main(argv) == status
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("ptprove: error: ") and "ptprove: error: ptprove" not in err
    assert fragment in err and "Traceback" not in err
    if quiet:
        assert out == ""


def test_replay_of_a_directory_names_each_bad_file_and_goes_on(tmp_path, capsys):
    shutil.copy(VECTOR, tmp_path / "good.json")
    (tmp_path / "a-bad.json").write_text("{not json")
    (tmp_path / "b-bad.json").write_text(json.dumps({"format": "ptprove-vector", "format_version": 99}))
    assert main(["replay", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith(f"BAD  {tmp_path / 'a-bad.json'}: not JSON")
    assert lines[1].startswith(f"BAD  {tmp_path / 'b-bad.json'}: vector format version 99")
    assert lines[2].startswith(f"ok   {tmp_path / 'good.json'}: riscv-pt-v5 wx reproduces on the model")
    assert lines[3] == "1 of 3 vectors reproduce on the model"
    assert len(err.splitlines()) == 1 and "a-bad.json" in err and "1 more unusable" in err


def test_a_vector_the_c_harness_cannot_run_is_model_only(tmp_path, monkeypatch, capsys):
    from proofs import c_harness

    class NoC:  # a harness that can run nothing: every vector is model only
        def __init__(self, *args):
            pass

        def not_comparable(self, vector):
            return "test harness"

        def close(self):
            pass

    monkeypatch.setattr(c_harness, "Harness", NoC)
    assert main(["replay", "--c-source", "pt.c", VECTOR]) == 0
    out = capsys.readouterr().out
    assert "reproduces on the model only (C not run: test harness)" in out
    assert "model and C" not in out.splitlines()[0]
    assert "1 of 1 vectors reproduce: 0 on the model and C, 1 on the model only (C not run)" in out


def test_interrupt_keeps_the_results_that_finished(tmp_path, monkeypatch, capsys):
    from proofs.engine.decide import Decision
    from proofs.report import report_schema
    from proofs.vector import validate

    real = Decision.results

    def results(self, *args):
        if self.mod.ID != "encodings":
            raise KeyboardInterrupt  # Ctrl-C during the second system
        return real(self, *args)

    monkeypatch.setattr(Decision, "results", results)
    report = tmp_path / "report.json"
    argv = ["prove", "--variant", "riscv-pt-upstream", "--invariant", "enc-table,refusal", "--jobs", "1"]
    assert main([*argv, "--json", str(report)]) == 130
    out, err = capsys.readouterr()
    assert err.startswith("ptprove: interrupted (Ctrl-C)") and len(err.splitlines()) == 1
    assert f"wrote {report}" in err and "riscv-pt: interrupted" in out
    data = json.loads(report.read_text())
    assert validate(data, report_schema()) == []
    assert (data["exit_status"], data["meta"]["complete"], data["comparison"]["compared"]) == (130, False, False)
    assert data["results"] and {r["system"] for r in data["results"]} == {"encodings"}


@pytest.mark.parametrize("jobs, sig, name", [
    ("2", signal.SIGINT, "Ctrl-C"),  # workers terminated
    ("1", signal.SIGINT, "Ctrl-C"),  # a query in this process left at once
    ("2", signal.SIGTERM, "SIGTERM"),  # a cancelled CI job
])
def test_ctrl_c_stops_the_run_in_one_line_with_exit_130(jobs, sig, name, tmp_path):
    report = tmp_path / "report.json"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    p = subprocess.Popen([sys.executable, "-m", "proofs", "prove", "--variant", "riscv-pt-v5,riscv-pt-v9",
                          "--invariant", "wx,tlb", "--jobs", jobs, "--json", str(report)],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    for line in p.stdout:  # the log shows the run advancing; interrupt once the proofs run
        if "riscv-pt: started" in line:
            break
    os.killpg(p.pid, sig)  # as a terminal's Ctrl-C: the whole process group
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, (out, err)
    assert err.startswith(f"ptprove: interrupted ({name})") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err + out
    data = json.loads(report.read_text())
    assert (data["exit_status"], data["meta"]["complete"]) == (130, False)


def test_after_ctrl_c_a_thread_it_broke_prints_no_traceback(monkeypatch):
    from proofs import interrupt

    seen = []
    quiet = interrupt._quiet_after_interrupt(seen.append)
    quiet("a thread's error")
    monkeypatch.setattr(interrupt, "_requested", type("Set", (), {"is_set": staticmethod(lambda: True)})())
    quiet("the executor's manager thread after Ctrl-C")
    assert seen == ["a thread's error"]


def test_a_missing_solver_is_one_line_exit_3_before_any_work(monkeypatch, capsys):
    import proofs.cmd_prove

    monkeypatch.setattr(proofs.cmd_prove, "available", lambda name: name != "cvc5")
    for flag in ("--solver", "--confirm"):
        assert main(["prove", *FAST, flag, "cvc5"]) == 3
        out, err = capsys.readouterr()
        assert out == "" and err == f"ptprove: error: {flag} cvc5: solver not installed (pip install cvc5)\n"


def test_a_bug_after_the_decisions_is_one_line_and_keeps_every_result(tmp_path, capsys, monkeypatch):
    """A crash of ptprove itself while it reports (here: the verdict tables) is one line, exit
    2, naming where it happened, and the JSON report holds every result already decided."""
    import proofs.cmd_prove as cmd

    def broken(*a, **k):
        raise AttributeError("'NoneType' object has no attribute 'p2m_entries'")

    monkeypatch.setattr(cmd, "render", broken)
    report = tmp_path / "r.json"
    assert main(["prove", "--system", "encodings", "--variant", "riscv-pt-upstream", "--jobs", "1",
                 "--json", str(report)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" in err[0] and "AttributeError" in err[0], err
    assert "test_cli_errors.py" in err[0] and str(report) in err[0]
    data = json.loads(report.read_text())
    assert data["exit_status"] == 2 and len(data["results"]) > 10
