"""Trace vectors: traces of API calls, canonical and replayed, for the systems
whose machine is `model/riscv/machine.py`'s (riscv-pt's pt.c, Arm's xen_pt_update,
the RISC-V fixmap).

A solver trace becomes a vector in three moves, all on the concrete semantics:
the calls it started are read off a replay; a greedy shrink makes them as
small as the bug allows (fewest steps, then fewest calls, fewest tables handed
out, fewest set bits, smallest values; every candidate must keep the caller
contract and still break the obligation); the result is run once more to
record each call's return code, the entries that break the obligation and the
tables the model predicts when every call has returned.  The shrink depends
only on its input, so the same trace always gives the same bytes, and a
canonical vector is a fixpoint of it.

What differs between the systems is a `TraceArch` (the initial state, the
MMU's view, the contract, the entry format and the walk's levels, the entry
points' names and flags): riscv-pt's are the defaults here (`RISCV`; riscv-pt
imports this module as `proofs.systems.riscv_pt.vectors`), arm-pt's `ARM` is
in `proofs/systems/arm_pt/vectors.py`, the fixmap's `FIXMAP` in
`proofs/systems/riscv_fixmap/vectors.py`; each function takes it from the
version it is given (`arch_of`).  Living beside the systems, it lets none of
them import another's internals.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from model.memory import FRAME_BITS, Memory
from model.riscv.machine import (
    ERRNO_NAMES,
    LEVEL_BITS,
    RC_BITS,
    OP_IDS,
    OP_NAMES,
    OPS,
    PC_HALTED,
    PC_IDLE,
    PC_LOOP,
    Geometry,
    State,
    Step,
    initial_state,
    rc_value,
)
from model.riscv.pte import (MODES, PAGE_SHIFT, PAGETABLE_ORDER, PTE_PPN_SHIFT, PTE_SMALL, classify, format_pte,
                             pte_word)
from model.term import TRUE, Bool, bv
from proofs.systems.riscv_pt.versions import model_class
from proofs.systems.riscv_pt.contract import call_ok
from proofs.engine.obligation import StepObligation as Invariant
from proofs.systems.walk import View
from proofs.systems.riscv_pt import machine as rvm
from proofs.systems.riscv_pt.trace import ConcreteCall, _tr
from proofs.systems.xen_names import canonical_va
from proofs.vector import FORMAT, FORMAT_VERSION, VectorError, relpath
from proofs.errors import SolverError

SYSTEM = "riscv-pt"
#: steps a replay runs after the breaking step to let the breaking call return (a 2 GiB
#: map from a 2M-aligned address takes about 515 iterations: the @any footprint vectors)
RETURN_LIMIT = 1024
#: steps a replay runs at most before the break (or in all, without an obligation)
STEP_LIMIT = 1024
ARG_NAMES = {0: ("virt", "mfn", "nr", "flags"), 1: ("s", "e"), 2: ("virt", "nr"), 3: ("virt", "nr", "flags")}
FLAG_ARG = {0: 3, 3: 2}  # op -> the argument that holds PAGE_HYPERVISOR_* flags


# -- the entry points' calls, as the boundary scenarios (each system's regression.py) write them

def map_(virt: int, mfn: int, nr: int, flags: int) -> ConcreteCall:
    return ConcreteCall(OP_IDS["map"], (virt, mfn, nr, flags))


def destroy(s: int, e: int) -> ConcreteCall:
    return ConcreteCall(OP_IDS["destroy"], (s, e, 0, 0))


def populate(virt: int, nr: int) -> ConcreteCall:
    return ConcreteCall(OP_IDS["populate"], (virt, nr, 0, 0))



def _obligations() -> dict[str, Invariant]:
    from proofs.systems.riscv_pt.theorem import OBLIGATIONS

    return OBLIGATIONS


def variant_of(version: str, mode: str, pool: int):
    cls = model_class(version)
    if cls is None or not hasattr(cls, "step"):
        raise VectorError(f"unknown riscv-pt version {version!r} in vector")
    if mode not in MODES:
        raise VectorError(f"unknown mode {mode!r} in vector")
    return cls(Geometry(MODES[mode], pool=pool))


class TraceArch:
    """What trace vectors need of a system whose machine is `model/riscv/machine.py`'s
    (State, Step, calls as an op and four arguments): riscv-pt's, the defaults here."""

    system = SYSTEM
    arch = "riscv"
    arg_names = ARG_NAMES
    #: a call's name in a vector -> its op
    op_ids = OP_IDS
    #: op -> the argument that holds the PAGE_HYPERVISOR_* flags
    flag_arg = FLAG_ARG
    #: op -> the arguments that are virtual addresses
    address_args = {0: (0,), 1: (0, 1), 2: (0,), 3: (0,)}
    #: a request flag that selects the mapping size (tried beside each preset)
    size_flag = PTE_SMALL
    contract_where = "proofs/systems/riscv_pt/contract.py"

    def obligations(self) -> dict[str, Invariant]:
        return _obligations()

    def variant(self, version: str, mode: str, pool: int):
        return variant_of(version, mode, pool)

    def machine(self, version: str, settings):
        return rvm.machine(version, settings)

    def initial(self, v) -> State:
        return initial_state(v.geo)

    def view(self, v, st: Step, va) -> View:
        return View(v, st, va)

    def contract(self, v, call) -> Bool:
        return call_ok(call, v)

    def contract_calls(self, v, calls: list[ConcreteCall]) -> bool:
        """Every call is one the caller contract allows (riscv-pt's and arm-pt's do
        not depend on the state a call is made in)."""
        return all(bool(self.contract(v, c.call())) for c in calls)

    def call_name(self, op: int) -> str:
        return OP_NAMES[op]

    def function(self, op: int) -> str:
        return OPS[op].split(" ")[0]

    def op_of(self, r) -> int:
        """The operation of a result, as the shrink orders them (the entry point's op id)."""
        return next(k for k, name in OPS.items() if name == r.operation)

    def op_key(self, op: int) -> str:
        """The engine's key of that operation (search, committed traces)."""
        return OP_NAMES[op]

    def concrete(self, call) -> ConcreteCall:
        return call  # riscv-pt's traces hold ConcreteCalls already

    # -- the tables and the MMU's walk
    def va_bits(self, v) -> int:
        return v.geo.mode.va_bits

    def root_level(self, v) -> int:
        return v.geo.top

    def next_level(self, level: int) -> int:
        return level - 1

    def level_shift(self, v, level: int) -> int:
        """log2 of the bytes one entry at `level` maps."""
        return PAGE_SHIFT + PAGETABLE_ORDER * level

    def child(self, v, x: int, level: int) -> Optional[int]:
        """The table frame entry `x` at `level` points to (None: not a table pointer)."""
        if level > 0 and bool(classify(pte_word(x), level, v.geo.mode).pointer):
            return x >> PTE_PPN_SHIFT & ((1 << FRAME_BITS) - 1)
        return None

    def format_entry(self, v, x: int, level: Optional[int]) -> str:
        return format_pte(x, v.geo.mode, min(level if level is not None else 0, v.geo.top))

    def translation(self, t) -> dict[str, Any]:
        return _tr(t)

    def initial_json(self, v) -> dict[str, Any]:
        """A trace vector's `initial_state`: where every call sequence starts."""
        return {"from": "initial: root table allocated and empty, no pool page handed out",
                "root": hex(v.geo.root), "pool_base": hex(v.geo.pool_base), "tables": []}


RISCV = TraceArch()


def arch_named(system: str) -> TraceArch:
    """The TraceArch of a system id (a vector's `system`)."""
    if system == "arm-pt":
        from proofs.systems.arm_pt.vectors import ARM

        return ARM
    if system == "riscv-fixmap":
        from proofs.systems.riscv_fixmap.vectors import FIXMAP

        return FIXMAP
    return RISCV


def arch_of_version(version: str) -> TraceArch:
    """The TraceArch of a version by name, `<version>@any` its version's (a lifted C
    version is riscv-pt's)."""
    from proofs.engine.callers import split
    from proofs.systems.arm_pt.versions import VERSIONS as ARM_VERSIONS
    from proofs.systems.riscv_fixmap.versions import VERSIONS as FIXMAP_VERSIONS

    version = split(version)[0]
    if version in ARM_VERSIONS:
        return arch_named("arm-pt")
    return arch_named("riscv-fixmap" if version in FIXMAP_VERSIONS else SYSTEM)


def arch_of(v) -> TraceArch:
    """The TraceArch of a version (a model instance)."""
    return arch_of_version(v.name)


# ---------------------------------------------------------------------------
# running calls concretely

@dataclass
class Run:
    """What a concrete run of calls did, step by step."""

    steps: list[Step]
    call_of_step: list[int]  # index of the call each step belongs to
    broke: Optional[int]  # index of the first step that breaks the obligation
    final: State

    @property
    def halted(self) -> bool:
        return int(self.final.pc) == PC_HALTED


def run(v, inv: Optional[Invariant], calls: list[ConcreteCall], va: int,
        max_steps: Optional[int] = None, start: Optional[State] = None,
        stop_at_break: bool = True) -> Run:
    """Offer the calls one after another, each run until it returns (or halts).
    With an obligation, stop at the first step that breaks it (not judged on a
    step that halts), or after `max_steps` steps."""
    a = arch_of(v)
    s = start or a.initial(v)
    steps: list[Step] = []
    owner: list[int] = []
    broke = None
    limit = max_steps if max_steps is not None else STEP_LIMIT
    for i, cc in enumerate(calls):
        if int(s.pc) == PC_HALTED:
            break
        first = True
        while first or int(s.pc) not in (PC_IDLE, PC_HALTED):
            first = False
            st = v.step(s, cc.call())
            steps.append(st)
            owner.append(i)
            s = st.post
            if (broke is None and inv is not None and int(s.pc) != PC_HALTED
                    and not bool(inv.holds(a.view(v, st, bv(va, 64))))):
                broke = len(steps) - 1
                if stop_at_break:
                    return Run(steps, owner, broke, s)
                limit = len(steps) + RETURN_LIMIT
            if limit is not None and len(steps) >= limit:
                return Run(steps, owner, broke, s)
    return Run(steps, owner, broke, s)


def _contract(v, calls: list[ConcreteCall]) -> bool:
    return arch_of(v).contract_calls(v, calls)


# ---------------------------------------------------------------------------
# canonicalisation: a greedy shrink on the concrete semantics

def _popcount(x: int) -> int:
    return bin(x).count("1")


#: obligations about pt_update's loop variables (vfn, left, mfn): their
#: breaking step is judged on those, not on the entry it writes
LOOP_OBLIGATIONS = ("lemma-progress", "lemma-frame")
ADDRESS_ARGS = TraceArch.address_args


def breaking_writes(st: Step) -> list:
    """The writes a step made (its guard true), each entry as it was and became."""
    return [w for w in st.writes if bool(w.guard)]


def mmu_place(v, state: State, frame: int, idx: int) -> Optional[tuple[int, int]]:
    """(first virtual address, level) of the entry at (frame, idx) as the MMU
    reaches it from the root in `state`, or None when no walk reaches it."""
    a, seen = arch_of(v), set()

    def walk(f: int, level: int, base: int) -> Optional[tuple[int, int]]:
        if f == frame:
            return canonical_va(base | idx << a.level_shift(v, level), a.va_bits(v)), level
        seen.add(f)
        for i, x in state.mem.frame_entries(f).items():
            child = a.child(v, x, level)
            if child is not None and child not in seen:
                got = walk(child, a.next_level(level), base | i << a.level_shift(v, level))
                if got:
                    return got
        return None

    return walk(v.geo.root, a.root_level(v), 0)


def entry_place(v, st: Step, w) -> tuple[int, int]:
    """(first virtual address, level) of the entry `w` wrote: where the MMU
    reaches it (after the step, else before), else where pt.c meant it to be
    (the iteration's vfn, aligned to the level it wrote at)."""
    frame, idx = int(w.frame), int(w.idx)
    got = mmu_place(v, st.post, frame, idx) or mmu_place(v, st.pre, frame, idx)
    if got:
        return got
    level, a = int(w.level), arch_of(v)
    size = 1 << a.level_shift(v, level)
    return canonical_va((int(st.pre.vfn) << PAGE_SHIFT) & ~(size - 1), a.va_bits(v)), level


def entry_range(v, st: Step, w) -> tuple[int, int]:
    """[first, last] virtual address the entry written by `w` maps (`entry_place`)."""
    first, level = entry_place(v, st, w)
    return first, first + (1 << arch_of(v).level_shift(v, level)) - 1


def meaningful(inv: Invariant, st: Step) -> bool:
    """A breaking step that writes changes an entry (old != new): a shrink must
    not settle on a 'breaking' write that leaves the entry as it was."""
    writes = breaking_writes(st)
    return inv.id in LOOP_OBLIGATIONS or not writes or any(int(w.old) != int(w.new) for w in writes)


def witness_inside(v, st: Step, va: int) -> bool:
    """The witness address lies in an entry the breaking step changed (any it
    wrote when it changed none; when it wrote nothing, in the page its loop
    iteration works on; free for a call's prologue)."""
    writes = breaking_writes(st)
    changed = [w for w in writes if int(w.old) != int(w.new)] or writes
    if not writes:
        page = canonical_va(int(st.pre.vfn) << PAGE_SHIFT, arch_of(v).va_bits(v))
        return int(st.pre.pc) != PC_LOOP or page <= va < page + (1 << PAGE_SHIFT)
    return any(lo <= va <= hi for lo, hi in (entry_range(v, st, w) for w in changed))


def cost(calls: list[ConcreteCall], va: int, r: Run, v=None, inv: Optional[Invariant] = None) -> tuple:
    """What the shrink makes smaller, most important first: a meaningful break,
    fewest steps, calls, table pages, a witness inside the changed entry,
    fewest set bits, smallest values."""
    values = [x for c in calls for x in (c.op, *c.args)] + [va]
    st = r.steps[r.broke]
    idle_write = 0 if inv is None or meaningful(inv, st) else 1
    inside = 0 if v is None or witness_inside(v, st, va) else 1
    return (idle_write, r.broke + 1, len(calls), int(r.final.next_free), inside,
            sum(_popcount(x) for x in values), tuple(values))


def _candidates(x: int) -> list[int]:
    """Smaller values to try for one argument, in a fixed order."""
    out = [0, 1]
    for bit in reversed(range(x.bit_length())):
        if x >> bit & 1:
            out.append(x & ~(1 << bit))
    out += [x & ((1 << bits) - 1) for bits in (38, 47, 56)]  # the lower half, any Sv mode
    if x:
        hb = 1 << (x.bit_length() - 1)
        out += [x ^ hb ^ (hb >> 1), x >> 1]
    return [c for c in dict.fromkeys(out) if c != x]


def _witnesses(v, x: int, r: Optional[Run]) -> list[int]:
    """Witness addresses to try: canonical ones (the MMU's view of `x`'s
    smaller values), the first address of each entry the breaking step wrote first."""
    bits = arch_of(v).va_bits(v)
    st = r.steps[r.broke] if r else None
    starts = [entry_range(v, st, w)[0] for w in breaking_writes(st)] if st else []
    if st is not None and not starts and int(st.pre.pc) == PC_LOOP:
        starts = [canonical_va(int(st.pre.vfn) << PAGE_SHIFT, bits)]
    out = starts + [canonical_va(c, bits) for c in _candidates(x)]
    return [c for c in dict.fromkeys(out) if c != x]


def _flag_candidates(v, x: int) -> list[int]:
    presets = [p | s for p in v.FLAG_PRESETS for s in (0, arch_of(v).size_flag)]
    return [c for c in sorted(set(presets), key=lambda f: (_popcount(f), f)) if c != x]


def _try(v, inv, calls, va, best) -> Optional[tuple]:
    if not _contract(v, calls):
        return None
    r = run(v, inv, calls, va, max_steps=best[1] if best[0] == 0 else None)
    if r.broke is None:
        return None
    calls = calls[:r.call_of_step[r.broke] + 1]
    c = cost(calls, va, r, v, inv)
    return (c, calls, va) if c < best else None


def _moved(calls: list[ConcreteCall], va: int, delta: int, va_bits: int,
           address_args: dict = ADDRESS_ARGS) -> tuple[list[ConcreteCall], int]:
    """The whole scenario `delta` lower in the address space (every virtual
    address argument and the witness)."""
    mask = (1 << 64) - 1
    out = []
    for c in calls:
        args = tuple((a - delta) & mask if k in address_args[c.op] else a for k, a in enumerate(c.args))
        out.append(ConcreteCall(c.op, args))
    return out, canonical_va((va - delta) & mask, va_bits)


def _flags_swapped(calls: list[ConcreteCall]) -> Iterable[list[ConcreteCall]]:
    """The same calls with the flags of two of them exchanged."""
    with_flags = [i for i, c in enumerate(calls) if c.op in FLAG_ARG]
    for n, i in enumerate(with_flags):
        for j in with_flags[n + 1:]:
            a, b = calls[i], calls[j]
            fa, fb = a.args[FLAG_ARG[a.op]], b.args[FLAG_ARG[b.op]]
            if fa != fb:
                out = list(calls)
                out[i] = ConcreteCall(a.op, _with(a.args, FLAG_ARG[a.op], fb))
                out[j] = ConcreteCall(b.op, _with(b.args, FLAG_ARG[b.op], fa))
                yield out


def _with(args: tuple, k: int, x: int) -> tuple:
    return args[:k] + (x,) + args[k + 1:]


def canonical(v, inv: Invariant, calls: list[ConcreteCall], va: int) -> tuple[list[ConcreteCall], int]:
    """The shrunk (calls, witness) of a trace that breaks `inv` (ReplayError-free
    input expected: it must break it)."""
    r = run(v, inv, calls, va)
    if r.broke is None:
        raise VectorError(f"internal error: the trace does not break {inv.id} on {v.name} "
                          "when replayed concretely")
    calls = calls[:r.call_of_step[r.broke] + 1]
    best = cost(calls, va, r, v, inv)
    a = arch_of(v)
    bits = a.va_bits(v)
    changed = True
    while changed:
        changed = False

        def attempt(new_calls: list[ConcreteCall], new_va: int) -> bool:
            nonlocal best, calls, va, changed
            got = _try(v, inv, new_calls, new_va, best)
            if got:
                best, calls, va = got
                changed = True
            return bool(got)

        for j in range(len(calls)):
            if j < len(calls) and len(calls) > 1:
                attempt(calls[:j] + calls[j + 1:], va)
        for i in range(len(calls)):
            for k in range(4):
                if i >= len(calls):
                    break
                c = calls[i]
                cands = (_flag_candidates(v, c.args[k]) if a.flag_arg.get(c.op) == k
                         else _candidates(c.args[k]))
                for x in cands:
                    c = calls[i]
                    attempt(calls[:i] + [ConcreteCall(c.op, _with(c.args, k, x))] + calls[i + 1:], va)
                    if i >= len(calls):
                        break
        for swapped in list(_flags_swapped(calls)):
            attempt(swapped, va)
        r = run(v, inv, calls, va)
        for x in _witnesses(v, va, r):
            attempt(calls, x)
        # one value in several places (the same virt in two calls and the witness)
        shared = sorted({x for c in calls for x in c.args} | {va})
        for old in shared:
            for x in _candidates(old):
                sub = lambda y: x if y == old else y  # noqa: E731
                moved = [ConcreteCall(c.op, tuple(map(sub, c.args))) for c in calls]
                if attempt(moved, canonical_va(sub(va), bits)):
                    break
        # the whole scenario lower in the address space
        addresses = sorted({c.args[k] for c in calls for k in a.address_args[c.op]})
        for old in addresses:
            for x in _candidates(old):
                moved, moved_va = _moved(calls, va, old - x, bits, a.address_args)
                if attempt(moved, moved_va) or attempt(moved, va):
                    break
    return calls, va


# ---------------------------------------------------------------------------
# vectors

def outcome(rc: str) -> str:
    """A call's rc as a regression vector's file name: ok, einval, enomem, ..., assert, no-return."""
    if rc == "0":
        return "ok"
    if rc.startswith("-E"):
        return rc[1:].lower()
    return "assert" if rc == "ASSERT" else "no-return"


def _hex_args(c: ConcreteCall, arg_names: dict = ARG_NAMES) -> dict[str, str]:
    return {n: hex(x) for n, x in zip(arg_names[c.op], c.args)}


def _rc_name(rc: int) -> str:
    return ERRNO_NAMES.get(rc, str(rc))


def table_level(v, s: State, frame: int) -> Optional[int]:
    """The level a frame is a table at (root or a pool page handed out), else None."""
    geo = v.geo
    if frame == geo.root:
        return arch_of(v).root_level(v)
    k = frame - geo.pool_base
    if 0 <= k < int(s.next_free):
        return int(s.pool_level[k])
    return None


def tables(v, s: State) -> list[dict[str, Any]]:
    """Every frame with a nonzero entry: the root first, then by frame number."""
    frames = sorted({f for (f, _), x in s.mem.cells.items() if x}, key=lambda f: (f != v.geo.root, f))
    out, a = [], arch_of(v)
    for f in frames:
        lvl = table_level(v, s, f)
        out.append({"frame": hex(f), "level": lvl,
                    "entries": [{"index": i, "raw": hex(x), "decoded": a.format_entry(v, x, lvl)}
                                for i, x in s.mem.frame_entries(f).items()]})
    return out


def _assert_hit(st: Step) -> Optional[str]:
    for fail, what in st.asserts:
        if bool(fail):
            return what
    return None


def tables_left_mapped(steps: list[Step]) -> int:
    """Tables a call's steps mapped (map_table) and did not unmap (unmap_table), summed;
    0 for a machine that does not count them (`Step.mapped` None)."""
    total = 0
    for st in steps:
        if st.mapped is not None:
            n, w = int(st.mapped), st.mapped.width
            total += n - (1 << w) if n >> (w - 1) else n
    return total


def last_flush(steps: list[Step]) -> Optional[tuple[int, int]]:
    """(va, size) of the last TLB flush the steps issued; None: none, or a machine that does
    not record them (`Step.flushes` None)."""
    done = [(int(va), int(size)) for st in steps for g, va, size in (st.flushes or ()) if bool(g)]
    return done[-1] if done else None


def _calls_out(calls: list[ConcreteCall], r: Run, a: TraceArch = RISCV) -> list[dict[str, Any]]:
    out = []
    for i, c in enumerate(calls):
        mine = [st for st, o in zip(r.steps, r.call_of_step) if o == i]
        item: dict[str, Any] = {"call": a.call_name(c.op), "function": a.function(c.op),
                                "args": _hex_args(c, a.arg_names), "steps": len(mine)}
        last = mine[-1] if mine else None
        if last is not None and int(last.post.pc) == PC_IDLE:
            rc = rc_value(last.post.rc)
            item.update(rc=_rc_name(rc), rc_value=rc)
            left_mapped = tables_left_mapped(mine)
            if left_mapped:  # written only when some are, so vectors of other calls keep their bytes
                item["mapped"] = left_mapped
            flush = last_flush(mine)
            if flush not in (None, (0, 0)):  # the same: pt.c's flush_tlb_range_va(0, 0) is not written
                item["flush"] = [hex(flush[0]), hex(flush[1])]
        elif last is not None and int(last.post.pc) == PC_HALTED:
            item.update(rc="ASSERT", rc_value=None, assert_failed=_assert_hit(last))
        elif last is not None:
            item.update(rc="(did not return within the replay limit)", rc_value=None)
        else:
            item.update(rc="(not run: an ASSERT stopped the machine before)", rc_value=None)
        out.append(item)
    return out


def _writes(v, st: Step) -> list[dict[str, Any]]:
    out, a = [], arch_of(v)
    for w in st.writes:
        if bool(w.guard):
            lvl = int(w.level)
            out.append({"table": hex(int(w.frame)), "index": int(w.idx), "level": int(w.level), "by": w.why,
                        "old": hex(int(w.old)), "old_decoded": a.format_entry(v, int(w.old), lvl),
                        "new": hex(int(w.new)), "new_decoded": a.format_entry(v, int(w.new), lvl)})
    return out


def _expected(v, r: Run) -> dict[str, Any]:
    after = "assert" if r.halted else "returned" if int(r.final.pc) == PC_IDLE else "limit"
    return {"after": after, "pool_handed_out": int(r.final.next_free),
            "tlb_stale": bool(r.final.tlb_stale), "tables": tables(v, r.final)}


def _violation(v, r: Run, va: int) -> dict[str, Any]:
    bst, a = r.steps[r.broke], arch_of(v)
    view = a.view(v, bst, bv(va, 64))
    ci = r.call_of_step[r.broke]
    return {"witness_va": hex(va), "step": r.broke, "call": ci,
            "iteration": sum(1 for o in r.call_of_step[:r.broke] if o == ci),
            "entries": _writes(v, bst),
            "translation_before": a.translation(view.before), "translation_after": a.translation(view.after)}


def build(v, inv: Optional[Invariant], calls: list[ConcreteCall], va: int, bounds: dict,
          solver: str, regression: Optional[tuple[str, str, str]] = None) -> dict[str, Any]:
    """The vector of canonical (calls, va), replayed, decoded, with the state the
    model predicts once every call has returned.  Without an obligation it is a
    regression vector: `regression` is (name, statement, where)."""
    r, a = run(v, inv, calls, va, stop_at_break=False), arch_of(v)
    if inv is not None and r.broke is None:
        raise VectorError(f"the calls do not break {inv.id} on {v.name}")
    head: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "system": a.system,
                            "version": v.name, "source": v.source}
    if inv is not None:
        head["obligation"] = {"id": inv.id, "statement": inv.statement, "where": inv.where,
                              "informative": inv.informative}
        head["verdict"] = "violated"
        bounds = {**bounds, "trace_steps": r.broke + 1}
    else:
        name, statement, where = regression
        head["name"] = name
        head["obligation"] = {"id": "regression", "statement": statement, "where": where,
                              "informative": True}
        head["verdict"] = "holds"
        bounds = {**bounds, "trace_steps": len(r.steps)}
    return {
        **head, "kind": "trace", "arch": a.arch, "mode": v.geo.mode.name, "bounds": bounds,
        "solver": solver,
        "initial_state": a.initial_json(v),
        "calls": _calls_out(calls, r, a),
        "violation": _violation(v, r, va) if inv is not None else None,
        "expected": _expected(v, r),
    }


def calls_of(vector: dict) -> list[ConcreteCall]:
    a = arch_named(vector.get("system", SYSTEM))
    out, names = [], a.arg_names
    for c in vector["calls"]:
        op = a.op_ids.get(c["call"])
        if op is None:
            raise VectorError(f"unknown call {c['call']!r} in vector")
        try:
            args = tuple(int(c["args"][n], 16) for n in names[op])
        except (KeyError, ValueError):
            raise VectorError(f"call {c['call']}: arguments {sorted(c['args'])} are not "
                              f"{', '.join(names[op])} in hex") from None
        out.append(ConcreteCall(op, args + (0,) * (4 - len(args))))
    return out


def variant_for(vector: dict):
    _need(vector)
    if model_class(vector["version"]) is None and "c_file" in vector["bounds"]:
        return _lifted_version(vector)
    return arch_named(vector.get("system", SYSTEM)).variant(vector["version"], vector["mode"], int(vector["bounds"]["pool"]))


def _lifted_version(vector: dict):
    """A vector of a lifted pt.c (`prove --c-source`): that C again, if it is at hand unchanged."""
    import hashlib
    from pathlib import Path

    from proofs.systems.riscv_pt.c_version import CSpec, c_version

    b = vector["bounds"]
    path = Path(b["c_file"])
    if not path.is_file():
        raise VectorError(f"the C of version {vector['version']} ({path}) is not at hand")
    if hashlib.sha256(path.read_bytes()).hexdigest() != b.get("c_sha256"):
        raise VectorError(f"{path} has changed since this vector of {vector['version']} was written")
    from proofs.refine.sources import asm_digest

    if asm_digest(path) != b.get("asm_sha256", ""):
        raise VectorError(f"the asm/page.h definitions beside {path} have changed since this vector of "
                          f"{vector['version']} was written")
    if vector["mode"] not in MODES:
        raise VectorError(f"unknown mode {vector['mode']!r} in vector")
    return c_version(CSpec(str(path), vector["version"], b["base"]), vector["mode"], int(b["pool"]))


def obligation_of(vector: dict) -> Optional[Invariant]:
    if vector["verdict"] == "holds":
        return None
    inv = arch_named(vector.get("system", SYSTEM)).obligations().get(vector["obligation"]["id"])
    if inv is None:
        raise VectorError(f"unknown {vector['system']} obligation {vector['obligation']['id']!r} in vector")
    return inv


# ---------------------------------------------------------------------------
# the plugin interface (proofs/vector.py)

def _op_id(r) -> int:
    """The operation id of a riscv-pt result (its `operation` is the entry point's name)."""
    return next(k for k, name in OPS.items() if name == r.operation)


def fresh_counterexample(job: tuple) -> tuple:
    """Re-decide one (version, obligation, operation) in a fresh interpreter and
    canonicalise what it finds.  A worker that has built other formulas first
    hands z3 a differently numbered query and may get another model, so the
    vectors are made here, where the solver's input depends on nothing else."""
    from proofs.engine.search import search
    from proofs.engine.step import step_check

    kind, version, ob, op, settings, depth = job
    a = arch_of_version(version)
    m = a.machine(version, settings)
    v = m.v
    inv = a.obligations()[ob]
    if kind == "step":
        out = step_check(m, inv, a.op_key(op), settings.solver, settings.timeout_ms, settings.rlimit)
        if out.status != "cti":
            raise VectorError(f"internal error: {version} {ob} {a.op_key(op)}: no counterexample to the "
                              f"step in a fresh run ({out.status})")
        return kind, out.cti["pre_state"], int(out.cti["witness_va"], 16)
    # the run found no shorter trace for this operation: ask only at its depth.  The run's solver
    # first (the committed vectors are canonicalised from z3's traces); the search's solver where
    # it gives up (z3 timed out at 300 s on arm-pt-upstream contig's, make bench --search-all)
    for solver in dict.fromkeys((settings.solver, settings.search_solver)):
        out, = search(m, [(inv, a.op_key(op))], depth, solver, settings.timeout_ms,
                      settings.rlimit, first=depth)
        if out.status != "unknown":
            break
    if out.status == "unknown":  # a solver's limit, not a bug: exit 3
        raise SolverError(f"{version} {ob} {a.op_key(op)}: the fresh search for its vector's trace answered "
                          f"unknown ({', '.join(dict.fromkeys((settings.solver, settings.search_solver)))}, "
                          f"--timeout {settings.timeout_ms // 1000} s)")
    if out.status != "violated":
        raise VectorError(f"internal error: {version} {ob} {a.op_key(op)}: no trace in a fresh run ({out.status})")
    calls = [a.concrete(c) for c in out.trace.calls]
    return (kind, *canonical(v, inv, started_calls(v, calls), out.trace.va))


def _fresh(jobs: list[tuple], workers: int) -> list[tuple]:
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    if not jobs:
        return []
    os.environ["PYTHONHASHSEED"] = "0"  # the fresh interpreters build formulas in one order
    ctx = multiprocessing.get_context("spawn")
    from proofs.interrupt import ignore_interrupts  # Ctrl-C: the CLI terminates the workers

    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx, max_tasks_per_child=1,
                             initializer=ignore_interrupts) as pool:
        return list(pool.map(fresh_counterexample, jobs))


def from_results(results: Iterable, settings) -> list[dict]:
    """One canonical vector per (version, obligation) the results refute.

    Of the operations it is violated in, the one with the shortest trace (then
    in operation order) is re-run fresh (`fresh_counterexample`); a
    not-inductive obligation gets its first operation's counterexample to the
    step.  Both choices depend only on verdicts and trace lengths, which do not
    depend on which model the solver returned."""
    traces: dict[tuple, list] = {}
    steps: dict[tuple, list] = {}
    for r in results:
        if r.verdict == "violated" and "replay" in r.extra:
            traces.setdefault((r.variant, r.invariant), []).append(r)
        elif r.verdict == "not-inductive" and (r.counterexample or {}).get("pre_state"):
            steps.setdefault((r.variant, r.invariant), []).append(r)
    jobs, meta = [], []
    for (version, ob), rs in sorted(traces.items()):
        a = arch_of_version(version)
        r = min(rs, key=lambda r: (r.extra["trace_steps"], a.op_of(r)))
        jobs.append(("trace", version, ob, a.op_of(r), settings, r.extra["trace_steps"]))
        meta.append((rs, r.solver))
    for (version, ob), rs in sorted(steps.items()):
        if (version, ob) not in traces:
            r = min(rs, key=arch_of_version(version).op_of)
            jobs.append(("step", version, ob, arch_of_version(version).op_of(r), settings, 0))
            meta.append((rs, r.solver))
    fresh = [j for j, (rs, _) in zip(jobs, meta) if _committed(rs, j[3], arch_of_version(j[1])) is None]
    made = dict(zip((j[1:4] for j in fresh), _fresh(fresh, settings.jobs or 2)))
    out = []
    for (kind, version, ob, op, _, _), (rs, solver) in zip(jobs, meta):
        a = arch_of_version(version)
        m, inv = a.machine(version, settings), a.obligations()[ob]
        v, bounds = m.v, {**m.bounds()}
        got = made.get((version, ob, op)) or _from_committed(v, inv, _committed(rs, op, a))
        if kind == "step":
            vec = step_vector(v, inv, got[1], got[2], bounds, solver)
        else:
            vec = build(v, inv, got[1], got[2], bounds, solver)
            _replayed_on_compiled(v, got[1], vec)
        vec["obligation"]["violated_in"] = [a.op_key(k) for k in sorted(map(a.op_of, rs))]
        vec["obligation"]["vector_from"] = a.op_key(op)
        out.append(vec)
    return out


def _committed(rs: list, op: int, a: TraceArch = RISCV) -> Optional[dict]:
    """The committed trace that established the operation's verdict, if one did
    (`proofs/engine/certificates.py`): the vector's own, so no fresh search is needed."""
    r = next(r for r in rs if a.op_of(r) == op)
    return r.extra["replay"] if r.extra.get("established_by") == "committed trace" else None


def vector_of_trace(v, ob: str, trace: dict, bounds: dict, solver: str) -> dict:
    """The canonical, shrunk vector of a violated result's trace (`Result.extra["replay"]`)
    on version `v`, without a fresh search (`ptprove review`: no committed vector to match)."""
    inv = _obligations()[ob]
    _, calls, va = _from_committed(v, inv, trace)
    return build(v, inv, calls, va, bounds, solver)


def _from_committed(v, inv: Invariant, trace: dict) -> tuple:
    """`fresh_counterexample`'s answer from a committed trace: it is canonical
    already (`certificate` wrote it from the vector), so this is a fixpoint."""
    step_calls = [ConcreteCall(op, tuple(int(a, 16) for a in args)) for op, args in trace["step_calls"]]
    return ("trace", *canonical(v, inv, started_calls(v, step_calls), int(trace["va"], 16)))


def certificate(vector: dict) -> Optional[tuple[str, dict]]:
    """(operation, trace) of a violated trace vector, as the engine replays it
    (`Trace.to_json`): the call each step is offered, up to the breaking step."""
    if vector.get("verdict") != "violated" or vector.get("kind") != "trace":
        return None
    v, inv = variant_for(vector), obligation_of(vector)
    calls, va = calls_of(vector), int(vector["violation"]["witness_va"], 16)
    r = run(v, inv, calls, va)
    if r.broke is None:
        raise VectorError(f"{relpath(vector)}: its calls do not break {inv.id}")
    step_calls = [calls[i] for i in r.call_of_step[:r.broke + 1]]
    return vector["obligation"]["vector_from"], {
        "va": hex(va), "step_calls": [[c.op, [hex(a) for a in c.args]] for c in step_calls]}


def _replayed_on_compiled(v, calls: list[ConcreteCall], vec: dict) -> None:
    """A lifted C version's vector replays on the compiled C too, or it is not written."""
    compiled = getattr(v, "replay_compiled", None)
    if compiled is None:
        return
    got = compiled(calls)
    if got.get("differences"):
        raise VectorError(f"{relpath(vec)}: the trace does not replay on the compiled C "
                          f"({got['compiler']}): {got['differences'][0]}")


def started_calls(v, step_calls: list[ConcreteCall]) -> list[ConcreteCall]:
    """The calls a step trace started (the call offered while the machine was idle)."""
    s = arch_of(v).initial(v)
    out = []
    for cc in step_calls:
        if int(s.pc) == PC_IDLE:
            out.append(cc)
        s = v.step(s, cc.call()).post
    return out


def _need(vector: dict) -> None:
    missing = [k for k in ("initial_state", "calls", "violation", "expected") if k not in vector]
    if vector["kind"] not in ("trace", "step") or missing:
        raise VectorError(f"a {vector['system']} vector needs kind 'trace' or 'step' and "
                          f"{', '.join(missing) or 'calls'}")
    if vector["kind"] == "step" and "machine" not in vector["initial_state"]:
        raise VectorError("a riscv-pt step vector needs initial_state.machine")


def replay(vector: dict) -> list[str]:
    """What does not reproduce when the vector runs on the concrete model."""
    _need(vector)
    if vector["kind"] == "step":
        return replay_step(vector)
    v = variant_for(vector)
    inv = obligation_of(vector)
    calls = calls_of(vector)
    va = int(vector["violation"]["witness_va"], 16) if vector.get("violation") else 0
    problems = []
    if not _contract(v, calls):
        problems.append(f"a call is outside the caller contract ({arch_of(v).contract_where})")
    if inv is not None:
        r = run(v, inv, calls, va, stop_at_break=False)
        if r.broke is None:
            problems.append(f"{inv.id} does not break")
            return problems
        if r.broke != vector["violation"]["step"]:
            problems.append(f"{inv.id} breaks at step {r.broke + 1}, the vector says "
                            f"{vector['violation']['step'] + 1}")  # 1-based, as every trace prints
    else:
        r = run(v, None, calls, 0)
    got = {"calls": _calls_out(calls, r, arch_of(v)), "expected": _expected(v, r)}
    for i, (want, have) in enumerate(zip(vector["calls"], got["calls"])):
        if want.get("rc") != have.get("rc"):
            problems.append(f"call {i + 1} ({want['call']}) returns {have.get('rc')}, the vector says "
                            f"{want.get('rc')}")
    for key in ("after", "pool_handed_out", "tlb_stale", "tables"):
        if vector["expected"][key] != got["expected"][key]:
            problems.append(f"final {key} differs from the vector's")
    return problems


def is_canonical(vector: dict) -> bool:
    """The shrink leaves the vector's calls and witness as they are."""
    v = variant_for(vector)
    inv = obligation_of(vector)
    if inv is None or vector["kind"] == "step":
        return True  # regression scenarios are chosen by hand; a CTI is the solver's pre-state
    calls = calls_of(vector)
    va = int(vector["violation"]["witness_va"], 16)
    return canonical(v, inv, calls, va) == (calls, va)


# ---------------------------------------------------------------------------
# not-inductive: one step from a pre-state that may be unreachable

def state_from_json(v, m: dict) -> State:
    mem = Memory.zero()
    for f, i, x in m["cells"]:
        mem = mem.write(TRUE, bv(int(f, 16), FRAME_BITS), bv(i, 9), bv(int(x, 16), 64))
    w = lambda k, n=64: bv(int(m[k], 16), n)  # noqa: E731
    return State(
        mem=mem, next_free=w("next_free", 8),
        pool_level=tuple(bv(x, LEVEL_BITS) for x in m["pool_level"]),
        pool_parent=tuple((bv(int(f, 16), FRAME_BITS), bv(i, 9)) for f, i in m["pool_parent"]),
        pc=w("pc", 2), op=w("op", 3), start=w("start"), nr=w("nr"), vfn=w("vfn"), mfn=w("mfn"),
        flags=w("flags"), rc=w("rc", RC_BITS), tlb_stale=Bool(m["tlb_stale"]), applied=Bool(m["applied"]),
        stale_lo=bv(int(m.get("stale_lo", "0x0"), 16), 64),
        stale_hi=bv(int(m.get("stale_hi", hex((1 << 64) - 1)), 16), 64),
    )


def _one_step(v, inv: Invariant, machine: dict, va: int) -> tuple[State, Step, bool]:
    pre = state_from_json(v, machine)
    op, args = machine["call"]
    st = v.step(pre, ConcreteCall(op, tuple(int(a, 16) for a in args)).call())
    broke = int(st.post.pc) != PC_HALTED and not bool(inv.holds(View(v, st, bv(va, 64))))
    return pre, st, broke


def step_vector(v, inv: Invariant, machine: dict, va: int, bounds: dict, solver: str) -> dict[str, Any]:
    """The vector of a counterexample to induction, replayed on its concrete pre-state."""
    pre, st, broke = _one_step(v, inv, machine, va)
    if not broke:
        raise VectorError(f"the counterexample to the step does not break {inv.id} on {v.name}")
    idle = int(pre.pc) == PC_IDLE
    op, args = machine["call"]
    cc = ConcreteCall(op if idle else int(pre.op), tuple(int(a, 16) for a in args))
    r = Run([st], [0], 0, st.post)
    call = _calls_out([cc], r)[0] if idle else None
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "system": SYSTEM,
        "version": v.name, "source": v.source,
        "obligation": {"id": inv.id, "statement": inv.statement, "where": inv.where,
                       "informative": inv.informative},
        "verdict": "not-inductive", "kind": "step", "arch": "riscv", "mode": v.geo.mode.name,
        "bounds": {**bounds, "trace_steps": 1}, "solver": solver,
        "initial_state": {"from": "arbitrary pre-state satisfying the lemmas the step assumes "
                                  "(it may be unreachable from the initial state)",
                          "root": hex(v.geo.root), "pool_base": hex(v.geo.pool_base),
                          "tables": tables(v, pre),
                          "machine": {k: x for k, x in machine.items() if k != "cells"}},
        "calls": [call] if call else [],
        "violation": _violation(v, r, va),
        "expected": {"after": "step", "pool_handed_out": int(st.post.next_free),
                     "tlb_stale": bool(st.post.tlb_stale), "tables": tables(v, st.post)},
    }


def replay_step(vector: dict) -> list[str]:
    v = variant_for(vector)
    inv = obligation_of(vector)
    va = int(vector["violation"]["witness_va"], 16)
    _, st, broke = _one_step(v, inv, step_machine(vector), va)
    if not broke:
        return [f"{inv.id} does not break in the step"]
    if tables(v, st.post) != vector["expected"]["tables"]:
        return ["the tables after the step differ from the vector's"]
    return []


def step_machine(vector: dict) -> dict:
    """A step vector's pre-state in the form `state_from_json` reads."""
    machine = dict(vector["initial_state"]["machine"])
    machine["cells"] = [[t["frame"], e["index"], e["raw"]] for t in vector["initial_state"]["tables"]
                        for e in t["entries"]]
    return machine
