"""Differential testing of the p2m model: random concrete runs against the solver's verdicts.

Hypothesis draws p2m_set_entry call sequences from the initial state and
perturbed reachable states; the concrete interpreter runs them and every p2m
obligation is judged concretely (proofs/systems/p2m/differential.py).  No obligation
the expectations file says is proved may break; what does break is not
expected proved and p2m BMC finds it within as many calls; a catalogued mutant
is caught, so the check can fail.  Few derandomized examples keep it fast.
"""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from proofs.expectations import load_expectations
from proofs.mutant import select
from proofs.engine.search import search
from proofs.systems.p2m.differential import (CALL_OBLIGATIONS, WATCHES, P2MCall, assumptions_hold, run_calls,
                                     runs, states, violations_after)
from proofs.systems.p2m.machine import GEOMETRY, P2MMachine, run_call
from proofs.systems.p2m.theorem import OBLIGATIONS
from proofs.systems.p2m.versions import VERSIONS as VARIANT_CLASSES
from model.riscv.p2m_state import Oracle

EXPECTED = load_expectations("proofs/expectations.json")
VERSIONS = list(VARIANT_CLASSES)
FAST = settings(max_examples=40, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))


def proved(name: str) -> set[str]:
    return {o for o in CALL_OBLIGATIONS
            if (e := EXPECTED.get(name, o)) is not None and e.verdict == "proved"}


def model(name: str):
    """On the geometry the version's results state (upstream: a pool of 3 for metadata pages)."""
    from proofs.systems.p2m.machine import geometry

    return VARIANT_CLASSES[name](geometry(name))


def _where(x) -> str:
    return f"after call {x.steps} at gfn {x.va:#x}: {[c.describe() for c in x.calls]}"


@pytest.mark.parametrize("name", VERSIONS)
def test_random_calls_break_only_what_the_expectations_do_not_prove(name):
    m, seen = model(name), Counter()

    @FAST
    @given(runs(m, 3))
    def run(seq_and_watch):
        seq, watch = seq_and_watch
        for x in run_calls(m, seq, watch):
            seen[x.invariant] += 1
            assert x.invariant not in proved(name), f"{name}: proved {x.invariant} breaks {_where(x)}"

    run()
    assert any(o not in proved(name) for o in seen), seen  # the generator reaches real findings


@pytest.mark.parametrize("name", VERSIONS)
def test_random_states_never_break_a_proved_step(name):
    """A one-step proof says: from any state where its assumptions hold, a call in
    the contract keeps the obligation.  Perturbed reachable states test exactly that."""
    m, judged = model(name), Counter()

    @FAST
    @given(states(m))
    def run(state_and_call):
        s, c = state_and_call
        post, _ = run_call(m, s, c.call(), Oracle(c.fails))
        for oid in sorted(proved(name)):
            if assumptions_hold(m, oid, s):
                judged[oid] += 1
                broken = violations_after(m, s, post, c, (c,), (oid,))
                assert not broken, f"{name}: proved {oid} breaks from a state meeting its assumptions"

    run()
    assert set(judged) == proved(name), judged  # every proof was exercised


def _first_breaking(m, inv: str) -> tuple[list[P2MCall], int]:
    """The first 2-call run (calls, watched frame) hypothesis finds that breaks `inv`."""
    return find(runs(m, 2), lambda sw: bool(run_calls(m, *sw, obligations=(inv,))),
                settings=settings(max_examples=300, derandomize=True, database=None, deadline=None,
                                  phases=[Phase.generate], suppress_health_check=list(HealthCheck)))


#: (version, obligation) the random runner breaks in two calls, as the expectations say
FINDINGS = [("riscv-p2m-v2", "footprint"), ("riscv-p2m-v2", "type-preserved"),
            ("riscv-p2m-upstream", "refcount"), ("arm-p2m-upstream", "refcount")]


@pytest.mark.parametrize("name,inv", FINDINGS)
def test_what_random_runs_break_bmc_breaks_within_as_many_calls(name, inv):
    m = model(name)
    x, = run_calls(m, *_first_breaking(m, inv), obligations=(inv,), first_only=True)
    assert inv not in proved(name)
    (out,) = search(P2MMachine(m), [(OBLIGATIONS[inv], x.operation)], x.steps, "z3", 120_000)
    assert out.status == "violated" and out.depth <= x.steps, (name, inv, _where(x), out.status)


@pytest.mark.parametrize("mutation,inv", [("flush-sync-skipped", "flush-before-free"),
                                          ("free-table-leaks", "no-leak")])
def test_a_broken_model_is_caught(mutation, inv):
    """The runner can fail: a mutant of upstream breaks an obligation upstream proves."""
    mutant, = select([mutation])
    m = mutant.model_class()(GEOMETRY)
    assert inv in proved(mutant.base)
    seq, watch = _first_breaking(m, inv)
    assert inv in {x.invariant for x in run_calls(m, seq, watch)}


def test_overwriting_a_foreign_page_keeps_its_reference():
    """Concrete example: upstream maps a foreign 4K page then overwrites it with RAM
    at another frame: the reference is never put (refcount, the seed finding), and the
    type of the old leaf is read from the metadata page p2m_set_type just freed (metadata)."""
    m = model("riscv-p2m-upstream")
    seq = [P2MCall(0, 0x3, WATCHES[0], m.FOREIGN_RW), P2MCall(0, 0x3, 0x1002, m.RAM_RW)]
    found = run_calls(m, seq, WATCHES[0])
    assert {(x.invariant, x.operation, x.steps) for x in found} == {
        ("refcount", "set-4k", 2), ("bbm", "set-4k", 2), ("metadata", "set-4k", 2)}
    assert run_calls(m, seq[:1], WATCHES[0]) == []
