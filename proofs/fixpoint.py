"""Which provisional proofs stand: the greatest fixpoint every engine computes.

A one-step proof assumes lemmas (other obligations) on its pre-state; it is
sound only if each of those is itself proved, and so on.  Starting from every
step check that came back unsat, drop any whose assumptions are not all still
standing, until nothing changes.  The riscv-pt engine, the hook checker and the
p2m system differ only in what a key assumes, so they pass that in.
"""
from __future__ import annotations

from typing import Callable, Hashable, Iterable, TypeVar

K = TypeVar("K", bound=Hashable)


def standing(proved: Iterable[K], lost: Callable[[K, set], list[str]],
             dropped: Callable[[K, list[str]], None]) -> set[K]:
    """The keys of `proved` whose assumptions stand.  `lost(key, standing)` names
    the assumptions of `key` not in `standing` (empty: it stands for now);
    `dropped(key, names)` is told once per key removed, with those names."""
    sound = set(proved)
    changed = True
    while changed:
        changed = False
        for key in list(sound):
            names = lost(key, sound)
            if names:
                sound.discard(key)
                dropped(key, names)
                changed = True
    return sound
