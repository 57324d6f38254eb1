"""Concrete drivers for the RISC-V page-table machine, shared by the tests.

Everything here runs the model on concrete values only: a call is offered to
the machine while it is idle, then the machine steps through pt_update's loop
one iteration at a time, exactly as the engine replays a trace.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Optional, Sequence

from model.memory import FRAME_BITS, Memory
from model.riscv.machine import (EINVAL, LEVEL_BITS, OP_DESTROY, OP_MAP, OP_MODIFY, OP_NAMES, OP_POPULATE,
                                  PC_HALTED, PC_IDLE, PC_LOOP, W64, Call, Geometry, State, Step,
                                  initial_state, rc_value, rc_word)
from model.riscv.pt_upstream import RiscvPtUpstream
from model.riscv.pt_v5 import RiscvPtV5
from model.riscv.pt_v9 import RiscvPtV9
from model.riscv.pte import PAGE_SHIFT, PTE_ACCESSED, PTE_DIRTY, PTE_VALID, PTE_WRITABLE, SV39
from model.riscv.walk import Translation, translate
from model.term import TRUE, Bool, Word, bv, ite
from proofs.systems.riscv_pt.theorem import INVARIANTS
from proofs.systems.walk import View

V5, V9, UPSTREAM = "riscv-pt-v5", "riscv-pt-v9", "riscv-pt-upstream"
CLASSES: dict[str, type] = {c.name: c for c in (RiscvPtV5, RiscvPtV9, RiscvPtUpstream)}
ALL_VERSIONS = (V5, V9, UPSTREAM)

PAGE = 1 << PAGE_SHIFT
SUPER = 512 * PAGE  # 2 MiB: one level-1 leaf
VA = 0x4020_0000  # a 2M-aligned address well inside Sv39's lower half
MFN = 0x80200  # a 2M-aligned frame (multiple of 512), far from the table pool
ROOT = Geometry(SV39).root
L1_TABLE, L0_TABLE = ROOT + 1, ROOT + 2  # the first two pool pages, in allocation order
AD = PTE_ACCESSED | PTE_DIRTY  # pt_update_entry sets both in every leaf it writes

#: (op, args) as the public entry points take them; missing args are 0
CallSpec = tuple[int, tuple[int, ...]]


def variant(name_or_cls, pool: int = 4):
    """A version's machine over Sv39 with `pool` table pages."""
    cls = CLASSES[name_or_cls] if isinstance(name_or_cls, str) else name_or_cls
    return cls(Geometry(SV39, pool=pool))


def make_call(op: int, args: Sequence[int] = ()) -> Call:
    padded = tuple(args) + (0,) * (4 - len(args))
    return Call(bv(op, 3), tuple(bv(a, W64) for a in padded))


def map_(virt: int, mfn: int, nr: int, flags: int) -> CallSpec:
    return OP_MAP, (virt, mfn, nr, flags)


def destroy(s: int, e: int) -> CallSpec:
    return OP_DESTROY, (s, e)


def populate(virt: int, nr: int) -> CallSpec:
    return OP_POPULATE, (virt, nr)


def modify(virt: int, nr: int, flags: int) -> CallSpec:
    return OP_MODIFY, (virt, nr, flags)


def vpns(va: int) -> tuple[int, int, int]:
    """The Sv39 table indices of `va`: (vpn[2], vpn[1], vpn[0])."""
    return tuple((va >> (PAGE_SHIFT + 9 * lvl)) & 511 for lvl in (2, 1, 0))


def leaf_entry(mfn: int, flags: int) -> int:
    """The leaf pt_update_entry writes for a map of `mfn` with `flags`."""
    return (mfn << 10) | flags | AD


def concrete_step(v, state: State, spec: Optional[CallSpec] = None) -> Step:
    """One atomic step; `spec` is the call offered (used only when idle)."""
    op, args = spec if spec is not None else (OP_MAP, ())
    return v.step(state, make_call(op, args))


def pc(state: State) -> int:
    return int(state.pc)


def call_steps(v, state: State, spec: CallSpec, cap: int = 2048) -> list[Step]:
    """Every step of one call from an idle `state`: its prologue, then its iterations
    until it returns or halts.  Raises if the loop is still running after `cap` iterations."""
    assert pc(state) == PC_IDLE, "a call starts from an idle machine"
    steps = [concrete_step(v, state, spec)]
    while pc(steps[-1].post) == PC_LOOP:
        if len(steps) > cap:
            raise RuntimeError(f"call {spec} still looping after {cap} iterations")
        steps.append(concrete_step(v, steps[-1].post))
    return steps


def call_prefix(v, state: State, spec: CallSpec, iterations: int) -> list[Step]:
    """A call's prologue and then `iterations` further steps, whether or not it returns."""
    steps = [concrete_step(v, state, spec)]
    for _ in range(iterations):
        steps.append(concrete_step(v, steps[-1].post))
    return steps


def rc(state: State) -> int:
    return rc_value(state.rc)


def run_steps(v, specs: Iterable[CallSpec], state: Optional[State] = None,
              cap: int = 2048) -> list[Step]:
    """All steps of the calls, in order (stops early if a call halts)."""
    s = state or initial_state(v.geo)
    out: list[Step] = []
    for spec in specs:
        if pc(s) == PC_HALTED:
            break
        out += call_steps(v, s, spec, cap)
        s = out[-1].post
    return out


def run_calls(v, specs: Iterable[CallSpec], state: Optional[State] = None,
              cap: int = 2048) -> tuple[State, list[tuple[Optional[int], int]]]:
    """Run the calls to completion.  Returns the final state and, per call,
    (rc, loop iterations); rc is None when the call halted on an ASSERT."""
    s = state or initial_state(v.geo)
    results: list[tuple[Optional[int], int]] = []
    for spec in specs:
        steps = call_steps(v, s, spec, cap)
        s = steps[-1].post
        results.append((None if pc(s) == PC_HALTED else rc_value(s.rc), len(steps) - 1))
        if pc(s) == PC_HALTED:
            break
    return s, results


def done_writes(step: Step) -> list[tuple[int, int, int]]:
    """(frame, index, new value) of every write the step made."""
    return [(int(w.frame), int(w.idx), int(w.new)) for w in step.writes if bool(w.guard)]


def tr(v, state: State, va: int) -> Translation:
    """The MMU's translation of `va` in `state`."""
    return translate(state.mem, bv(v.geo.root, FRAME_BITS), bv(va, W64), v.geo.mode)


def leaf(v, state: State, va: int) -> Optional[tuple[int, int, str]]:
    """(ppn, level, perms) of the leaf that maps `va`, or None."""
    t = tr(v, state, va)
    if not bool(t.ok):
        return None
    perms = "".join(c for c, b in zip("rwx", (t.leaf_r, t.leaf_w, t.leaf_x)) if bool(b))
    return int(t.ppn), int(t.level), perms


def entries(state: State, frame: int) -> dict[int, int]:
    return state.mem.frame_entries(frame)


def holds(inv_id: str, v, step: Step, va: int) -> bool:
    """Does invariant `inv_id` hold of a concrete step, for witness `va`?"""
    return bool(INVARIANTS[inv_id].holds(View(v, step, bv(va, W64))))


def write_mem(cells: dict[tuple[int, int], int]) -> Memory:
    """A concrete memory holding exactly `cells` ((frame, index) -> entry)."""
    mem = Memory.zero()
    for (frame, idx), value in cells.items():
        mem = mem.write(TRUE, bv(frame, FRAME_BITS), bv(idx, 9), bv(value, 64))
    return mem


def handed_out(state: State, levels_parents: Sequence[tuple[int, tuple[int, int]]]) -> State:
    """`state` with the first pool pages handed out for (level, (parent frame, parent index))."""
    lv = list(state.pool_level)
    pp = list(state.pool_parent)
    for k, (level, (pf, pi)) in enumerate(levels_parents):
        lv[k] = bv(level, LEVEL_BITS)
        pp[k] = (bv(pf, FRAME_BITS), bv(pi, 9))
    return replace(state, next_free=bv(len(levels_parents), 8), pool_level=tuple(lv),
                   pool_parent=tuple(pp))


# -- deliberately broken versions: upstream with one piece of pt.c changed ---------------

class SkipsWxCheck(RiscvPtUpstream):
    """pt_update without its W^X refusal (only the alignment check is left)."""

    name = "broken-skips-wx-check"

    def pt_update_prologue(self, virt: Word, flags: Word) -> Word:
        return ite((virt & (PAGE - 1)) != 0, rc_word(-EINVAL), rc_word(0))


class OrsFlagsLikeV5(RiscvPtUpstream):
    """v5's `||` ASSERT in map_pages_to_xen and its OR-ing modify, on upstream."""

    name = "broken-ors-flags"
    map_pages_to_xen = RiscvPtV5.map_pages_to_xen
    modified_base = RiscvPtV5.modified_base


class WritesReserved(RiscvPtUpstream):
    """A new leaf is V|W (R clear): a reserved encoding."""

    name = "broken-writes-v-w"

    def pt_update_entry_pte(self, entry: Word, mfn: Word, flags: Word) -> Word:
        return ite((flags & PTE_VALID).any(), self.pte_from_mfn(mfn, PTE_VALID | PTE_WRITABLE), bv(0, 64))


class AcceptsAnyEntry(RiscvPtUpstream):
    """pt_check_entry that never refuses."""

    name = "broken-accepts-any-entry"

    def pt_check_entry(self, x, g: Bool, entry: Word, mfn: Word, flags: Word) -> Bool:
        return TRUE


class NoFlushAtReturn(RiscvPtUpstream):
    """pt_update's epilogue without flush_tlb_range_va(0, 0)."""

    name = "broken-no-flush"

    def pt_update_epilogue(self, x, g: Bool, ret: Word) -> None:
        x.set(g, pc=bv(PC_IDLE, 2), rc=ret)


# -- the engine on one riscv-pt model instance -------------------------------------------

def rv_machine(v, depth: int = 6):
    """The engine's machine for a riscv-pt model instance (subclasses included)."""
    from proofs.engine import Settings
    from proofs.systems.riscv_pt.machine import RiscvPtMachine

    return RiscvPtMachine(v, depth, Settings())


def rv_step(v, ob, op: int, needs: Optional[tuple] = None):
    """The engine's step check of `ob` for entry point `op` (an OP_* int); `needs`
    overrides the lemmas it assumes."""
    from proofs.engine.step import step_check

    if needs is not None:
        ob = replace(ob, needs=needs)
    return step_check(rv_machine(v), ob, OP_NAMES[op], "z3", 300_000)


def rv_bmc(v, ob, op: Optional[int], depth: int, first: int = 1):
    """The engine's BMC for `ob` in a call to `op` (None: any call)."""
    from proofs.engine.search import search

    return search(rv_machine(v), [(ob, None if op is None else OP_NAMES[op])], depth, "z3",
                  300_000, first=first)[0]


def started(v, trace) -> list:
    """The calls a trace started (a call offered while one is in progress is not taken)."""
    from proofs.systems.riscv_pt.vectors import started_calls

    return started_calls(v, trace.calls)
