"""What the range loop returns (`return-range`): RISC-V p2m_set_range, Arm p2m_set_entry.

The loop calls p2m_set_entry (Arm: __p2m_set_entry) once per chunk and stops at the
first nonzero rc; what it returns depends only on where it stopped: `left`, the frames
not done (unsigned long), and `rc`, the last call's return (an int).  Every exit is one
of: the range done (left 0, rc 0, or nr 0) or a call failing with `left` in [1, nr] and
rc a negative errno (what `return` proves p2m_set_entry returns when it fails).  The
query asks, over every such exit and every 64-bit nr, whether the model's
`set_range_result` (the C's return statement) is 0 exactly when the range is done and
a negative errno otherwise.  Two members: the loop stops at its first call (left ==
nr), or part way (0 < left < nr).

A counterexample is replayed on the concrete model from the initial state as one
map_regions_p2mt call that stops where the solver's exit does: the first call fails
with -EINVAL (a gfn beyond the root) for `left == nr`; for part way, the range starts at
the last frame of the G-stage space, so one 4K chunk is mapped and the next is beyond
the root (nr = left + 1: the C's return depends on `left`, and on `rc` only when left is
0).  The replayed return value must break the claim, else the member is not refuted.
"""
from __future__ import annotations

from typing import Callable

from model.riscv.p2m_state import P2MState
from model.term import Bool, bv, sym_word, all_of, evaluate
from proofs.engine.obligation import Member
from proofs.engine.result import NOT_INDUCTIVE, PROVED, UNKNOWN, VIOLATED
from proofs.engine.solver import SAT, UNSAT
from proofs.systems.shared import negative_errno

RC_BITS = 32
MFN = 0x41  # odd: every chunk is 4K (p2m_mapping_order)


def returns_as_asked(ret, left) -> Bool:
    """0 exactly when nothing is left, a negative errno otherwise."""
    return ((ret == 0).iff(left == 0)) & ((ret == 0) | negative_errno(ret))


def _signed(v: int) -> int:
    return v - (1 << RC_BITS) if v >> (RC_BITS - 1) else v


def scenario(m, nr: int, left: int) -> tuple[int, int]:
    """(gfn, nr) of a map_regions_p2mt call whose loop stops with `left` frames left."""
    beyond = 1 << m.geo.gfn_bits  # the first gfn p2m_get_root_pointer has no root for
    return (beyond, nr) if left == nr else (beyond - 1, left + 1)


def replay(m, geometry, nr: int, left: int) -> dict:
    """The scenario run on the concrete model from the initial state."""
    from model.riscv.p2m_state import Oracle

    gfn, n = scenario(m, nr, left)
    st = P2MState.initial(geometry, bv(0, 44))
    _, ret = m.p2m_set_range(st, gfn, n, MFN, m.RAM_RW, Oracle())
    broken = not bool(returns_as_asked(bv(ret % (1 << RC_BITS), RC_BITS), bv(left, 64)))
    return {"calls": [{"call": "map_regions_p2mt", "function": "map_regions_p2mt",
                       "args": {"gfn": hex(gfn), "nr": hex(n), "mfn": hex(MFN), "t": "p2m_ram_rw"},
                       "rc": ret}],
            "left": hex(left), "returned": ret, "breaks": broken,
            "from": "the initial state (an empty root, every pool page free), replayed concretely"}


def members(cls, geometry_of: Callable) -> list[Member]:
    geo = geometry_of(cls)
    m = cls(geo)
    bounds = dict(geo.bounds(), nr_bits=64, left_bits=64, rc_bits=RC_BITS,
                  depth="every exit of the loop (any nr, left and errno); replayed as one "
                        "map_regions_p2mt call")

    def member(name: str, first: bool) -> Member:
        nr, left, r = sym_word("range_nr", 64), sym_word("range_left", 64), sym_word("range_rc", RC_BITS)
        stops = (left == nr) if first else ((left < nr) & (left != 0))
        failed = all_of([left != 0, stops, negative_errno(r)])
        done = (left == 0) & (r == 0)
        domain = failed | (done if first else Bool(False))
        ret = m.set_range_result(left, r)
        claim = returns_as_asked(ret, left)

        def formula():
            return domain, claim

        def decide(ask) -> tuple:
            ans = ask(domain & ~claim)
            if ans.status == SAT:
                v = lambda x: int(evaluate(x, ans.model))  # noqa: E731
                nv, lv, rv = v(nr), v(left), _signed(v(r))
                cex = replay(m, geo, nv, lv) | {"solver": {"nr": hex(nv), "left": hex(lv), "rc": rv,
                                                             "returns": _signed(v(ret))}}
                if cex["breaks"]:
                    return (VIOLATED, cex, f"the loop stops with {lv:#x} frames left and returns "
                            f"{cex['returned']} (replayed from the initial state)", {}, None)
                return (NOT_INDUCTIVE, cex, "an exit that breaks it, not reproduced by the replay", {}, None)
            if ans.status != UNSAT:
                return UNKNOWN, None, "solver answered unknown", {}, None
            wit = ask(domain)
            if wit.status != SAT:
                return UNKNOWN, None, "the exits are empty or undecided: nothing proved", {}, None
            return PROVED, None, "unsat over every exit of the loop", {}, True

        return Member(name, bounds, formula, decide, name=name.replace(" ", "-"))

    return [member("stops at the first call", True), member("stops part way", False)]
