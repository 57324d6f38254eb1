"""Which provisional proofs stand: the greatest fixpoint every engine computes.

A one-step proof assumes lemmas (other obligations) on its pre-state; it is
sound only if each of those is itself proved, and so on.  Starting from every
step check that came back unsat, drop any whose assumptions are not all still
standing, until nothing changes.  The riscv-pt engine, the hook checker and the
p2m system differ only in what a key assumes, so they pass that in.
"""
from __future__ import annotations

from typing import Callable, Hashable, Iterable, Optional, TypeVar

K = TypeVar("K", bound=Hashable)


def standing(proved: Iterable[K],
             first_lost: Callable[[K, set], Optional[str]]) -> tuple[set[K], dict[K, str]]:
    """(the keys of `proved` whose assumptions stand, {dropped key: the assumption
    it lost}).  `first_lost(key, standing)` names the first assumption of `key`
    not in `standing`, or None while it stands."""
    sound: set[K] = set(proved)
    lost: dict[K, str] = {}
    changed = True
    while changed:
        changed = False
        for key in list(sound):
            name = first_lost(key, sound)
            if name is not None:
                sound.discard(key)
                lost[key] = name
                changed = True
    return sound, lost
