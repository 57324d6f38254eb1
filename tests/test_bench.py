"""`make bench` machinery: arguments, a tiny run's JSON and plot, the solver runners.
Nothing here asserts a time."""
from __future__ import annotations

import json

import pytest

from proofs import bench


@pytest.mark.parametrize("args", [["--only", "nope"], ["--variants", "nope"], ["--modes", "sv39x4"],
                                  ["--runs", "0"]])
def test_bad_arguments_exit_2_with_one_line(args, capsys):
    with pytest.raises(SystemExit) as e:
        bench.parse(args)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad argument" in err[0]


def test_quick_defaults_are_small_and_full_defaults_are_the_issue_s():
    q, full = bench.parse(["--quick"]), bench.parse([])
    assert q.runs == 1 and q.max_depth == 3 and "prove" not in q.only
    assert full.runs == 5 and full.max_depth == 8 and full.modes == ["sv39", "sv48", "sv57"]
    assert full.only == list(bench.SECTIONS)


def test_a_depth_curve_writes_json_a_png_and_a_table(tmp_path, capsys):
    assert bench.main(["--only", "depth", "--max-depth", "2", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "bench.json").read_text())
    (label, points), = data["depth"]["series"].items()
    assert [p[0] for p in points] == [1, 2] and all(p[1] > 0 for p in points)
    assert (tmp_path / "depth.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert "| depth: BMC wx map" in out and "not headline figures" in out


@pytest.mark.parametrize("solver", ["z3", "cvc5", "bitwuzla"])
def test_each_solver_runner_reads_a_script_and_answers(solver, tmp_path):
    if not bench._importable(solver):
        pytest.skip(f"{solver} not installed (the bench extra)")
    sat = tmp_path / "sat.smt2"
    sat.write_text("(set-logic QF_BV)\n(declare-fun x () (_ BitVec 8))\n(assert (= (bvadd x #x01) #x00))\n(check-sat)\n")
    unsat = tmp_path / "unsat.smt2"
    unsat.write_text("(set-logic QF_BV)\n(declare-fun x () (_ BitVec 8))\n(assert (distinct x x))\n(check-sat)\n")
    assert bench.solve_file(solver, sat, 60)[0] == "sat"
    assert bench.solve_file(solver, unsat, 60)[0] == "unsat"
    junk = tmp_path / "junk.smt2"
    junk.write_text("(assert\n")
    assert bench.solve_file(solver, junk, 60)[0] == "error"
