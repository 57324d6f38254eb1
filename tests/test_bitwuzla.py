"""Bitwuzla behind the engine's solver interface (proofs/engine/bitwuzla.py): the
translation of every operator the models use, models read back, and the BMC search
on it finding the traces z3 finds."""
from __future__ import annotations

import pytest
from pysmt import shortcuts as S
from pysmt.typing import BV8, BV64, FunctionType

from needs import solver
from proofs.cli import main
from proofs.engine.solver import SAT, UNSAT, Incremental, check
from proofs.errors import SolverError

# names of their own: pysmt's symbols are global to the process (another test may use "x")
x, y = S.Symbol("bitwuzla_test_x", BV8), S.Symbol("bitwuzla_test_y", BV8)
f = S.Symbol("bitwuzla_test_f", FunctionType(BV8, [BV8]))

# (formula, z3's answer): each pins one operator's meaning (a swapped operand, a wrong
# index or kind turns sat into unsat or back); the models are checked on the formula
CASES = [
    (S.And(S.BVULT(x, y), S.BVULE(y, x)), UNSAT),
    (S.And(S.BVULT(x, y), S.Equals(x, S.BV(200, 8))), SAT),
    (S.Equals(S.BVSub(x, y), S.BV(3, 8)) & S.Equals(y, S.BV(250, 8)), SAT),
    (S.Equals(S.BVExtract(S.BV(0xA5, 8), 4, 7), S.BV(0xA, 4)), SAT),
    (S.Equals(S.BVExtract(S.BV(0xA5, 8), 0, 3), S.BV(0xA, 4)), UNSAT),
    (S.Equals(S.BVZExt(x, 8), S.BV(0x00FF, 16)), SAT),
    (S.Equals(S.BVSExt(x, 8), S.BV(0x00FF, 16)), UNSAT),
    (S.Equals(S.BVRol(S.BV(0x81, 8), 1), S.BV(0x03, 8)), SAT),
    (S.Equals(S.BVRor(S.BV(0x81, 8), 1), S.BV(0xC0, 8)), SAT),
    (S.Equals(S.BVLShr(S.BV(0x80, 8), S.BV(7, 8)), S.BV(1, 8)), SAT),
    (S.Equals(S.BVAShr(S.BV(0x80, 8), S.BV(7, 8)), S.BV(0xFF, 8)), SAT),
    (S.Equals(S.BVLShl(x, S.BV(4, 8)), S.BV(0x50, 8)) & S.BVUGT(x, S.BV(0x10, 8)), SAT),
    (S.BVSLT(x, S.BV(0, 8)) & S.BVUGE(S.BV(127, 8), x), UNSAT),
    (S.Equals(S.BVConcat(x, y), S.BV(0x1234, 16)) & S.Equals(x, S.BV(0x34, 8)), UNSAT),
    (S.Equals(S.BVURem(x, S.BV(7, 8)), S.BV(6, 8)) & S.Equals(S.BVUDiv(x, S.BV(7, 8)), S.BV(2, 8)), SAT),
    (S.Equals(S.BVMul(x, S.BV(3, 8)), S.BV(9, 8)) & S.Not(S.Equals(x, S.BV(3, 8))), UNSAT),
    (S.Ite(S.Equals(x, y), S.TRUE(), S.FALSE()) & S.Not(S.Equals(S.BVXor(x, y), S.BV(0, 8))), UNSAT),
    (S.Implies(S.Equals(x, S.BV(1, 8)), S.Equals(y, S.BV(2, 8))) & S.Equals(x, S.BV(1, 8)), SAT),
    (S.Equals(S.Function(f, [x]), S.BV(5, 8)) & S.Equals(S.Function(f, [y]), S.BV(6, 8))
     & S.Equals(x, y), UNSAT),
    (S.Equals(S.Function(f, [x]), S.BV(5, 8)) & S.Equals(S.Function(f, [y]), S.BV(6, 8)), SAT),
]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_each_operator_means_what_z3_says_and_the_model_satisfies_it(k):
    solver("bitwuzla")
    formula, expected = CASES[k]
    assert check(formula, "z3").status == expected
    got = check(formula, "bitwuzla")
    assert got.status == expected
    if expected == SAT:  # the model read back makes the formula true
        assert got.model.get_value(formula).is_true()


def test_a_model_survives_the_frame_it_was_found_in():
    """The BMC takes the model after `check_with` popped its frame."""
    solver("bitwuzla")
    a = S.Symbol("bitwuzla_test_a", BV64)
    inc = Incremental("bitwuzla", 10_000)
    inc.add(S.BVUGT(a, S.BV(10, 64)))
    ans = inc.check_with(S.BVULT(a, S.BV(12, 64)))
    inc.close()
    assert ans.status == SAT and ans.model.get_value(a).constant_value() == 11


def test_a_term_bitwuzla_is_not_given_is_one_error():
    solver("bitwuzla")
    n = S.Symbol("bitwuzla_test_n", S.INT)
    with pytest.raises(SolverError, match="bitwuzla"):
        check(S.GT(n, S.Int(0)), "bitwuzla")


def test_the_search_finds_v5s_wx_trace_on_bitwuzla_as_on_z3():
    solver("bitwuzla")
    from proofs.engine import Settings
    from proofs.engine.search import VIOLATED, search
    from proofs.systems.riscv_pt.machine import machine
    from proofs.systems.riscv_pt.theorem import OBLIGATIONS

    m = machine("riscv-pt-v5", Settings())
    found = {s: search(m, [(OBLIGATIONS["wx"], "map")], 4, s, 60_000)[0]
             for s in ("z3", "bitwuzla")}
    assert {f.status for f in found.values()} == {VIOLATED}
    assert found["z3"].depth == found["bitwuzla"].depth  # both shortest; each replayed concretely


def test_rlimit_is_z3s_and_the_search_solver_is_in_the_results(tmp_path, capsys):
    solver("bitwuzla")
    argv = ["prove", "--variant", "riscv-pt-v5", "--invariant", "wx", "--depth", "4"]
    assert main(argv + ["--rlimit", "1000000", "--search-solver", "bitwuzla"]) == 2
    assert "--rlimit" in capsys.readouterr().err
    report = tmp_path / "r.json"
    assert main(argv + ["--json", str(report)]) == 0  # no --vectors: every trace is searched
    import json
    data = json.loads(report.read_text())
    searched = [r for r in data["results"] if r["extra"].get("established_by") == "search"]
    assert searched and {r["extra"]["search_solver"] for r in searched} == {"bitwuzla"}
    assert set(data["meta"]["solvers"]) == {"z3", "bitwuzla"}
    assert "bitwuzla" in capsys.readouterr().out


