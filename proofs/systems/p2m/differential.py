"""Random testing of the concrete p2m interpreter: the check the p2m proofs must agree with.

Hypothesis draws sequences of p2m_set_entry calls (every call inside
`proofs/systems/p2m/contract.py`'s `contract`, with random allocation failures) from the
initial state, and perturbed reachable states (some table entries
overwritten) on which one more call runs.  The model runs on Python ints and
every p2m obligation of `proofs/systems/p2m/theorem.py` is judged after each call:
state invariants of the post-state, step properties at a few witness guest
frames around the call's range.  `tests/test_p2m_differential.py` holds the
solver to what this finds; `proofs/bench.py` races it against p2m BMC.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Optional

from hypothesis import strategies as st

from model.riscv.p2m_state import INVALID_MFN, MFN_BITS, TYPE_BITS, Oracle, P2MState
from model.term import bv
from proofs.systems.differential import Violation
from proofs.systems.p2m.contract import contract
from proofs.systems.p2m.machine import OPS, pre_ok, run_call, violation
from proofs.systems.p2m.theorem import CLAIMS as OBLIGATIONS, Call

#: the obligations a call can break (split-preserves is judged on p2m_split_superpage alone)
CALL_OBLIGATIONS = tuple(o for o, ob in OBLIGATIONS.items() if ob.kind not in ("split", "range"))
OP_OF = {target: op for op, target in OPS.items()}
#: guest data frames: 1G-, 2M- and 4K-aligned (in the reduced geometry: 4, 2, 1), below the
#: p2m's own pages, and INVALID_MFN (remove)
MFNS = (0x1000, 0x1002, 0x1001, 0x1004, 0x7FFF8, INVALID_MFN)
#: the watched frame (refcount): the first frames of the mappings above
WATCHES = (0x1000, 0x1001, 0x1002, 0x1003)


@dataclass(frozen=True)
class P2MCall:
    """One concrete p2m_set_entry request and the outcome of its allocation attempts."""

    target: int  # the level written: 0 (4K), 1 (2M), 2 (1G)
    gfn: int
    mfn: int
    t: int
    fails: tuple[bool, ...] = ()

    def call(self) -> Call:
        return Call(bv(self.gfn, 64), self.target, bv(self.mfn, 64), bv(self.t, TYPE_BITS))

    def describe(self) -> str:
        mfn = "INVALID_MFN" if self.mfn == INVALID_MFN else hex(self.mfn)
        fails = f" fails {list(self.fails)}" if any(self.fails) else ""
        return f"{OP_OF[self.target]} gfn {self.gfn:#x} mfn {mfn} type {self.t}{fails}"


def calls(m, max_calls: int = 3) -> st.SearchStrategy[list[P2MCall]]:
    """Call sequences (two calls or more when allowed); each call satisfies the proofs' contract."""
    gfns = 1 << m.geo.gfn_bits
    near = st.integers(0, min(gfns, 1 << (m.geo.level_order(2) + 1)) - 1)  # two 1G blocks: calls meet
    one = st.builds(
        lambda target, gfn, mfn, t, fails: P2MCall(
            target, gfn & ~((1 << m.geo.level_order(target)) - 1) & (gfns - 1), mfn, t, fails),
        st.sampled_from(sorted(OPS.values())), st.one_of(near, st.integers(0, gfns - 1)),
        st.sampled_from(MFNS),
        st.sampled_from(m.types()),
        st.one_of(st.just(()), st.lists(st.booleans(), max_size=3).map(tuple)))
    legal = one.filter(lambda c: bool(contract(m, c.call())))
    return st.lists(legal, min_size=min(2, max_calls), max_size=max_calls)  # most findings take 2


def runs(m, max_calls: int = 3) -> st.SearchStrategy[tuple[list[P2MCall], int]]:
    """(calls, watched frame): the watched frame is one the calls map, or a fixed one."""
    def with_watch(seq: list[P2MCall]):
        mapped = [c.mfn + k for c in seq if c.mfn != INVALID_MFN for k in (0, 1)]
        return st.tuples(st.just(seq), st.sampled_from(mapped + list(WATCHES)))

    return calls(m, max_calls).flatmap(with_watch)


def witnesses(m, c: P2MCall) -> list[int]:
    """Guest frames around a call's range (just outside both ends, the next and
    previous block, the blocks of every level holding it) and frame 0."""
    span, limit = 1 << m.geo.level_order(c.target), 1 << m.geo.gfn_bits
    out = [c.gfn - 1, c.gfn + span, c.gfn - span, c.gfn + span + 1, 0]
    out += [c.gfn & ~((1 << m.geo.level_order(lv + 1)) - 1) for lv in range(m.geo.root_level)]
    return list(dict.fromkeys(g for g in out if 0 <= g < limit))


def violations_after(m, pre: P2MState, post: P2MState, c: P2MCall, calls_made: tuple,
                     obligations: Iterable[str] = CALL_OBLIGATIONS) -> list[Violation]:
    """The obligations the call `c` (pre -> post) breaks: a state invariant once,
    a step property at any witness frame (`Violation.va` holds that guest frame)."""
    found = []
    frames = witnesses(m, c)
    call = c.call()
    for oid in obligations:
        ob = OBLIGATIONS[oid]
        for g in frames[:1] if ob.kind == "state" else frames:
            if bool(violation(m, ob, pre, post, call, bv(g, 64))):
                found.append(Violation(oid, OP_OF[c.target], len(calls_made), g, calls_made))
                break
    return found


def run_calls(m, seq: list[P2MCall], watch: int = WATCHES[0], state: Optional[P2MState] = None,
              obligations: Iterable[str] = CALL_OBLIGATIONS,
              first_only: bool = False) -> list[Violation]:
    """Run the calls from `state` (default: the initial state watching `watch`),
    judging every obligation after each call; returns what broke."""
    s = state or P2MState.initial(m.geo, bv(watch, MFN_BITS))
    found: list[Violation] = []
    obligations = tuple(obligations)
    made: tuple = ()
    for c in seq:
        made += (c,)
        post, _ = run_call(m, s, c.call(), Oracle(c.fails))
        found += violations_after(m, s, post, c, made, obligations)
        if first_only and found:
            break
        s = post
    return found


def reach(m, seq: list[P2MCall], watch: int) -> P2MState:
    """The state after running the calls from the initial state."""
    s = P2MState.initial(m.geo, bv(watch, MFN_BITS))
    for c in seq:
        s, _ = run_call(m, s, c.call(), Oracle(c.fails))
    return s


def entries(m) -> st.SearchStrategy[int]:
    """Entries a perturbed table may hold: 0, table pointers to the pool, RAM/MMIO
    leaves, and reserved encodings (the raw PTE bits of either architecture)."""
    ppn = st.sampled_from((0x1000, 0x1002, 0x80004, 0x80005, 0x80000))
    low = st.sampled_from((0x0, 0x1, 0x3, 0x7, 0xD7, 0xDF, 0x1D7, 0x2D7, 0x5, 0x3FF, 0x4CF, 0x74F))
    return st.one_of(st.just(0), st.builds(lambda p, f: (p << 10) | f, ppn, low),
                     st.builds(lambda p, f: (p << 12) | f, ppn, low))


def states(m) -> st.SearchStrategy[tuple[P2MState, P2MCall]]:
    """(state, call): a state reached by random calls with up to 3 table entries
    overwritten, and a legal call to run on it."""
    geo = m.geo

    def build(seq, watch, cells, c):
        s = reach(m, seq, watch)
        new = list(s.cells)
        for cell, e in cells:
            new[cell] = bv(e, 64)
        return replace(s, cells=tuple(new), uniform=()), c  # drop the closed form: it predates the writes

    return st.builds(build, calls(m, 2), st.sampled_from(WATCHES),
                     st.lists(st.tuples(st.integers(0, geo.cells - 1), entries(m)), max_size=3),
                     calls(m, 1).map(lambda cs: cs[0]))


def assumptions_hold(m, oid: str, s: P2MState) -> bool:
    """What the one-step proof of `oid` assumes of the pre-state holds of `s` (check.pre_ok)."""
    return bool(pre_ok(m, OBLIGATIONS[oid], s))
