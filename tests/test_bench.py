"""`make bench` machinery: arguments, a tiny run's JSON and plot, the solver runners.
Nothing here asserts a time."""
from __future__ import annotations

import json

import pytest

from needs import require
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
    require(bench._importable(solver), f"solver {solver} is not installed (the bench extra)")
    sat = tmp_path / "sat.smt2"
    sat.write_text("(set-logic QF_BV)\n(declare-fun x () (_ BitVec 8))\n(assert (= (bvadd x #x01) #x00))\n(check-sat)\n")
    unsat = tmp_path / "unsat.smt2"
    unsat.write_text("(set-logic QF_BV)\n(declare-fun x () (_ BitVec 8))\n(assert (distinct x x))\n(check-sat)\n")
    assert bench.solve_file(solver, sat, 60)[0] == "sat"
    assert bench.solve_file(solver, unsat, 60)[0] == "unsat"
    junk = tmp_path / "junk.smt2"
    junk.write_text("(assert\n")
    assert bench.solve_file(solver, junk, 60)[0] == "error"


#: the derandomized p2m search draws the refcount trace as its 15th run: the budget, in runs, the
#: test allows it (no time limit: a loaded machine is slower, not worse)
RUNS_BUDGET = 40


def _untimed(name: str, inv: str, op: str, budget_s: float):
    """The p2m random search without its wall-clock budget (the derandomized draw order bounds it)."""
    return bench.p2m_random_search(name, inv, op, float("inf"))


def test_a_p2m_race_row_finds_the_refcount_trace_both_ways_and_tabulates_in_calls():
    """One p2m row of the random section: BMC's trace (1 call since metadata pages are
    modelled: a foreign leaf whose metadata page cannot be allocated keeps the caller's
    reference), and the random runner's within a budget of runs, not of seconds."""
    name, inv, op = bench.P2M_SEED_FINDINGS["upstream p2m: a foreign leaf replaced by another frame puts "
                                             "no reference"]
    row = bench._race("refcount", name, inv, op, "calls", lambda: bench._p2m_bmc(name, inv, op, 300_000),
                      _untimed, 30.0, lambda line: None)
    assert row["bmc"] == "violated" and row["bmc_steps"] == 1
    assert row["random_s"] is not None and 1 <= row["random_tried"] <= RUNS_BUDGET
    table = bench.summary_table({"random": {"rows": [row]}})
    assert f"first counterexample: {name} refcount set-4k" in table and "(1 calls)" in table


def test_random_search_reports_none_when_the_budget_runs_out():
    """A proved p2m obligation is never broken: no time, and some sequences were tried."""
    t, tried = bench.p2m_random_search("riscv-p2m-upstream", "no-leak", "set-4k", 1.0)
    assert t is None and tried > 0


def test_a_depth_that_timed_out_is_shown_as_unknown_not_as_a_cost():
    report = {"depth": {"series": {"BMC wx map": [[7, 7.5], [8, 68.6]]}, "unknown_at": [8]}}
    row = next(line for line in bench.summary_table(report).splitlines() if "depth:" in line)
    assert "7 steps: 7.50 s" in row and "8 steps: unknown (timeout)" in row and "68.6" not in row


@pytest.mark.slow  # three `prove` processes, one in a checkout of the baseline (17 s); make bench runs it
def test_engines_runs_the_baseline_and_this_engine_side_by_side(tmp_path, capsys):
    """One system through the baseline revision's engine and this one: same verdicts, a ratio."""
    assert bench.main(["--only", "engines", "--systems", "riscv-fixmap", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "bench.json").read_text())["engines"]
    [row] = data["rows"]
    assert row["system"] == "riscv-fixmap" and row["same_verdicts"] is True
    assert {k: row[k]["exit"] for k in ("baseline", "new", "new --search-all")} == \
        {"baseline": 0, "new": 0, "new --search-all": 0}
    assert row["ratio"] > 0 and data["baseline"] == bench.BASELINE_REV
    assert "| engines: riscv-fixmap | baseline" in capsys.readouterr().out


def test_engines_hold_the_baseline_to_the_obligations_both_trees_decide():
    """The baseline predates obligations added since: those are counted apart, not a difference;
    a common obligation with another verdict, or any difference from --search-all, is one."""
    base = {("v", "wx", "map"): "proved", ("v", "old", "map"): "proved"}
    new = {("v", "wx", "map"): "proved", ("v", "return", "map"): "violated"}
    row = bench.compare_verdicts(base, new, dict(new))
    assert (row["common"], row["new_only"], row["baseline_only"], row["same_verdicts"]) == (1, 1, 1, True)
    assert "1 of 1 common verdicts the same" in bench.verdict_line(row)
    changed = bench.compare_verdicts(base, {**new, ("v", "wx", "map"): "violated"}, {**new, ("v", "wx", "map"): "violated"})
    assert changed["same_verdicts"] is False and changed["differ_from_baseline"] == [["v", "wx", "map", "proved", "violated"]]
    assert "DIFFER: v wx map proved->violated" in bench.verdict_line(changed)
    searched = bench.compare_verdicts(base, new, {("v", "wx", "map"): "proved"})
    assert searched["same_verdicts"] is False and "--search-all DIFFERS on 1" in bench.verdict_line(searched)


def test_engines_names_a_revision_it_cannot_read(tmp_path, capsys):
    assert bench.main(["--only", "engines", "--baseline", "no-such-rev", "--out", str(tmp_path)]) == 0
    assert "cannot read revision no-such-rev" in capsys.readouterr().out


def test_the_bench_times_make_proves_own_command():
    """`make bench`'s prove section runs what `make prove` runs: the Makefile's flags."""
    from pathlib import Path

    line = next(x for x in (Path(__file__).resolve().parents[1] / "Makefile").read_text().splitlines()
                if "ptprove prove" in x)
    flags = line.split("ptprove prove", 1)[1].split()
    kept = [f for i, f in enumerate(flags) if f not in ("--json", "--junit", "--vectors")
            and (i == 0 or flags[i - 1] not in ("--json", "--junit", "--vectors"))]
    assert tuple(kept) == bench.MAKE_PROVE


def test_the_whole_runs_figures_come_from_its_report(tmp_path):
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"results": [
        {"system": "p2m", "variant": "v", "invariant": "i", "operation": f"op{k} (x)", "seconds": s}
        for k, s in enumerate([0.01, 0.02, 6.0, 0.03, 9.5])]}))
    a = bench.overall(report, lambda _: None)
    assert (a["obligations"], a["median_s"], a["over_5s"]) == (5, 0.03, 2)
    assert a["slowest"][0] == [9.5, "v i op4"]
    assert bench.overall(tmp_path / "none.json", lambda _: None) == {}
