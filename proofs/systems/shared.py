"""Obligations every page-table system states the same way, over a walk.

Each takes a view of one step (`proofs/systems/walk.py`'s View, or a
subclass with another architecture's walk) at a witness address and says the
same thing for RISC-V's pt.c, Arm's xen_pt_update and the fixmap.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from model.memory import FRAME_BITS, Memory
from model.riscv.machine import ERRNO_NAMES, LEVEL_BITS, OPS, PC_HALTED, PC_IDLE, PC_LOOP, Call, State, rc_value, rc_word
from model.riscv.pte import PAGE_HYPERVISOR_RW, PTE_EXECUTABLE, PTE_SMALL, PTE_VALID, PTE_WRITABLE
from model.term import TRUE, Bool, Word, all_of, any_of, bv, evaluate, ite, sym_bool, sym_word
from proofs.systems.walk import View, at_level

# -- RISC-V's request vocabulary (pt.c and the fixmap) ------------------------------
PPN_LIMIT = 1 << 44  # frames a PTE can name
#: a W+X request: callers must not, and pt_update must refuse it
WX_REQUEST = PAGE_HYPERVISOR_RW | PTE_EXECUTABLE | PTE_WRITABLE


def flags_ok(flags: Word, presets: tuple) -> Bool:
    """One of the version's PAGE_HYPERVISOR_* presets (or a W+X request), maybe | PTE_SMALL."""
    values = [p | s for p in presets + (WX_REQUEST,) for s in (0, PTE_SMALL)]
    return any_of(flags == f for f in values)



# -- the statements -----------------------------------------------------------------



def no_wx(t) -> Bool:
    """The translation `t` is not through a writable and executable leaf."""
    return ~(t.ok & t.leaf_w & t.leaf_x)


def wx(v) -> Bool:
    # No step makes an address translate through a valid leaf that is writable
    # and executable (so, from the empty tree, none ever does).
    return no_wx(v.before).implies(no_wx(v.after))


def no_overwrite(v: View) -> Bool:
    # An insert (or a new table) never lands on a valid entry; a valid leaf
    # never gets another PPN without being invalidated first.
    ok = TRUE
    for w in v.step.writes:
        inserting = (w.why == "create_table") | v.inserting
        both_leaves = at_level(w.old, w.level, v.mode, "leaf") & at_level(w.new, w.level, v.mode, "leaf")
        same_ppn = w.old.bits(53, 10) == w.new.bits(53, 10)
        ok = ok & w.guard.implies(~(inserting & w.old.bit(0)))
        ok = ok & w.guard.implies(both_leaves.implies(same_ppn))
    return ok


def footprint(v) -> Bool:
    # An iteration changes no translation outside the range the call asked for.
    return (v.iterating & ~v.in_request).implies(v.before.same(v.after))


def tlb(v) -> Bool:
    # When a call returns, no entry has changed since the last fence or flush
    # (what counts as changed is the machine's: RISC-V TLBs may cache invalid
    # entries, Arm's hold only valid ones).
    return (v.step.ended & (v.post.pc == PC_IDLE)).implies(~v.post.tlb_stale)


def atomicity(v) -> Bool:
    # A call that fails leaves no entry changed by its earlier iterations.
    return (v.step.ended & (v.post.rc != 0)).implies(~v.post.applied)


def pmap(v) -> Bool:
    # Every table a step maps (map_table) it unmaps again before the step ends.
    # In early boot map_table takes one of the NUM_FIX_PMAP (8) PMAP slots
    # (pmap_map, common/pmap.c): a step that leaves one mapped holds that slot for
    # good, and the ninth map_table after eight such steps panics ("Out of PMAP slots").
    if v.step.mapped is None:
        raise TypeError(f"{v.variant.name}: its machine does not count map_table/unmap_table")
    return v.step.mapped == 0


#: xen/include/xen/err.h: the largest errno (an error is -MAX_ERRNO .. -1)
MAX_ERRNO = 4095


def returns_as_asked(v, refused: Bool, covered: Bool) -> Bool:
    """A call that returns (and is not one its checks must refuse: `refused`) returns 0
    exactly when it did all it was asked (`covered`, in the post-state), else a
    negative errno."""
    post = v.post
    returns = v.step.ended & (post.pc == PC_IDLE) & ~refused
    errno = (post.rc != 0) & (post.rc >= rc_word(-MAX_ERRNO))
    return returns.implies(ite(post.rc == 0, covered, ~covered & errno))


def instantiate(name: str, s, variant, addresses: list, of_state: dict, at: dict) -> Bool:
    """A system's lemma `name` on state `s`: a lemma of the state, or one of the
    state at an address, taken at every address of `addresses`."""
    if name in of_state:
        return of_state[name](s, variant)
    if name in at:
        return all_of(at[name](s, variant, a) for a in addresses)
    raise KeyError(name)


def arbitrary_state(geo, op):
    """A symbolic pre-state of the page-table machine (`model/riscv/machine.py`'s
    State, which Arm's extends): memory uninterpreted, the allocator, the ghost
    levels and parents, the call in progress (`op`, a Word) and its loop variables free."""
    w = lambda n: sym_word(n, 64)  # noqa: E731
    return State(
        mem=Memory.arbitrary("M"),
        next_free=sym_word("next_free", 8),
        pool_level=tuple(sym_word(f"pool_level{k}", LEVEL_BITS) for k in range(geo.pool)),
        pool_parent=tuple((sym_word(f"parent_frame{k}", FRAME_BITS), sym_word(f"parent_idx{k}", 9))
                          for k in range(geo.pool)),
        pc=sym_word("pc", 2), op=op, start=w("start"), nr=w("nr"), vfn=w("vfn"),
        mfn=w("mfn"), flags=w("flags"), rc=sym_word("rc", 32),
        tlb_stale=sym_bool("tlb_stale"), applied=sym_bool("applied"),
        stale_lo=w("stale_lo"), stale_hi=w("stale_hi"),
    )


def concretize(x, model, cells: dict):
    """A symbolic state under a solver model; memory becomes the entries read (others 0)."""
    if isinstance(x, Memory):
        mem = Memory.zero(x.idx_bits)
        for (f, i), v in sorted(cells.items()):
            mem = mem.write(bv(1, 1) == 1, bv(f, FRAME_BITS), bv(i, x.idx_bits), bv(v, 64))
        return mem
    if isinstance(x, (Word, Bool)):
        return evaluate(x, model)
    if isinstance(x, tuple):
        return tuple(concretize(y, model, cells) for y in x)
    if is_dataclass(x):
        return replace(x, **{f.name: concretize(getattr(x, f.name), model, cells) for f in fields(x)})
    return x


def describe_calls(m, calls: list, steps: list, va: int) -> dict:
    """A replayed trace of a hook machine (`describe_call`, `describe_step`): each
    call taken with its iterations and return code; a call offered while one is
    in progress is not taken."""
    out: list[dict] = []
    for c, st in zip(calls, steps):
        if int(st.pre.pc) == PC_IDLE:
            out.append({**m.describe_call(c), "iterations": 0})
        else:
            out[-1]["iterations"] += 1
        rc = rc_value(st.post.rc)
        out[-1]["rc"] = (ERRNO_NAMES.get(rc, str(rc)) if int(st.post.pc) == PC_IDLE
                         else "(in progress: the invariant breaks inside this call)")
    return {"kind": "violated: a trace from the initial state, replayed concretely",
            "calls": out, "steps": len(steps), "witness_va": hex(va),
            "breaking_step": m.describe_step(steps[-1], va)}


class PageTableMachine:
    """What the hook machines over `model/riscv/machine.py`'s State and Call share
    (Arm's xen_pt_update, the fixmap): calls as (op, four 64-bit arguments), the
    pc's halted and in-call states, states read back with their memory.  A
    subclass gives `describe_call` and `describe_step`; its obligations are over
    any call."""

    def initial_params(self, model) -> None:
        return None

    def pre_ok(self, s) -> Bool:
        return (s.pc == PC_IDLE) | (s.pc == PC_LOOP)

    def cases(self, pre, call) -> list[Bool]:
        """A step by where it starts: a call to each entry point from idle, or an
        iteration of each one's loop (for obligations decided `by_case`)."""
        ops = range(len(OPS))
        return ([(pre.pc == PC_IDLE) & (call.op == k) for k in ops]
                + [(pre.pc == PC_LOOP) & (pre.op == k) for k in ops])

    def post(self, st):
        return st.post

    def halted(self, st) -> Bool:
        return st.post.pc == PC_HALTED

    def in_op(self, s, call, op) -> Bool:
        return Bool(True)

    def concrete_pre(self, pre, model):
        return concretize(pre, model, pre.mem.cells_read(model))

    def concrete_call(self, call, model):
        return Call(evaluate(call.op, model), tuple(evaluate(a, model) for a in call.a))

    def call_json(self, call) -> list:
        return [int(call.op), [hex(int(a)) for a in call.a]]

    def call_from_json(self, data: list):
        op, args = data
        return Call(Word(op, 3), tuple(Word(int(a, 16), 64) for a in args))

    def describe_cti(self, symbolic_pre, pre, call, va: int, st, model) -> dict:
        return {"kind": "not-inductive: a counterexample to the step from a state that may be unreachable",
                "call": self.describe_call(call),
                "pre_entries": [{"table": hex(f), "index": i, "value": hex(v)}
                                for (f, i), v in sorted(symbolic_pre.mem.cells_read(model).items()) if v],
                **self.describe_step(st, va)}

    def describe_trace(self, calls: list, steps: list, va: int) -> dict:
        return describe_calls(self, calls, steps, va)


#: xen/include/xen/err.h: the largest errno (an error is -MAX_ERRNO .. -1)
MAX_ERRNO = 4095


def negative_errno(rc: Word) -> Bool:
    """rc, a C int of rc.width bits, is -MAX_ERRNO .. -1 (what every entry point returns on failure)."""
    return (rc != 0) & (rc >= bv((1 << rc.width) - MAX_ERRNO, rc.width))


def wx_flags(flags: Word) -> Bool:
    """RISC-V pt_update's refusal test: V, W and X all set in the request's flags."""
    vwx = PTE_VALID | PTE_WRITABLE | PTE_EXECUTABLE
    return (flags & vwx) == vwx
