"""Mutants: deliberately broken versions of a correct model, to show the proofs can fail.

A `Mutation` is one semantic change to one function of a version's model (drop
a check, OR instead of clear-then-set, skip the flush, an off-by-one in a
level, ...).  Applied to a base version it gives a mutant: a subclass that
overrides exactly that function, as a patch version does, so the same engine
runs it.  A mutation that cannot be killed says why in `survives` (an
equivalent mutant, or an invariant the project does not state yet); a
survivor without a reason is a finding.

A system's catalogue is its package's `mutants.py` (`proofs/systems/<system>/`),
exposing `MUTATIONS`: a new system's mutants drop in with no line here.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from model.cite import follows
from proofs.errors import UsageError



@dataclass(frozen=True)
class Mutation:
    id: str
    function: str  # the model method it overrides
    what: str  # the change, in terms of the C code
    override: Callable
    bases: tuple[str, ...]  # versions it applies to
    #: why it is expected to survive ("equivalent: ..." / "missing invariant: ..."), for
    #: every base, or per base as {base: reason}
    survives: str | dict = ""


@dataclass(frozen=True)
class Mutant:
    system: str
    base: str
    mutation: Mutation

    @property
    def id(self) -> str:
        return f"{self.base}~{self.mutation.id}"

    @property
    def survives(self) -> str:
        why = self.mutation.survives
        return why.get(self.base, "") if isinstance(why, dict) else why

    def model_class(self) -> type:
        """The base version's class with the one function overridden."""
        from proofs.systems import system

        base = system(self.system).variants[self.base]
        m = self.mutation
        fn = follows(f"mutant {m.id} of {self.base}", m.function, note=m.what)(m.override)
        return type(f"{base.__name__}Mutant", (base,), {
            m.function: fn, "name": self.id, "unmutated": base,
            "source": f"{base.source}, mutated: {m.what}",
        })


def mutation_decorator(into: list, default_bases: tuple[str, ...]):
    """`@mutation(function, what, bases=..., survives=...)` for a catalogue module:
    the decorated function is the override; its name (with '-') is the id."""
    def mutation(function: str, what: str, bases: tuple[str, ...] = default_bases,
                 survives: str | dict = "") -> Callable[[Callable], Callable]:
        def deco(fn: Callable) -> Callable:
            into.append(Mutation(fn.__name__.strip("_").replace("_", "-"), function, what, fn,
                                 tuple(bases), survives))
            return fn
        return deco
    return mutation


@lru_cache(maxsize=None)
def catalogue() -> tuple[Mutant, ...]:
    """Every mutant of every system, in catalogue order."""
    from importlib.util import find_spec

    from proofs.systems import SYSTEMS

    out = []
    for s in SYSTEMS:
        if find_spec(f"{s.module}.mutants") is None:  # no catalogue (yet)
            continue
        for m in importlib.import_module(f"{s.module}.mutants").MUTATIONS:
            out += [Mutant(s.id, b, m) for b in m.bases]
    return tuple(out)


def select(ids: list[str] | None = None, bases: list[str] | None = None) -> list[Mutant]:
    """Mutants by id (`base~mutation`, or a mutation id for all its bases) and base."""
    pool = [m for m in catalogue() if not bases or m.base in bases]
    if not ids:
        return pool
    out = []
    for i in ids:
        hits = [m for m in pool if i in (m.id, m.mutation.id)]
        if not hits:
            raise UsageError(f"unknown mutant {i!r} (see --list)")
        out += [h for h in hits if h not in out]
    return out
