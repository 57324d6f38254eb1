"""Instantiating a term computed once over free symbols: symbols and memories replaced.

A step that is expensive to compute (the lifted C's: path exploration, feasibility
queries) is computed once from a free pre-state and then instantiated at each
state of an unrolling by rewriting its terms: every free symbol becomes the
state's term, and every read of the free memory (`M(frame, idx)`, an
uninterpreted function) becomes a read of the state's `Memory` at the rewritten
location.  Paths pruned as infeasible for every value of the free symbols stay
pruned for every instance, so the instance is the step of the instance.
"""
from __future__ import annotations

from typing import Any

from pysmt.walkers import IdentityDagWalker

from model.memory import FRAME_BITS, Memory
from model.term import Bool, Word


class Instance(IdentityDagWalker):
    """Rewrites terms: `symbols` (FNode -> FNode), `memory` the free memory's instance.
    One instance per target state: its memo is shared by every term rewritten."""

    def __init__(self, symbols: dict, free_memory: Memory, memory: Memory):
        super().__init__()
        self.symbols = symbols
        self.fn = free_memory.base_fn
        self.memory = memory

    def walk_symbol(self, formula, args, **kwargs):
        return self.symbols.get(formula, formula)

    def walk_function(self, formula, args, **kwargs):
        if formula.function_name() == self.fn:
            return self.memory.read(Word(args[0], FRAME_BITS), Word(args[1], self.memory.idx_bits)).node()
        return self.mgr.Function(formula.function_name(), args)

    def term(self, x: Any) -> Any:
        """`x` rewritten: a Word, a Bool, a tuple of them, or anything else as it is."""
        if isinstance(x, tuple):
            return tuple(self.term(y) for y in x)
        if isinstance(x, (Word, Bool)) and not x.is_concrete:
            n = self.walk(x.node())
            if isinstance(x, Word):
                return Word(n.constant_value() if n.is_bv_constant() else n, x.width)
            return Bool(n.constant_value() if n.is_bool_constant() else n)
        return x

    def extend(self, free_after: Memory) -> Memory:
        """The instance memory with the writes `free_after` made on top of the free memory."""
        mem = self.memory
        for w in free_after.log:
            g = self.term(w.guard)
            if w.idx is None:
                mem = mem.clear(g, self.term(w.frame))
            else:
                mem = mem.write(g, self.term(w.frame), self.term(w.idx), self.term(w.value))
        return mem
