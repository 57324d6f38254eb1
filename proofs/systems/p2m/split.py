"""split-preserves: p2m_split_superpage keeps every frame's translation, at full width.

For a superpage entry at `level` (any valid, aligned, well-typed leaf: a
symbolic 64-bit entry) split down to `target` along the path of a symbolic
gfn, with allocations succeeding, the solver looks for a frame `other` of the
superpage whose translation through the new subtree (MFN, attributes, p2m
type; a misaligned or reserved leaf faults) differs from the superpage's.
Tables are full width (512 entries, 9-bit indices, 64-bit entries).

RISC-V permits a leaf at every level, so the RISC-V versions are checked up to
the root of Sv57x4 (level 4); Arm has blocks at its levels 1 and 2 only.  A
counterexample is replayed concretely; it is a call of the function on an
input no p2m_set_entry may produce (leaves above 1G), so it is reported as
not-inductive, never as a trace.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Optional

from model.riscv.p2m_state import MFN_BITS, TYPE_BITS, Oracle, P2MGeometry, P2MState
from model.term import Bool, Word, all_of, bv, evaluate, sym_word
from proofs.engine.result import PROVED, UNKNOWN
from proofs.engine.solver import SAT, UNSAT
from proofs.engine.step import ReplayError

#: (mode, superpage level, target level) checked per architecture
SPLITS = {
    "riscv": (("sv39x4", 1, 0), ("sv39x4", 2, 0), ("sv48x4", 3, 2), ("sv57x4", 4, 3)),
    "arm": (("sv39x4", 1, 0), ("sv39x4", 2, 0)),
}


@dataclass
class SplitOutcome:
    status: str  # PROVED, "cti", UNKNOWN
    seconds: float
    vacuity: Optional[bool] = None
    counterexample: Optional[dict] = None


def split_geometry(mode: str, level: int, target: int) -> P2MGeometry:
    return P2MGeometry(mode=mode, idx_bits=9, pool=level - target)


def _setup(m, level: int, e: Word, gfn: Word, md: Word):
    st = replace(P2MState.initial(m.geo, bv(0, MFN_BITS)), ghost=False)
    parent, pidx = bv(0, 16), m.offset(gfn, level)
    # the parent table's metadata: the superpage's slot holds `md` (every slot does)
    return st.fill(Bool(True), parent, lambda i: (bv(0, 64), md)), parent, pidx


def _claim(m, level: int, target: int, e: Word, gfn: Word, other: Word, md: Word):
    """(preconditions, the translations agree) for these inputs."""
    st, parent, pidx = _setup(m, level, e, gfn, md)
    pre = (m.pte_is_mapping(e, level) & ~m.entry_reserved(e, level)
           & m.type_consistent(st, e, level, parent, pidx))
    before_mfn = m.pte_get_mfn(e) + (other & ((1 << m.geo.level_order(level)) - 1)).trunc(MFN_BITS)
    before_type = m.p2m_get_type(st, e, parent, pidx)
    st2, ok, new = m.p2m_split_superpage(st, Bool(True), e, level, target, gfn, parent, Oracle())
    ok_a, mfn_a, attrs_a, type_a = m.translate_entry(st2, new, level, parent, pidx, other)
    same = all_of([ok, ok_a, mfn_a == before_mfn, attrs_a == m.entry_attrs(e),
                   type_a == before_type])
    return pre, same, (st2, new)


def split_query(cls, mode: str, level: int, target: int):
    """(the version's model, its symbols, preconditions, the translations agree)."""
    m = cls(split_geometry(mode, level, target))
    e, gfn, other = sym_word("sp", 64), sym_word("gfn", 64), sym_word("other", 64)
    md = sym_word("md", TYPE_BITS)
    pre, same, _ = _claim(m, level, target, e, gfn, other, md)
    return m, (e, gfn, other, md), pre, same


def split_check(cls, mode: str, level: int, target: int, ask) -> SplitOutcome:
    """`ask(formula)` is the run's solver."""
    t0 = time.perf_counter()
    m, (e, gfn, other, md), pre, same = split_query(cls, mode, level, target)
    # frames on the split path below the superpage, and the others: two easier queries
    on_path = m.offset(other, level - 1) == m.offset(gfn, level - 1)
    for case in ((on_path, ~on_path) if level - target > 1 else (Bool(True),)):
        ans = ask(pre & case & ~same)
        if ans.status == SAT:
            vals = {k: int(evaluate(v, ans.model)) for k, v in
                    dict(entry=e, gfn=gfn, other=other, md=md).items()}
            return SplitOutcome("cti", time.perf_counter() - t0,
                                counterexample=replay_split(m, level, target, **vals))
        if ans.status != UNSAT:
            return SplitOutcome(UNKNOWN, time.perf_counter() - t0)
    witness = ask(pre)
    if witness.status not in (SAT, UNSAT):
        return SplitOutcome(UNKNOWN, time.perf_counter() - t0)
    return SplitOutcome(PROVED, time.perf_counter() - t0, vacuity=witness.status == SAT)


def replay_split(m, level: int, target: int, entry: int, gfn: int, other: int, md: int) -> dict:
    """Split concretely; the frame `other` must translate differently afterwards."""
    w = lambda v, n=64: bv(v, n)  # noqa: E731
    pre, same, (st2, new) = _claim(m, level, target, w(entry), w(gfn), w(other), w(md, TYPE_BITS))
    if not bool(pre) or bool(same):
        raise ReplayError("split-preserves counterexample does not reproduce concretely")
    ok, mfn, attrs, t = m.translate_entry(st2, new, level, bv(0, 16), m.offset(w(gfn), level),
                                          w(other))
    span = m.geo.level_order(level)
    return {"kind": "not-inductive: p2m_split_superpage on a superpage no p2m_set_entry "
                    "creates (a counterexample to the function, replayed concretely)",
            "call": {"call": "p2m_split_superpage", "mode": m.geo.mode, "level": level,
                     "target": target, "entry": hex(entry), "gfn": hex(gfn)},
            "frame": hex(other & ((1 << span) - 1)),
            "before": {"mfn": hex(int(m.pte_get_mfn(w(entry))) + (other & ((1 << span) - 1)))},
            "after": {"ok": bool(ok), "mfn": hex(int(mfn)), "attrs": hex(int(attrs)),
                      "type": int(t)}}
