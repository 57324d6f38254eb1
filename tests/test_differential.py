"""Differential testing: random concrete runs against the solver's verdicts.

Hypothesis draws call sequences from the initial state and perturbed states;
the concrete interpreter runs them and every obligation is evaluated
concretely (proofs/systems/riscv_pt/differential.py).  No obligation the expectations file says
is proved may break, and what does break must be what the solver reports: the
same obligation is not proved, and BMC finds a trace within the same number
of steps.  Examples are few and derandomized so the suite stays fast and
repeatable.
"""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from model.riscv.machine import OP_IDS, OP_MAP, PC_HALTED, PC_IDLE, initial_state
from model.term import bv
from proofs.systems.riscv_pt.contract import WX_REQUEST
from proofs.systems.riscv_pt.differential import (ADDRESS_FREE, assumptions_hold, calls, executed, run_calls, states,
                                 violations_of, witnesses)
from proofs.systems.riscv_pt.theorem import OBLIGATIONS
from proofs.expectations import load_expectations

from proofs.systems.walk import View
from proofs.systems.riscv_pt.trace import ConcreteCall
from tests.helpers import ALL_VERSIONS, MFN, VA, V5, rv_bmc, variant

EXPECTED = load_expectations("proofs/expectations.json")
FAST = settings(max_examples=12, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))


def proved(name: str) -> set[str]:
    return {oid for oid in OBLIGATIONS
            if (e := EXPECTED.get(name, oid)) is not None and e.verdict == "proved"}


@pytest.mark.parametrize("name", ALL_VERSIONS)
def test_random_call_sequences_break_only_what_the_solver_does_not_prove(name):
    v = variant(name)
    seen: Counter = Counter()

    @FAST
    @given(calls(v, 3))
    def run(seq):
        for x in run_calls(v, seq, step_budget=12):
            seen[x.key()] += 1
            assert x.invariant not in proved(name), (
                f"{name}: {x.invariant} is expected proved but breaks concretely in {x.operation} "
                f"at step {x.steps}, va {x.va:#x}, calls {[c.describe() for c in x.calls]}")

    run()
    # the generator reaches real bugs (so the check above is not vacuous)
    assert any(oid not in proved(name) for oid, _ in seen), seen


@pytest.mark.parametrize("name", ALL_VERSIONS)
def test_random_states_never_break_a_proved_step(name):
    """A one-step proof says: from any state where its lemmas hold, the step keeps
    the invariant.  Perturbed states (entries and loop variables overwritten)
    test exactly that on the concrete interpreter."""
    v = variant(name)
    judged: Counter = Counter()
    default = ConcreteCall(OP_MAP, (VA, MFN, 1, v.FLAG_PRESETS[0]))

    @FAST
    @given(states(v))
    def run(state_and_call):
        s, loop = state_and_call
        step = v.step(s, (loop or default).call())
        if int(step.post.pc) == PC_HALTED:
            return
        vas = witnesses(loop or default)
        for oid in sorted(proved(name)):
            for va in vas[:1] if oid in ADDRESS_FREE else vas:
                if not assumptions_hold(v, s, oid, [va]):
                    continue
                judged[oid] += 1
                assert bool(OBLIGATIONS[oid].holds(View(v, executed(step), bv(va, 64)))), (
                    f"{name}: {oid} is proved but a state satisfying its lemmas breaks it at {va:#x}")

    run()
    assert len(judged) >= len(proved(name)) // 2, judged  # most proofs were really exercised


def test_executed_steps_judge_like_full_steps():
    """Dropping the writes whose guard is false changes no concrete verdict."""
    v = variant(V5)
    s = initial_state(v.geo)
    seq = [ConcreteCall(0, (VA, MFN, 1, 0x0b)), ConcreteCall(0, (VA, 0xFFFFFFFFFFFFFFFF, 1, 0x07))]  # RX, then RW
    verdicts = []
    for c in seq:
        while True:
            step = v.step(s, c.call())
            for va in witnesses(c)[:3]:
                full = [bool(inv.holds(View(v, step, bv(va, 64)))) for inv in OBLIGATIONS.values()]
                cut = [bool(inv.holds(View(v, executed(step), bv(va, 64)))) for inv in OBLIGATIONS.values()]
                assert full == cut
                verdicts += full
            s = step.post
            if int(s.pc) == PC_IDLE or int(s.pc) == PC_HALTED:
                break
    assert not all(verdicts)  # this run breaks something (v5's OR-ing modify), so both sides were tested


def _short_violation(v, name):
    """The first sequence hypothesis finds that breaks something within 3 steps."""
    def breaks(seq):
        return any(x.steps <= 3 for x in run_calls(v, seq, step_budget=3))

    return find(calls(v, 2), breaks, settings=settings(max_examples=200, derandomize=True, database=None,
                                                       deadline=None,
                                                       phases=[Phase.generate, Phase.shrink],
                                                       suppress_health_check=list(HealthCheck)))


@pytest.mark.parametrize("name", ALL_VERSIONS)
def test_concrete_violations_are_found_by_bmc(name):
    """Whatever random testing breaks in k steps, BMC from the initial state breaks
    within k steps too (same bounds: pool, mode, contract)."""
    v = variant(name)
    seq = _short_violation(v, name)
    found = [x for x in run_calls(v, seq, step_budget=3) if x.steps <= 3]
    assert found
    for x in found[:2]:
        out = rv_bmc(v, OBLIGATIONS[x.invariant], OP_IDS[x.operation], x.steps)
        assert out.status == "violated" and out.depth <= x.steps, (name, x, out.status)


def test_a_violation_in_a_proved_obligation_would_be_reported():
    """The check itself can fail: a concrete step that breaks `wx` is reported as such."""
    from tests.helpers import SkipsWxCheck

    v = variant(SkipsWxCheck)
    found = run_calls(v, [ConcreteCall(OP_MAP, (VA, MFN, 1, WX_REQUEST))], step_budget=4)
    assert "wx" in {x.invariant for x in found} and "wx" in proved("riscv-pt-upstream")


def test_violations_of_skips_halted_steps():
    v = variant(V5)
    s = initial_state(v.geo)
    step = v.step(s, ConcreteCall(OP_MAP, (VA, 0xFFFFFFFFFFFFFFFF, 1, 0)).call())  # the ASSERT fails
    assert int(step.post.pc) == PC_HALTED
    assert violations_of(v, step, [VA], OP_MAP, 1, ()) == []


