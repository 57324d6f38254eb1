"""Page-table memory: (frame, index) -> 64-bit entry, concrete or symbolic.

A `Memory` is a base (all zero, or an uninterpreted function for an arbitrary
state) plus the writes made since.  Writes whose guard, frame and index are all
concrete, made before any symbolic write, go to a dict (fast concrete replay);
every other write is appended to a log of guarded writes, so a read is an
`ite` chain over the log.  SMT arrays are avoided on purpose: bit-vector
`ite`s over an uninterpreted base keep z3 on its bit-blasting path.

Every read of the base at a symbolic location is recorded in `base_reads`, so
the engine can instantiate per-location lemmas exactly where the step looked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from pysmt import shortcuts as S
from pysmt.typing import BVType, FunctionType

from model.term import Bool, Word, evaluate, ite

FRAME_BITS = 44  # a PPN: PTE bits 53:10
ENTRY_BITS = 64
PAGE_SHIFT = 12


def maddr_beyond(mfn: Word, paddr_bits: int) -> Bool:
    """`mfn_to_maddr(mfn) & ~PADDR_MASK`: the frame's 64-bit paddr_t (the MFN shifted
    by PAGE_SHIFT, its top bits lost) has a bit at PADDR_BITS or above."""
    return ((mfn.zext(64) << PAGE_SHIFT) >> paddr_bits).any()


@dataclass(frozen=True)
class Write:
    guard: Bool
    frame: Word
    idx: Optional[Word]  # None: the whole frame is cleared (clear_page)
    value: Word

    def under(self, g: Bool) -> "Write":
        return Write(self.guard & g, self.frame, self.idx, self.value)

    def hits(self, frame: Word, idx: Word) -> Bool:
        at = self.frame == frame
        if self.idx is not None:
            at = at & (self.idx == idx)
        return self.guard & at


@dataclass
class Memory:
    idx_bits: int = 9
    base_fn: Optional[object] = None  # pysmt function symbol, or None for all-zero
    cells: dict = field(default_factory=dict)  # (frame:int, idx:int) -> int, nonzero only
    cleared: frozenset = frozenset()  # concrete frames zeroed over a symbolic base
    log: tuple = ()
    base_reads: list = field(default_factory=list)  # shared between copies

    @classmethod
    def zero(cls, idx_bits: int = 9) -> "Memory":
        return cls(idx_bits)

    @classmethod
    def arbitrary(cls, name: str, idx_bits: int = 9) -> "Memory":
        fn = S.Symbol(name, FunctionType(BVType(ENTRY_BITS), [BVType(FRAME_BITS), BVType(idx_bits)]))
        return cls(idx_bits, base_fn=fn)

    def _copy(self, **kw) -> "Memory":
        d = dict(idx_bits=self.idx_bits, base_fn=self.base_fn, cells=self.cells,
                 cleared=self.cleared, log=self.log, base_reads=self.base_reads)
        d.update(kw)
        return Memory(**d)

    # -- reads ---------------------------------------------------------------
    def base(self, frame: Word, idx: Word) -> Word:
        if frame.is_concrete and idx.is_concrete:
            key = (frame.v, idx.v)
            if key in self.cells:
                return Word(self.cells[key], ENTRY_BITS)
            if self.base_fn is None or frame.v in self.cleared:
                return Word(0, ENTRY_BITS)
        elif self.cells or self.cleared:
            raise ValueError("symbolic read over concrete cells: start from a fresh memory")
        if self.base_fn is None:
            return Word(0, ENTRY_BITS)
        self.base_reads.append((frame, idx))
        return Word(S.Function(self.base_fn, [frame.node(), idx.node()]), ENTRY_BITS)

    def read(self, frame: Word, idx: Word) -> Word:
        v = self.base(frame, idx)
        for w in self.log:
            v = ite(w.hits(frame, idx), w.value, v)
        return v

    # -- writes --------------------------------------------------------------
    def _concrete(self, guard: Bool, frame: Word, idx: Optional[Word]) -> bool:
        return (not self.log and guard.is_concrete and frame.is_concrete
                and (idx is None or idx.is_concrete))

    def write(self, guard: Bool, frame: Word, idx: Word, value: Word) -> "Memory":
        if self._concrete(guard, frame, idx) and value.is_concrete:
            if not guard.v:
                return self
            cells = dict(self.cells)
            if value.v:
                cells[(frame.v, idx.v)] = value.v
            else:
                cells.pop((frame.v, idx.v), None)
                if self.base_fn is not None and frame.v not in self.cleared:
                    cells[(frame.v, idx.v)] = 0  # shadow the symbolic base
            return self._copy(cells=cells)
        return self._copy(log=self.log + (Write(guard, frame, idx, value),))

    def clear(self, guard: Bool, frame: Word) -> "Memory":
        """clear_page(frame): every entry of the frame becomes 0."""
        if self._concrete(guard, frame, None):
            if not guard.v:
                return self
            cells = {k: v for k, v in self.cells.items() if k[0] != frame.v}
            return self._copy(cells=cells, cleared=self.cleared | {frame.v})
        return self._copy(log=self.log + (Write(guard, frame, None, Word(0, ENTRY_BITS)),))

    # -- merging two executions from a common ancestor -------------------------
    def merge(self, cond: Bool, other: "Memory") -> "Memory":
        """ite(cond, self, other), for two memories extended from a common one."""
        if cond.is_concrete:
            return self if cond.v else other
        if self.cells is not other.cells or self.cleared != other.cleared:
            raise ValueError("merge of memories with different concrete parts")
        n = 0
        for a, b in zip(self.log, other.log):
            if a is not b:
                break
            n += 1
        log = (self.log[:n] + tuple(w.under(cond) for w in self.log[n:])
               + tuple(w.under(~cond) for w in other.log[n:]))
        return self._copy(log=log)

    @classmethod
    def merge_all(cls, pairs: list) -> "Memory":
        """One memory for several `(cond, memory)` pairs with exclusive conditions, all extended
        from a common one: each write made on some of them appears once, under the disjunction
        of their conditions (so history shared by some but not all is not copied per memory,
        whatever the order of the pairs)."""
        first = pairs[0][1]
        if len(pairs) == 1:
            return first
        for _, m in pairs[1:]:
            if m.cells is not first.cells or m.cleared != first.cleared:
                raise ValueError("merge of memories with different concrete parts")
        return first._copy(log=_merged_log(pairs, 0))

    def cells_read(self, model) -> dict[tuple[int, int], int]:
        """The base entries at every location a query read, under a solver model
        (how a counterexample's pre-state memory is decoded)."""
        cells: dict[tuple[int, int], int] = {}
        for frame, idx in list(self.base_reads):  # reading below appends to the log
            f, i = int(evaluate(frame, model)), int(evaluate(idx, model))
            if (f, i) not in cells:
                cells[(f, i)] = int(evaluate(self.read(Word(f, FRAME_BITS), Word(i, self.idx_bits)), model))
        return cells

    # -- concrete view -------------------------------------------------------
    def frame_entries(self, frame: int) -> dict[int, int]:
        """Nonzero entries of a frame (concrete memories only)."""
        if self.log:
            raise ValueError("frame_entries needs a concrete memory")
        return {i: v for (f, i), v in sorted(self.cells.items()) if f == frame and v}


def _merged_log(pairs: list, n: int) -> tuple:
    """The merged log of `pairs` (exclusive conditions), whose logs agree on their first `n` entries."""
    logs = [m.log for _, m in pairs]
    while all(len(lg) > n for lg in logs) and all(lg[n] is logs[0][n] for lg in logs):
        n += 1
    out = logs[0][:n]
    groups: dict = {}
    for c, m in pairs:
        if len(m.log) > n:
            groups.setdefault(id(m.log[n]), []).append((c, m))
    for group in groups.values():
        cond = group[0][0]
        for c, _ in group[1:]:
            cond = cond | c
        tail = _merged_log(group, n + 1) if len(group) > 1 else group[0][1].log
        out += tuple(w.under(cond) for w in tail[n:])
    return out
