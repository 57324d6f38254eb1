"""The solver, not the test, finds the seed 004 review's bugs; upstream's split proves."""
from __future__ import annotations

import pytest

from model.riscv.p2m_state import P2MGeometry
from model.riscv.p2m_upstream import RiscvP2MUpstream
from model.riscv.p2m_v2 import RiscvP2MV2
from proofs.engine import Settings
from proofs.errors import UsageError
from proofs.p2m.check import _trace, step_check
from proofs.p2m.invariants import OBLIGATIONS
from proofs.p2m.split import split_check
from proofs.p2m.system import run_system

GEO = P2MGeometry(idx_bits=1, pool=2)


def test_split_overflow_of_32_bit_i_is_found_at_level_4_and_fixed_upstream():
    bad = split_check(RiscvP2MV2, "sv57x4", 4, 3, "z3", 120_000)
    assert bad.status == "cti"
    cx = bad.counterexample
    assert cx["call"]["level"] == 4 and cx["before"]["mfn"] != cx["after"].get("mfn")
    good = split_check(RiscvP2MUpstream, "sv57x4", 4, 3, "z3", 120_000)
    assert good.status == "proved" and good.vacuity is True


def test_wrong_way_descend_loop_is_a_two_call_trace():
    trace = _trace(RiscvP2MV2(GEO), OBLIGATIONS["footprint"], (1, 0), "z3", 120_000, None)
    assert trace and [s["order"] for s in trace["steps"]] == [1, 0]
    assert trace["other_gfn"]["ok"] and trace["other_gfn"]["after"] != {
        k: v for k, v in trace["other_gfn"].items() if k != "after"}
    assert _trace(RiscvP2MUpstream(GEO), OBLIGATIONS["footprint"], (1, 0), "z3", 120_000,
                  None) == {}


def test_one_step_proof_has_a_vacuity_witness():
    out = step_check(RiscvP2MUpstream(GEO), OBLIGATIONS["no-leak"], 2, "z3", 120_000)
    assert out.status == "proved" and out.vacuity is True


def test_unknown_variant_is_a_usage_error():
    with pytest.raises(UsageError):
        run_system(["riscv-p2m-v7"], ["no-leak"], Settings(jobs=1))
