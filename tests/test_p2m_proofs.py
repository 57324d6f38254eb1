"""The solver, not the test, finds the seed 004 review's bugs; upstream's split proves."""
from __future__ import annotations

import pytest

from model.riscv.p2m_upstream import RiscvP2MUpstream
from model.riscv.p2m_v2 import RiscvP2MV2
from proofs import systems
from proofs.engine import Settings
from proofs.engine.search import search
from proofs.engine.solver import check
from proofs.engine.step import step_check
from proofs.errors import UsageError
from proofs.systems.p2m.machine import machine
from proofs.systems.p2m.split import split_check
from proofs.systems.p2m.theorem import OBLIGATIONS


def ask(formula):
    return check(formula.node(), "z3", 120_000)


def test_split_overflow_of_32_bit_i_is_found_at_level_4_and_fixed_upstream():
    bad = split_check(RiscvP2MV2, "sv57x4", 4, 3, ask)
    assert bad.status == "cti"
    cx = bad.counterexample
    assert cx["call"]["level"] == 4 and cx["before"]["mfn"] != cx["after"].get("mfn")
    good = split_check(RiscvP2MUpstream, "sv57x4", 4, 3, ask)
    assert good.status == "proved" and good.vacuity is True


def test_wrong_way_descend_loop_is_a_two_call_trace():
    """v2 breaks footprint with a 4K call after a superpage (any shape first: the
    search chooses); upstream's only trace within two calls is the failed split of a
    foreign superpage (its children's type is read from a metadata page that is not there)."""
    (found,) = search(machine("riscv-p2m-v2", Settings()), [(OBLIGATIONS["footprint"], "set-4k")],
                      2, Settings().search_solver, 120_000)
    assert (found.status, found.depth) == ("violated", 2)
    trace = found.decoded
    assert [s["order"] for s in trace["steps"]][-1] == 0 and trace["steps"][0]["order"] > 0
    assert trace["other_gfn"]["ok"] and trace["other_gfn"]["after"] != {
        k: v for k, v in trace["other_gfn"].items() if k != "after"}
    (up,) = search(machine("riscv-p2m-upstream", Settings()),
                   [(OBLIGATIONS["footprint"], "set-4k")], 2, Settings().search_solver, 120_000)
    assert (up.status, up.depth) == ("violated", 2)
    first, last = up.decoded["steps"]
    assert first["type"].startswith("p2m_map_foreign") and first["order"] == 1 and last["order"] == 0


def test_one_step_proof_has_a_vacuity_witness():
    out = step_check(machine("riscv-p2m-upstream", Settings()), OBLIGATIONS["no-leak"], "set-1g",
                     "z3", 120_000)
    assert out.status == "proved" and out.vacuity is True


def test_unknown_variant_is_a_usage_error():
    with pytest.raises(UsageError):
        systems.system("p2m").run(["riscv-p2m-v7"], ["no-leak"], Settings(jobs=1))


def test_p2m_entries_widens_the_tables_and_the_bounds_say_so(capsys):
    """`--p2m-entries 4`: the p2m machine's tables have 4 entries (the bounds of every
    result name it); a width that is not a power of 2 up to 512 is one line, exit 2."""
    from proofs.cli import main
    from proofs.engine.settings import Settings
    from proofs.systems.p2m.machine import machine

    wide = machine("riscv-p2m-v5", Settings(p2m_entries=4))
    assert wide.m.geo.entries == 4 and wide.bounds()["entries_per_table"] == 4
    assert "reduced: 4 entries" in wide.bounds()["table_width"]
    assert machine("riscv-p2m-v5", Settings()).m.geo.entries == 2
    for bad in ("3", "1024", "x"):
        assert main(["prove", "--system", "p2m", "--p2m-entries", bad]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--p2m-entries" in err[0], err
    assert main(["prove", "--system", "p2m", "--p2m-entries", "4", "--vectors", "counterexamples"]) == 2
    assert "not with --vectors" in capsys.readouterr().err
    from proofs.systems.p2m.vectors import machine_of
    assert machine_of("riscv-p2m-v5").m.geo.entries == 2  # what the vectors are written with
    from proofs import sweep
    assert "--p2m-entries" in sweep.CONFIGS["p2m-wide"] and "--vectors" not in sweep.CONFIGS["p2m-wide"]
