"""Longest first: how long each job of a run is expected to take, from the previous report.

A run's pool hands out jobs of a phase (a system's step queries, its searches)
longest first, so a phase does not end on one long job with the other cores
idle; and the systems are decided (their phases started, their searches
submitted) longest first, so the system whose chain of phases is longest starts
at once while the others' jobs fill the gaps.  The times are the previous run's
own (`ptprove prove --json FILE` reads FILE before it overwrites it); without
one, every estimate is 0 and the order is the order of submission.  An estimate
only orders the jobs: no verdict depends on it.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

Key = tuple[str, str, str]  # (version, obligation, operation as results name it)


class Estimates:
    """The previous report's seconds per (version, obligation, operation), and per system."""

    def __init__(self, seconds: Optional[dict[Key, float]] = None,
                 systems: Optional[dict[str, float]] = None):
        self.seconds = seconds or {}
        self.systems = systems or {}

    def of(self, version: str, obligation: str, operation: str) -> float:
        return self.seconds.get((version, obligation, operation), 0.0)

    def most(self, keys: Iterable[Key]) -> float:
        """A job that decides several results (a search): the longest of them."""
        return max((self.seconds.get(k, 0.0) for k in keys), default=0.0)

    def system(self, system: str) -> float:
        return self.systems.get(system, 0.0)


NONE = Estimates()


def load(report: Optional[str]) -> Estimates:
    """The estimates of a previous JSON report, or none when there is no readable one
    (a first run, a report of another format: the order is then the submission's)."""
    if not report:
        return NONE
    p = Path(report)
    try:
        stamp = p.stat().st_mtime_ns
    except OSError:
        return NONE
    return _load(str(p.resolve()), stamp)


@lru_cache(maxsize=4)
def _load(path: str, stamp: int) -> Estimates:
    try:
        results = json.loads(Path(path).read_text(encoding="utf-8"))["results"]
        seconds: dict[Key, float] = {}
        systems: dict[str, float] = {}
        for r in results:
            s = float(r["seconds"])
            seconds[(r["variant"], r["invariant"], r["operation"])] = s
            systems[r["system"]] = systems.get(r["system"], 0.0) + s
    except (OSError, ValueError, KeyError, TypeError):
        return NONE
    return Estimates(seconds, systems)


def longest_first(ids: list[str], estimates: Estimates) -> list[int]:
    """The indices of `ids` (systems, in the order they are shown) in the order to decide
    them: the longest expected first, ties (and no estimates) in the order given."""
    return sorted(range(len(ids)), key=lambda i: (-estimates.system(ids[i]), i))
