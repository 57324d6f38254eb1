"""Random testing of the concrete interpreter: the check the proofs must agree with.

Hypothesis draws call sequences (from the initial state) and perturbed states
(reachable states with some entries and loop variables overwritten); the
model runs them on Python ints, step by step, and every obligation of
the riscv-pt machine is evaluated concretely at a handful of witness addresses
around each call's range.  `tests/test_differential.py` holds the solver to
what this finds; `proofs/bench.py` races it against BMC.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Optional

from hypothesis import strategies as st

from model.memory import FRAME_BITS
from model.riscv.machine import (INVALID_MFN, OP_DESTROY, OP_MAP, OP_MODIFY, OP_NAMES, OP_POPULATE,
                                  PC_HALTED, PC_IDLE, PC_LOOP, State, initial_state)
from model.riscv.pte import PAGE_SHIFT, PTE_SMALL
from model.term import TRUE, bv
from proofs.systems.riscv_pt.contract import WX_REQUEST, call_ok
from model.term import all_of
from proofs.systems.riscv_pt.theorem import OBLIGATIONS, lemma
from proofs.systems.differential import Violation
from proofs.systems.walk import View
from proofs.systems.riscv_pt.trace import ConcreteCall

PAGE = 1 << PAGE_SHIFT
#: virtual bases: page 0, 2M- and 1G-aligned addresses, the top of the lower half, the upper half
VIRT_BASES = (0x0, 0x4020_0000, 0x4000_0000, 0x3F_FFE0_0000, 0xFFFF_FFC0_0000_0000)
PAGE_OFFSETS = (0, 1, 2, 511, 512, 513)
NRS = (0, 1, 2, 3, 511, 512, 513, 1024, 1 << 18)
#: frames: 2M- and 1G-aligned, unaligned, the root and a pool page (Xen's own tables)
MFNS = (0x80200, 0x80000, 0x80201, 0x1000, 0x1001, INVALID_MFN)


def calls(variant, max_calls: int = 4) -> st.SearchStrategy[list[ConcreteCall]]:
    """Call sequences; each call satisfies the contract (proofs/systems/riscv_pt/contract.py)."""
    virt = st.builds(lambda b, k, odd: b + k * PAGE + odd, st.sampled_from(VIRT_BASES),
                     st.sampled_from(PAGE_OFFSETS), st.sampled_from((0, 0, 0, 0x10)))
    nr = st.sampled_from(NRS)
    flags = st.builds(lambda f, small: f | small, st.sampled_from(variant.FLAG_PRESETS + (WX_REQUEST,)),
                      st.sampled_from((0, 0, PTE_SMALL)))
    one = st.one_of(
        st.builds(lambda v, m, n, f: ConcreteCall(OP_MAP, (v, m, n, f)), virt, st.sampled_from(MFNS), nr, flags),
        st.builds(lambda v, n, swap: ConcreteCall(OP_DESTROY, ((v + n * PAGE, v) if swap else (v, v + n * PAGE))
                                                  + (0, 0)), virt, nr, st.booleans()),
        st.builds(lambda v, n: ConcreteCall(OP_POPULATE, (v, n, 0, 0)), virt, nr),
        st.builds(lambda v, n, f: ConcreteCall(OP_MODIFY, (v, n, f, 0)), virt, nr, flags),
    )
    legal = one.filter(lambda c: bool(call_ok(c.call(), variant)))
    return st.lists(legal, min_size=1, max_size=max_calls)


def witnesses(c: ConcreteCall) -> list[int]:
    """Addresses around a call's range: its ends, one page either side."""
    if c.op == OP_DESTROY:
        start, end = c.args[0], max(c.args[0], c.args[1])
    else:
        start, end = c.args[0], c.args[0] + c.args[1] * PAGE
    out = [start, start + PAGE, end - PAGE, end, start - PAGE, 0x4020_0000, 0x4000_0000]
    return list(dict.fromkeys(a & ((1 << 64) - 1) & ~(PAGE - 1) for a in out))


#: obligations that do not read the witness address: judged at one address only
ADDRESS_FREE = ("reserved", "no-overwrite", "tlb", "atomicity", "lemma-frame", "lemma-progress",
                "lemma-idle", "lemma-pool")


def executed(step):
    """A concrete step with only the writes and descents whose guard held: the
    invariants read both under `guard.implies`, so the others cannot matter."""
    return replace(step, writes=[w for w in step.writes if bool(w.guard)],
                   descents=[d for d in step.descents if bool(d.guard)])


def violations_of(variant, step, vas: Iterable[int], op: int, steps: int, started: tuple,
                  obligations: Iterable[str] = tuple(OBLIGATIONS)) -> list[Violation]:
    """The obligations the concrete `step` breaks, at any of `vas` (a halted step is not judged)."""
    if int(step.post.pc) == PC_HALTED:
        return []
    step, vas = executed(step), list(vas)
    broken: dict[str, int] = {}
    for n, va in enumerate(vas):
        view = View(variant, step, bv(va, 64))  # one view per address: its translations are cached
        for oid in obligations:
            if oid not in broken and (n == 0 or oid not in ADDRESS_FREE) \
                    and not bool(OBLIGATIONS[oid].holds(view)):
                broken[oid] = va
    return [Violation(oid, OP_NAMES[op], steps, va, started) for oid, va in broken.items()]


def run_calls(variant, seq: list[ConcreteCall], state: Optional[State] = None, step_budget: int = 64,
              obligations: Iterable[str] = tuple(OBLIGATIONS), first_only: bool = False) -> list[Violation]:
    """Run the calls from `state` (default: the initial state), at most `step_budget`
    steps, judging every step; returns what broke."""
    s = state or initial_state(variant.geo)
    found: list[Violation] = []
    steps, started = 0, ()
    obligations = tuple(obligations)
    for c in seq:
        if int(s.pc) != PC_IDLE:
            break
        started += (c,)
        vas = witnesses(c)
        call = c.call()
        while True:
            step = variant.step(s, call)
            steps += 1
            found += violations_of(variant, step, vas, c.op, steps, started, obligations)
            if first_only and found:
                return found
            s = step.post
            if int(s.pc) != PC_LOOP or steps >= step_budget:
                break
        if steps >= step_budget:
            break
    return found


def entries() -> st.SearchStrategy[int]:
    """Entries a perturbed table may hold: pointers to the pool, leaves, reserved and invalid ones."""
    ppn = st.sampled_from((0x1000, 0x1001, 0x1002, 0x1003, 0x80200, 0x80000, 0x80201))
    low = st.sampled_from((0x0, 0x1, 0x3, 0x5, 0x7, 0x9, 0xB, 0xF, 0xC7, 0xCB, 0xCF, 0xC3, 0x5, 0xD))
    return st.builds(lambda p, f: (p << 10) | f, ppn, low)


def perturbed(variant, base: State, cells: list[tuple[int, int, int]], loop: Optional[ConcreteCall],
              next_free: Optional[int]) -> State:
    """`base` with the (frame, index, entry) cells written, the allocator count
    replaced, and, when `loop` is given, pt_update's loop variables set as for that call."""
    mem = base.mem
    for f, i, e in cells:
        mem = mem.write(TRUE, bv(f, FRAME_BITS), bv(i, 9), bv(e, 64))
    s = replace(base, mem=mem)
    if next_free is not None:
        s = replace(s, next_free=bv(next_free, 8))
    if loop is not None:
        pro = variant.step(replace(s, pc=bv(PC_IDLE, 2)), loop.call())  # its prologue sets the frame
        if int(pro.post.pc) == PC_LOOP:
            s = replace(pro.post, mem=s.mem, next_free=s.next_free, pool_level=s.pool_level,
                        pool_parent=s.pool_parent, tlb_stale=s.tlb_stale)
    return s


def states(variant) -> st.SearchStrategy[tuple[State, Optional[ConcreteCall]]]:
    """(state, call) pairs: a reachable state after random calls, then perturbed."""
    geo = variant.geo
    frames = st.sampled_from((geo.root,) + tuple(geo.pool_base + k for k in range(geo.pool)))
    idx = st.sampled_from((0, 1, 2, 255, 256, 511))

    def build(seq, cells, loop, nf):
        s = initial_state(geo)
        for c in seq:  # run the calls to completion (bounded)
            if int(s.pc) != PC_IDLE:
                break
            step = variant.step(s, c.call())
            n = 0
            while int(step.post.pc) == PC_LOOP and n < 64:
                step, n = variant.step(step.post, c.call()), n + 1
            s = step.post
        if int(s.pc) == PC_HALTED:
            s = replace(s, pc=bv(PC_IDLE, 2))
        return perturbed(variant, s, cells, loop, nf), loop

    return st.builds(build, calls(variant, 3),
                     st.lists(st.tuples(frames, idx, entries()), max_size=4),
                     st.one_of(st.none(), calls(variant, 1).map(lambda cs: cs[0])),
                     st.one_of(st.none(), st.integers(0, geo.pool)))


def assumptions_hold(variant, s: State, oid: str, vas: list[int]) -> bool:
    """The lemmas the step proof of `oid` assumes hold of `s` at the witnesses
    and at the address the step updates (as the riscv-pt machine instantiates them)."""
    addresses = [bv(a, 64) for a in vas] + [s.vfn << PAGE_SHIFT]
    return bool(all_of(lemma(n, s, variant, addresses) for n in OBLIGATIONS[oid].needs))
