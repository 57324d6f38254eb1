"""Longest first: how long each job of a run is expected to take, from the previous report;
and which lemmas a step's proof lost in it (its first ask then goes without them).

A run's pool hands out jobs of a phase (a system's step queries, its searches)
longest first, so a phase does not end on one long job with the other cores
idle; and the systems are decided (their phases started, their searches
submitted) longest first, so the system whose chain of phases is longest starts
at once while the others' jobs fill the gaps.  The times are the previous run's
own (`ptprove prove --json FILE` reads FILE before it overwrites it); without
one (a fresh clone, a run without `--json`), those of `proofs/estimates.json`, the
committed trim of a quiet `make prove`'s report (`python -m proofs.engine.estimates
build/report.json` rewrites it); a key neither knows is estimated 0 (the order of
submission).  An estimate only orders the jobs: no verdict depends on it.

A step whose proof lost lemmas in the previous run (`extra["asked_without"]`) is
asked without them at once, not first with them and again without
(`proofs/engine/decide.py`).  Fewer assumptions: a proof without a lemma is a
proof; and a counterexample to the step whose lemma this run proves after all is
asked again with it, so the verdict is the one the full question gives.
"""
from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

Key = tuple[str, str, str]  # (version, obligation, operation as results name it)
#: a step result's `extra` key: the lemmas its step was asked without (lost, not proved)
ASKED_WITHOUT = "asked_without"


class Estimates:
    """The previous report's seconds per (version, obligation, operation), and per system."""

    def __init__(self, seconds: Optional[dict[Key, float]] = None,
                 systems: Optional[dict[str, float]] = None,
                 lost: Optional[dict[Key, tuple[str, ...]]] = None):
        self.seconds = seconds or {}
        self.systems = systems or {}
        self.lost = lost or {}

    def without(self, version: str, obligation: str, operation: str) -> tuple[str, ...]:
        """The lemmas the previous run's step proof of this key lost (asked without them)."""
        return self.lost.get((version, obligation, operation), ())

    def of(self, version: str, obligation: str, operation: str) -> float:
        return self.seconds.get((version, obligation, operation), 0.0)

    def most(self, keys: Iterable[Key]) -> float:
        """A job that decides several results (a search): the longest of them."""
        return max((self.seconds.get(k, 0.0) for k in keys), default=0.0)

    def system(self, system: str) -> float:
        return self.systems.get(system, 0.0)


NONE = Estimates()


#: the committed estimates: a trim of a `make prove`'s report
SHIPPED = Path(__file__).resolve().parents[1] / "estimates.json"
#: what `load` falls back on (the test suite sets None: its runs go in submission order)
COMMITTED: Optional[Path] = SHIPPED
_UNSET: Any = object()


def load(report: Optional[str], fallback: Optional[Path] = _UNSET) -> Estimates:
    """The estimates of a previous JSON report; when there is no readable one (a first
    run, a report of another format), those of `fallback` (default `COMMITTED`); else
    none (the order is then the submission's)."""
    if fallback is _UNSET:
        fallback = COMMITTED
    for p in ([Path(report)] if report else []) + ([fallback] if fallback else []):
        try:
            stamp = p.stat().st_mtime_ns
        except OSError:
            continue
        est = _load(str(p.resolve()), stamp)
        if est is not NONE:
            return est
    return NONE


def trim(report: Path, out: Path = SHIPPED) -> int:
    """Write `out`: the report's per-result seconds (0.1 s) and lost lemmas, nothing else.
    Returns the number of results kept."""
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    keep = []
    for r in results:
        row = {"system": r["system"], "variant": r["variant"], "invariant": r["invariant"],
               "operation": r["operation"], "seconds": round(float(r["seconds"]), 1)}
        if (r.get("extra") or {}).get(ASKED_WITHOUT):
            row["extra"] = {ASKED_WITHOUT: r["extra"][ASKED_WITHOUT]}
        keep.append(row)
    rows = ",\n".join(json.dumps(r, ensure_ascii=False) for r in keep)  # one result per line
    out.write_text(f'{{"format": "ptprove-estimates", "results": [\n{rows}\n]}}\n', encoding="utf-8")
    return len(keep)


@lru_cache(maxsize=4)
def _load(path: str, stamp: int) -> Estimates:
    try:
        results = json.loads(Path(path).read_text(encoding="utf-8"))["results"]
        seconds: dict[Key, float] = {}
        systems: dict[str, float] = {}
        lost: dict[Key, tuple[str, ...]] = {}
        for r in results:
            s = float(r["seconds"])
            key = (r["variant"], r["invariant"], r["operation"])
            seconds[key] = s
            systems[r["system"]] = systems.get(r["system"], 0.0) + s
            dropped = (r.get("extra") or {}).get(ASKED_WITHOUT)
            if dropped:
                lost[key] = tuple(str(n) for n in dropped)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return NONE
    return Estimates(seconds, systems, lost)


def longest_first(ids: list[str], estimates: Estimates) -> list[int]:
    """The indices of `ids` (systems, in the order they are shown) in the order to decide
    them: the longest expected first, ties (and no estimates) in the order given."""
    return sorted(range(len(ids)), key=lambda i: (-estimates.system(ids[i]), i))


def main(argv: Optional[list[str]] = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="python -m proofs.engine.estimates",
                                 description="Rewrite proofs/estimates.json from a quiet make prove's report.")
    ap.add_argument("report", type=Path, help="a `ptprove prove --json` report (build/report.json)")
    ap.add_argument("--out", type=Path, default=SHIPPED)
    args = ap.parse_args(argv)
    try:
        n = trim(args.report, args.out)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"estimates: cannot trim {args.report}: {e}", file=sys.stderr)
        return 2
    print(f"estimates: {n} results from {args.report} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
