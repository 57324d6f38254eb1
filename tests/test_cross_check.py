"""`prove --lifted-c`: each version's own pt.c, lifted, must give its model version's verdicts.

The cross-check line is computed from the results; these tests give it results that agree
and results that do not (a verdict, a compiled-C replay), and check the options it refuses.
The whole run is `make prove`'s (and test_c_version.py's slow tests)."""
from __future__ import annotations

import pytest

from proofs.cli import main
from proofs.cross_check import cross_check
from proofs.engine.result import Result

BASE, C = "riscv-pt-upstream", "riscv-pt-upstream-c"
PAIRS = [(C, BASE)]


def result(variant: str, invariant: str, op: str, verdict: str, compiled=None) -> Result:
    cex = {"compiled_c": compiled} if compiled is not None else None
    return Result(variant, invariant, op, verdict, {}, "z3", 0.0, system="riscv-pt", counterexample=cex)


def agreeing() -> list[Result]:
    return [result(BASE, "wx", "map", "proved"), result(C, "wx", "map", "proved"),
            result(BASE, "atomicity", "map", "violated"),
            result(C, "atomicity", "map", "violated", {"replayed": True, "compiler": "zig cc", "differences": []}),
            result(BASE, "functional", "destroy", "violated"),
            result(C, "functional", "destroy", "violated",
                   {"replayed": False, "why": "not run on the compiled C: the last call does not return"})]


def test_agreeing_results_give_one_line_with_what_ran_on_the_compiled_c():
    lines, ok = cross_check(agreeing(), PAIRS)
    assert ok and len(lines) == 1
    assert "on all 3 (obligation, operation) pairs" in lines[0]
    assert "1 reproduce" in lines[0] and "1 not run (the last call does not return)" in lines[0]


def test_a_verdict_the_c_does_not_share_is_a_difference():
    results = agreeing()
    results[1] = result(C, "wx", "map", "violated", {"replayed": True, "differences": []})
    lines, ok = cross_check(results, PAIRS)
    assert not ok
    assert any(line.startswith("  CROSS-CHECK DIFFERS: riscv-pt-upstream-c wx map: violated, "
                               "riscv-pt-upstream proved") for line in lines)


def test_a_result_the_base_does_not_have_is_a_difference():
    lines, ok = cross_check([*agreeing(), result(C, "tlb", "map", "proved")], PAIRS)
    assert not ok and any("tlb map: proved, riscv-pt-upstream not run" in line for line in lines)


def test_a_trace_the_compiled_c_runs_differently_is_a_difference():
    results = agreeing()
    results[3] = result(C, "atomicity", "map", "violated",
                        {"replayed": False, "compiler": "zig cc", "differences": ["call 1: rc 0, lifted -22"]})
    lines, ok = cross_check(results, PAIRS)
    assert not ok and "  COMPILED C DIFFERS: riscv-pt-upstream-c atomicity map: call 1: rc 0, lifted -22" in lines


@pytest.mark.parametrize("argv, words", [
    (["--lifted-c", "--c-source", __file__], "not with --c-source"),
    (["--lifted-c", "--system", "encodings"], "--system must include riscv-pt"),
    (["--lifted-c", "--variant", "arm-pt-rfc"], "no selected riscv-pt version"),
])
def test_options_it_refuses_are_one_line_and_exit_2(argv, words, capsys):
    assert main(["prove", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
