"""The differential runners catch every catalogued riscv-pt and p2m mutant.

A mutant (proofs/mutants/) is caught when random call sequences, the same
generator tests/test_differential.py and tests/test_p2m_differential.py use,
either break concretely an obligation its base version proves (the invariant
check fails) or make the mutant behave otherwise than its base on the same
calls (a return code, an ASSERT, the tables, the table pages used, the TLB
state, the references held).  Each mutant gets a budget of examples, not of
time; the draw is derandomized, so the examples are the same on every run.
Mutants the catalogue lists as surviving the proofs are judged too where
their behaviour differs; only those it explains and this runner cannot tell
apart need not differ.

A hand-picked corpus of call sequences (the situations pt.c's branches are
about) runs first, then derandomized random sequences, then perturbed states.
The whole catalogue takes about two minutes: `make test` runs a representative
subset (REPRESENTATIVE: both systems, every way of catching); the rest is
marked `slow` and runs with `pytest -m slow tests/test_mutants_caught.py`.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample

from model.riscv.machine import (INVALID_MFN, OP_DESTROY, OP_MAP, OP_MODIFY, OP_POPULATE, PC_IDLE, PC_LOOP,
                                  initial_state)
from model.riscv.p2m_state import MFN_BITS, Oracle, P2MState
from model.riscv.pte import (PAGE_HYPERVISOR_NOCACHE, PAGE_HYPERVISOR_RO, PAGE_HYPERVISOR_RW,
                             PAGE_HYPERVISOR_RX, PAGE_HYPERVISOR_WC, PTE_SMALL)
from model.term import bv
from proofs.expectations import load_expectations
from proofs.mutant import Mutant, catalogue
from proofs.systems.p2m import differential as p2m_diff
from proofs.systems.p2m.machine import GEOMETRY, run_call
from proofs.systems.p2m.versions import VERSIONS as VARIANT_CLASSES
from proofs.systems.riscv_pt.contract import WX_REQUEST, call_ok
from proofs.systems.riscv_pt.differential import PAGE, calls, perturbed, run_calls, states
from proofs.systems.riscv_pt.theorem import OBLIGATIONS
from proofs.systems.riscv_pt.trace import ConcreteCall
from tests.helpers import variant

EXPECTED = load_expectations("proofs/expectations.json")
#: examples each mutant may take before it counts as missed
BUDGET = 30
#: a p2m run is cheaper: more examples
P2M_BUDGET = 300
STEP_BUDGET = 48
#: caught in `make test` (each way of catching, both systems); the rest run with `-m slow`
REPRESENTATIVE = ("riscv-pt-upstream~check-entry-insert-any", "riscv-pt-v9~modified-base-ors",
                  "riscv-pt-upstream~create-table-no-clear", "riscv-pt-v9~alloc-tbl-always",
                  "riscv-pt-upstream~pte-is-valid-nonzero", "riscv-pt-upstream~epilogue-no-flush",
                  "riscv-p2m-upstream~split-child-off-by-one", "riscv-p2m-upstream~free-table-before-flush")


def proved(name: str, obligations) -> tuple[str, ...]:
    return tuple(o for o in obligations if (e := EXPECTED.get(name, o)) is not None and e.verdict == "proved")


def first(strategy, differs, budget: int = BUDGET) -> object:
    return find(strategy, differs, settings=settings(max_examples=budget, derandomize=True, database=None,
                                                     deadline=None, phases=[Phase.generate],
                                                     suppress_health_check=list(HealthCheck)))


# -- riscv-pt ------------------------------------------------------------------------------------

def riscv_state(s) -> tuple:
    """A concrete state as plain values (every table cell, the loop's registers, the ghosts)."""
    return (tuple(sorted(s.mem.cells.items())), int(s.pc), int(s.rc), int(s.vfn), int(s.mfn),
            int(s.next_free), bool(s.tlb_stale))


def riscv_behaviour(v, seq, cells: tuple = ()) -> tuple:
    """What a run shows from outside: per call (pc, rc, TLB stale), then the tables and pool
    (from the initial state with the (frame, index, entry) `cells` written)."""
    s, steps, seen = perturbed(v, initial_state(v.geo), list(cells), None, None), 0, []
    for c in seq:
        if int(s.pc) != PC_IDLE:
            break
        call = c.call()
        while True:
            s, steps = v.step(s, call).post, steps + 1
            if int(s.pc) != PC_LOOP or steps >= STEP_BUDGET:
                break
        seen.append((int(s.pc), int(s.rc), bool(s.tlb_stale)))
    frames = (v.geo.root, *range(v.geo.pool_base, v.geo.pool_base + v.geo.pool))
    return tuple(seen), tuple(tuple(s.mem.frame_entries(f).items()) for f in frames), int(s.next_free)


def _calls(*specs: tuple) -> list[ConcreteCall]:
    return [ConcreteCall(op, tuple(args) + (0,) * (4 - len(args))) for op, *args in specs]


VA, MFN, GIGA = 0x4020_0000, 0x80200, 0x4000_0000
RO, RW, RX = PAGE_HYPERVISOR_RO, PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RX
#: the situations pt.c's branches are about, run before any random draw: a map over a valid
#: entry, a modify of a leaf, a 4K update inside a superpage, a destroy, populate, the 1G and
#: the 2M+4K sizes, a misaligned range, pool exhaustion, a W+X request, a modify through map
CORPUS = [
    _calls((OP_MAP, VA, MFN, 1, RW), (OP_MAP, VA, MFN + 1, 1, RW)),
    _calls((OP_MAP, VA, MFN, 1, RX), (OP_MODIFY, VA, 1, RW)),
    _calls((OP_MAP, VA, MFN, 512, RW), (OP_MAP, VA + PAGE, MFN + 0x1000, 1, RW)),
    _calls((OP_MAP, VA, MFN, 512, RW), (OP_DESTROY, VA + PAGE, VA + 2 * PAGE)),
    _calls((OP_MAP, VA, MFN, 512, RW), (OP_MODIFY, VA + PAGE, 1, RO)),
    _calls((OP_MAP, VA, MFN, 512, RX), (OP_MODIFY, VA, 512, RW)),
    _calls((OP_POPULATE, VA, 512), (OP_MAP, VA, MFN, 1, RW), (OP_DESTROY, VA, VA + PAGE)),
    _calls((OP_MAP, VA, MFN, 2, RW | PTE_SMALL), (OP_DESTROY, VA, VA + 2 * PAGE), (OP_MAP, VA, MFN + 1, 1, RO)),
    _calls((OP_MAP, GIGA, 0x80000, 1 << 18, RW), (OP_MODIFY, GIGA, 1 << 18, RO)),
    _calls((OP_MAP, VA, MFN, 513, RW), (OP_DESTROY, VA, VA + 513 * PAGE)),
    _calls((OP_MAP, VA + PAGE, MFN + 1, 511, RW), (OP_MAP, VA + 511 * PAGE, MFN + 0x2000, 2, RW | PTE_SMALL)),
    _calls((OP_MAP, VA, MFN, 1, RW), (OP_MAP, 0x3F_FFE0_0000, MFN, 1, RW), (OP_MAP, 0xFFFF_FFC0_0000_0000, MFN, 1, RW)),
    _calls((OP_MAP, VA, MFN, 1, PAGE_HYPERVISOR_NOCACHE), (OP_MODIFY, VA, 1, PAGE_HYPERVISOR_WC)),
    _calls((OP_MAP, VA, MFN, 1, WX_REQUEST), (OP_MAP, VA + 8, MFN, 1, RW), (OP_DESTROY, VA, VA)),
    _calls((OP_MAP, VA, MFN, 1, RW), (OP_MAP, VA, INVALID_MFN, 1, RX)),
    _calls((OP_MAP, VA, 0x80201, 512, RW), (OP_MAP, VA, MFN, 511, RW)),
    _calls((OP_MAP, VA, MFN, 1, RW), (OP_MODIFY, VA, 512, RO), (OP_DESTROY, VA, VA + 512 * PAGE)),
    _calls((OP_MAP, VA, MFN, 512, RO), (OP_MAP, VA + PAGE, MFN + 0x1000, 1, RW)),
    _calls((OP_MAP, VA + 256 * PAGE, MFN + 256, 512, RW)),
    _calls((OP_MAP, VA, MFN, 511, RW)),
    _calls((OP_MAP, VA, MFN, 512, RW | PTE_SMALL)),
]

#: hand-made start states: the root entry for VA nonzero with V clear (what pt.c never writes)
PERTURBED = [(((0x1000, 1, 0x1002 << 10),), _calls((OP_MAP, VA, MFN, 1, RW)))]


def riscv_catch(m: Mutant) -> str:
    base, mut = variant(m.base), variant(m.model_class())
    keep = proved(m.base, OBLIGATIONS)
    how: list[str] = []

    def differs(seq) -> bool:
        broken = run_calls(mut, seq, step_budget=STEP_BUDGET, obligations=keep, first_only=True)
        if broken:
            how.append(f"breaks {broken[0].invariant} (proved on {m.base})")
        elif riscv_behaviour(mut, seq) != riscv_behaviour(base, seq):
            how.append("behaves otherwise than its base")
        return bool(how)

    def step_differs(state_and_call) -> bool:
        s, loop = state_and_call
        call = (loop or CORPUS[0][0]).call()
        if riscv_state(mut.step(s, call).post) != riscv_state(base.step(s, call).post):
            how.append("steps otherwise than its base from a perturbed state")
        return bool(how)

    for seq in CORPUS:
        legal = [c for c in seq if bool(call_ok(c.call(), base))]
        if legal and differs(legal):
            return how[0] + " (corpus)"
    for cells, seq in PERTURBED:
        if riscv_behaviour(mut, seq, cells) != riscv_behaviour(base, seq, cells):
            return "behaves otherwise than its base from a hand-made state (corpus)"
    try:
        first(calls(base, 3), differs)
    except NoSuchExample:
        first(states(base), step_differs)
    return how[0]


# -- p2m -------------------------------------------------------------------------------------------

def p2m_state(s: P2MState) -> tuple:
    """A concrete p2m state as plain values: entries, metadata, pool, references, flush state."""
    return (tuple(int(x) for x in s.cells), tuple(int(x) for x in s.md), tuple(bool(x) for x in s.free),
            int(s.refs), bool(s.need_flush), tuple(bool(x) for x in s.stale))


def p2m_behaviour(m, seq, watch: int) -> tuple:
    s = P2MState.initial(m.geo, bv(watch, MFN_BITS))
    out = []
    for c in seq:
        s, rc = run_call(m, s, c.call(), Oracle(c.fails))
        out.append(repr(rc))
    return tuple(out), p2m_state(s)


def p2m_catch(mu: Mutant) -> str:
    base, mut = VARIANT_CLASSES[mu.base](GEOMETRY), mu.model_class()(GEOMETRY)
    keep = proved(mu.base, p2m_diff.CALL_OBLIGATIONS)
    how: list[str] = []

    def differs(seq_and_watch) -> bool:
        seq, watch = seq_and_watch
        broken = p2m_diff.run_calls(mut, seq, watch, obligations=keep, first_only=True)
        if broken:
            how.append(f"breaks {broken[0].invariant} (proved on {mu.base})")
        elif p2m_behaviour(mut, seq, watch) != p2m_behaviour(base, seq, watch):
            how.append("behaves otherwise than its base")
        return bool(how)

    def step_differs(state_and_call) -> bool:
        s, c = state_and_call
        after = [run_call(x, s, c.call(), Oracle(c.fails)) for x in (mut, base)]
        if [(repr(rc), p2m_state(post)) for post, rc in after][0] != \
                [(repr(rc), p2m_state(post)) for post, rc in after][1]:
            how.append("steps otherwise than its base from a perturbed state")
        return bool(how)

    try:
        first(p2m_diff.runs(base, 3), differs, P2M_BUDGET)
    except NoSuchExample:
        first(p2m_diff.states(base), step_differs, P2M_BUDGET)
    return how[0]


CATCHERS = {"riscv-pt": riscv_catch, "p2m": p2m_catch}
MUTANTS = [m for m in catalogue() if m.system in CATCHERS]


def judged(m: Mutant):
    return pytest.param(m, id=m.id, marks=() if m.id in REPRESENTATIVE else pytest.mark.slow)


@pytest.mark.parametrize("mutant", [judged(m) for m in MUTANTS])
def test_every_catalogued_mutant_is_caught_by_the_differential_runner(mutant):
    """Caught, unless the mutation catalogue explains why it survives the proofs (then
    catching it is a bonus: an equivalent mutant need not differ)."""
    try:
        how = CATCHERS[mutant.system](mutant)
    except NoSuchExample:
        if mutant.survives:
            return
        pytest.fail(f"{mutant.id} ({mutant.mutation.what}): no run within the budget breaks a "
                    f"proved obligation or behaves otherwise than {mutant.base}")
    assert how.startswith(("breaks ", "behaves otherwise", "steps otherwise")), how


def test_the_representative_subset_is_in_the_catalogue_and_spans_both_systems():
    ids = {m.id for m in MUTANTS}
    assert set(REPRESENTATIVE) <= ids and len(MUTANTS) >= 50
    assert {i.split("~")[0] for i in REPRESENTATIVE} == {"riscv-pt-upstream", "riscv-pt-v9", "riscv-p2m-upstream"}
