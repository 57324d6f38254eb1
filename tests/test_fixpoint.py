"""The greatest fixpoint behind every "proved": a proof stands only while what it assumes stands."""
from __future__ import annotations

from proofs.fixpoint import standing

NEEDS = {"a": ["b"], "b": ["c"], "c": [], "x": ["y"], "y": ["x"], "z": ["a", "x"]}


def run(proved: set[str]) -> tuple[set[str], dict[str, list[str]]]:
    told: dict[str, list[str]] = {}

    def lost(key: str, now: set) -> list[str]:
        return [n for n in NEEDS[key] if n not in now]

    def dropped(key: str, names: list[str]) -> None:
        assert key not in told, "told twice"
        told[key] = names

    return standing(proved, lost, dropped), told


def test_a_lost_lemma_takes_everything_resting_on_it():
    sound, told = run({"a", "b", "x", "y", "z"})  # c not proved
    assert sound == {"x", "y"}
    assert told == {"b": ["c"], "a": ["b"], "z": ["a"]}


def test_mutually_assumed_lemmas_stand_together():
    # induction over several lemmas at once: the greatest fixpoint keeps the cycle
    sound, told = run({"x", "y", "z", "a", "b", "c"})
    assert sound == {"x", "y", "z", "a", "b", "c"} and told == {}


def test_nothing_proved_stays_nothing():
    assert run(set()) == (set(), {})
