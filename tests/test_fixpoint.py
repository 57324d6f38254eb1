"""The greatest fixpoint behind every "proved": a proof stands only while what it assumes stands."""
from __future__ import annotations

from typing import Optional

from proofs.engine.fixpoint import standing

NEEDS = {"a": ["b"], "b": ["c"], "c": [], "x": ["y"], "y": ["x"], "z": ["a", "x"]}


def first_lost(key: str, now: set) -> Optional[str]:
    return next((n for n in NEEDS[key] if n not in now), None)


def test_a_lost_lemma_takes_everything_resting_on_it():
    sound, lost = standing({"a", "b", "x", "y", "z"}, first_lost)  # c not proved
    assert sound == {"x", "y"}
    assert lost == {"b": "c", "a": "b", "z": "a"}


def test_mutually_assumed_lemmas_stand_together():
    # induction over several lemmas at once: the greatest fixpoint keeps the cycle
    assert standing({"x", "y", "z", "a", "b", "c"}, first_lost) == ({"x", "y", "z", "a", "b", "c"}, {})


def test_nothing_proved_stays_nothing():
    assert standing(set(), first_lost) == (set(), {})
