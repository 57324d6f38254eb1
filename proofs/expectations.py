"""Expected verdicts, and how a run's verdicts differ from them.

`proofs/expectations.json` records, per variant and invariant id, the verdict
CI expects and why:

    {"version": 1,
     "variants": {"riscv-pt-v5": {"wx": {"verdict": "violated", "reason": "..."}}}}

A run yields one Result per (variant, invariant, operation) (encodings: per
mode and level).  They are aggregated per (variant, invariant) -- unknown
beats violated beats not-inductive beats proved -- and each aggregate is
compared with its expectation.  "unknown" is never an acceptable verdict, so
it cannot be expected either.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from proofs.errors import EXIT_MISMATCH, EXIT_OK, EXIT_SOLVER, UsageError
from proofs.engine.callers import split as split_callers
from proofs.engine.result import NOT_INDUCTIVE, PROVED, UNKNOWN, VIOLATED, Result

FORMAT_VERSION = 1
EXPECTABLE = (PROVED, VIOLATED, NOT_INDUCTIVE)
SEVERITY = (UNKNOWN, VIOLATED, NOT_INDUCTIVE, PROVED)  # the first one present wins

Pair = tuple[str, str]  # (variant, invariant id)

# Difference kinds
MISMATCH = "mismatch"  # verdict differs from the expected one
NEW = "new"  # results but no expectation
MISSING = "missing"  # requested and expected, but no result
UNDECIDED = "unknown"  # some member is unknown (exit 3)
VACUOUS = "vacuous"  # a proved member has no vacuity witness


@dataclass(frozen=True)
class Expectation:
    verdict: str
    reason: str


@dataclass(frozen=True)
class Expectations:
    path: str
    entries: dict[Pair, Expectation]

    def get(self, variant: str, invariant: str) -> Optional[Expectation]:
        return self.entries.get((variant, invariant))


def known_ids() -> tuple[list[str], list[str]]:
    """Variant names and invariant ids an expectations file may mention."""
    from proofs.systems import all_obligations, all_variants

    return list(all_variants()), list(all_obligations())


def load_expectations(path: str) -> Expectations:
    """Read and validate an expectations file; any defect is one UsageError line
    naming the file and the key."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise UsageError(f"{path}: cannot read expectations: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    return parse_expectations(data, path)


def parse_expectations(data: Any, path: str = "<expectations>") -> Expectations:
    variants, invariants = known_ids()

    def fail(key: str, msg: str) -> UsageError:
        return UsageError(f"{path}: {key}: {msg}" if key else f"{path}: {msg}")

    def obj(value: Any, key: str, allowed: Optional[Iterable[str]] = None) -> dict:
        if not isinstance(value, dict):
            raise fail(key, f"expected an object, got {type(value).__name__}")
        if allowed is not None:
            allowed = list(allowed)
            for k in value:
                if k not in allowed:
                    raise fail(f"{key}.{k}" if key else k,
                               f"unknown key (allowed: {', '.join(allowed)})")
        return value

    top = obj(data, "", ("version", "variants"))
    if top.get("version") != FORMAT_VERSION:
        raise fail("version", f"must be {FORMAT_VERSION}, got {top.get('version')!r}")
    entries: dict[Pair, Expectation] = {}
    for variant, per_inv in obj(top.get("variants"), "variants").items():
        vkey = f"variants.{variant}"
        if split_callers(variant)[0] not in variants:
            raise fail(vkey, f"unknown variant (known: {', '.join(variants)})")
        for inv, entry in obj(per_inv, vkey).items():
            key = f"{vkey}.{inv}"
            if inv not in invariants:
                raise fail(key, f"unknown invariant id (known: {', '.join(invariants)})")
            entry = obj(entry, key, ("verdict", "reason"))
            verdict, reason = entry.get("verdict"), entry.get("reason")
            if verdict not in EXPECTABLE:
                raise fail(f"{key}.verdict",
                           f"{verdict!r} is not an expectable verdict (one of: {', '.join(EXPECTABLE)})")
            if not isinstance(reason, str) or not reason.strip():
                raise fail(f"{key}.reason", "missing or empty: say why this verdict is expected")
            entries[(variant, inv)] = Expectation(verdict, reason.strip())
    return Expectations(path, entries)


# ---------------------------------------------------------------------------
# aggregation

@dataclass
class Aggregate:
    variant: str
    invariant: str
    verdict: str
    results: list[Result] = field(default_factory=list)

    def with_verdict(self, verdict: str) -> list[Result]:
        return [r for r in self.results if r.verdict == verdict]

    def deciding(self) -> list[Result]:
        """The members whose verdict is the aggregate's."""
        return self.with_verdict(self.verdict)

    def without_witness(self) -> list[Result]:
        """Proved members with no vacuity witness: they prove nothing."""
        return [r for r in self.results if r.verdict == PROVED and r.vacuity is not True]


def aggregate_verdict(verdicts: Iterable[str]) -> str:
    present = set(verdicts)
    for v in SEVERITY:
        if v in present:
            return v
    return UNKNOWN  # no result at all decides nothing


def aggregate(results: Iterable[Result]) -> dict[Pair, Aggregate]:
    """Results grouped per (variant, invariant), in first-seen order."""
    out: dict[Pair, Aggregate] = {}
    for r in results:
        out.setdefault((r.variant, r.invariant), Aggregate(r.variant, r.invariant, PROVED)).results.append(r)
    for agg in out.values():
        agg.verdict = aggregate_verdict(r.verdict for r in agg.results)
    return out


def member_label(r: Result) -> str:
    """Which member of an aggregate: the operation and/or mode and level."""
    parts = [r.operation] if r.operation != "-" else []
    if "mode" in r.bounds:
        parts.append(str(r.bounds["mode"]))
    if "level" in r.bounds:
        parts.append(f"level {r.bounds['level']}")
    return " ".join(parts) or r.operation


def labels(results: Iterable[Result]) -> str:
    return ", ".join(dict.fromkeys(member_label(r) for r in results))


# ---------------------------------------------------------------------------
# comparison

@dataclass(frozen=True)
class Difference:
    variant: str
    invariant: str
    kind: str  # MISMATCH, NEW, MISSING, UNDECIDED, VACUOUS
    expected: Optional[str]
    actual: Optional[str]
    message: str
    status: int  # exit status it calls for: EXIT_MISMATCH or EXIT_SOLVER

    @property
    def pair(self) -> Pair:
        return (self.variant, self.invariant)


def _differences_of(agg: Aggregate, exp: Optional[Expectation]) -> list[Difference]:
    out = []

    def add(kind: str, message: str, status: int = EXIT_MISMATCH) -> None:
        out.append(Difference(agg.variant, agg.invariant, kind, exp.verdict if exp else None,
                              agg.verdict, message, status))

    if agg.verdict == UNKNOWN:
        add(UNDECIDED, f"unknown in {labels(agg.deciding())}: the solver did not decide "
                       f"(expected {exp.verdict if exp else 'nothing: not in expectations'})", EXIT_SOLVER)
    elif exp is None:
        add(NEW, f"new: not in expectations (got {agg.verdict})")
    elif agg.verdict != exp.verdict:
        add(MISMATCH, f"expected {exp.verdict}, got {agg.verdict} in {labels(agg.deciding())} "
                      f"(expected because: {exp.reason})")
    vacuous = agg.without_witness()
    if vacuous:
        add(VACUOUS, f"proved without a vacuity witness in {labels(vacuous)}: "
                     "the assumptions may be unsatisfiable, so nothing is proved")
    return out


def compare(aggregates: Mapping[Pair, Aggregate], expectations: Expectations,
            requested: Iterable[Pair]) -> list[Difference]:
    """How the run differs from the expectations.

    `requested` is every (variant, invariant) pair the run was asked for (the
    product of the --variant and --invariant selections); an expectation
    outside it is not reported missing, so restricted runs stay clean.
    """
    out: list[Difference] = []
    for pair, agg in aggregates.items():
        out += _differences_of(agg, expectations.get(*pair))
    requested = set(requested)
    for pair, exp in expectations.entries.items():
        if pair in requested and pair not in aggregates:
            out.append(Difference(*pair, MISSING, exp.verdict, None,
                                  f"missing: expected {exp.verdict}, but the run produced no result",
                                  EXIT_MISMATCH))
    return out


def exit_status(differences: Iterable[Difference], results: Iterable[Result]) -> int:
    """3 if anything is undecided, else 1 if anything differs, else 0.

    Results are checked too, so unknown or witness-less proved results fail the
    run even if the caller compared only a subset."""
    differences, results = list(differences), list(results)
    if any(r.verdict == UNKNOWN for r in results) or any(d.status == EXIT_SOLVER for d in differences):
        return EXIT_SOLVER
    if differences or any(r.verdict == PROVED and r.vacuity is not True for r in results):
        return EXIT_MISMATCH
    return EXIT_OK


# ---------------------------------------------------------------------------
# a new version against its base, and recording its expectations

def inherit(expectations: Expectations, new: str, base: str, why: str,
            not_decided: Iterable[str] = ()) -> Expectations:
    """`expectations` where `new` expects `base`'s verdict on every obligation it has none for,
    but those `new` does not decide (`not_decided`: a lifted C has no such function)."""
    entries = dict(expectations.entries)
    skip = set(not_decided)
    for (variant, invariant), exp in expectations.entries.items():
        if variant == base and (new, invariant) not in entries and invariant not in skip:
            entries[(new, invariant)] = Expectation(exp.verdict, f"{why} ({base}: {exp.reason})")
    return Expectations(expectations.path, entries)


def against_base(aggregates: Mapping[Pair, Aggregate], differences: Iterable[Difference],
                 base: str) -> list[Difference]:
    """`differences` for a run of new versions with `--against base`: a new
    version's verdict with no expectation is expected to be its base's, so it
    is a difference only where the two verdicts differ."""
    out = []
    for d in differences:
        if d.kind != NEW or d.variant == base:
            out.append(d)
            continue
        theirs = aggregates.get((base, d.invariant))
        if theirs is not None and theirs.verdict == d.actual:
            continue
        was = theirs.verdict if theirs is not None else "not run"
        out.append(Difference(d.variant, d.invariant, NEW, d.expected, d.actual,
                              f"differs from {base}: {base} {was}, {d.variant} {d.actual} "
                              "(not in expectations)", d.status))
    return out


def record(path: str, aggregates: Mapping[Pair, Aggregate], expectations: Expectations) -> list[Pair]:
    """Add every decided (variant, invariant) of `aggregates` that `expectations`
    lacks to the file at `path`, with its verdict and an empty reason for the
    reviewer to write: until each has one the file does not load, so no run
    passes.  Entries already there are never changed.  The pairs added."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    added = []
    for (variant, invariant), agg in aggregates.items():
        if expectations.get(variant, invariant) is not None or agg.verdict not in EXPECTABLE:
            continue
        data["variants"].setdefault(variant, {})[invariant] = {"verdict": agg.verdict, "reason": ""}
        added.append((variant, invariant))
    if added:
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return added
