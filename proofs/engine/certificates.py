"""Committed traces: a violated verdict re-established by replay instead of a search.

A violated verdict is established by a trace of calls from the initial state
that breaks the obligation when replayed on the concrete semantics.  Once the
BMC search has found such a trace, it is committed beside the vectors
(`<vectors dir>/<version>/traces.json`, one per violated (obligation,
operation)); a later run given that directory replays it first and, when it
still breaks the obligation within the run's depth, reports the verdict as
established by that replay, saying so in the result: no solver call, neither
the one-step query (whose counterexample would go unused) nor the search.  Both
run for every
target whose trace is missing or no longer reproduces, and a trace that no
longer matches what the run establishes fails the run like a differing vector
(`--update` rewrites it).  Only violations are taken from the file: every
proved verdict is re-established by this run's solver, and `--search-all`
ignores the file (the test suite and `make bench` find every trace from scratch).

A version with no trace of its own for a target may take another version's: a
machine's `traces_from` (the lifted C of `prove --c-source` takes its base's).  The
calls are the other version's; the replay that breaks the obligation is this one's,
and the result names whose trace it was (`extra.trace_of`).

A vector is itself such a certificate: a system's vector plugin may give the
trace of each of its vectors (`certificate(vector)`), which then stands for its
operation, so the vector built from the replay is byte for byte the committed one.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from proofs.errors import PtproveError

FORMAT = "ptprove-traces"
FORMAT_VERSION = 1
FILE = "traces.json"
ESTABLISHED_BY = "established_by"  # the result's extra key: "search" or "committed trace"
TRACE_OF = "trace_of"  # ... and, for another version's committed trace, that version


class CertificateError(PtproveError):
    """A traces file that cannot be read (exit 2, one line)."""


def path(directory: str | Path, version: str) -> Path:
    return Path(directory) / version / FILE


def load(directory: Optional[str], version: str) -> dict[tuple[str, str], dict]:
    """(obligation, operation) -> trace (as `Trace.to_json` writes it) of one version."""
    if not directory:
        return {}
    p = path(directory, version)
    try:
        stamp = p.stat().st_mtime_ns
    except OSError:
        return {}
    return _load(p, stamp)


@lru_cache(maxsize=64)
def _load(p: Path, stamp: int) -> dict[tuple[str, str], dict]:
    """One read per file version and process (every step job of a worker asks)."""
    data = _read(p)
    return {(o, op): t for o, by_op in data["traces"].items() for op, t in by_op.items()}


def candidate(directory: Optional[str], version: str, key: tuple[str, str],
              others: tuple[str, ...] = ()) -> Optional[tuple[str, dict]]:
    """The committed trace to replay first for (obligation, operation) `key`: the
    version's own, else one of `others`' (a machine's `traces_from`), with whose it is."""
    for source in (version, *others):
        trace = load(directory, source).get(key)
        if trace is not None:
            return source, trace
    return None


def _read(p: Path) -> dict:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise CertificateError(f"{p}: cannot read: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CertificateError(f"{p}: not JSON: {e}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CertificateError(f"{p}: not a ptprove traces file (format {FORMAT!r} expected)")
    if data.get("format_version") != FORMAT_VERSION:
        raise CertificateError(f"{p}: traces format version {data.get('format_version')!r}, "
                               f"this ptprove reads version {FORMAT_VERSION}")
    traces = data.get("traces")
    if not isinstance(traces, dict) or not all(
            isinstance(by_op, dict) and all(isinstance(t, dict) and "step_calls" in t and "va" in t
                                            for t in by_op.values()) for by_op in traces.values()):
        raise CertificateError(f"{p}: 'traces' must map obligation -> operation -> "
                               "{va, step_calls}")
    return data


def dumps(data: dict) -> str:
    """The canonical bytes: sorted keys, one line per trace (a diff shows which changed)."""
    head = {k: v for k, v in data.items() if k != "traces"}
    lines = ["{", *(f' {json.dumps(k)}: {json.dumps(v)},' for k, v in sorted(head.items())), ' "traces": {']
    obligations = sorted(data["traces"].items())
    for i, (o, by_op) in enumerate(obligations):
        lines.append(f'  {json.dumps(o)}: {{')
        ops = sorted(by_op.items())
        for j, (op, t) in enumerate(ops):
            comma = "," if j < len(ops) - 1 else ""
            lines.append(f'   {json.dumps(op)}: {json.dumps(t, sort_keys=True)}{comma}')
        lines.append("  }" + ("," if i < len(obligations) - 1 else ""))
    return "\n".join([*lines, " }", "}"]) + "\n"


def produced(results: Iterable, overrides: dict[tuple[str, str, str], dict]) -> dict[str, dict]:
    """version -> the traces file this run establishes: every violated result's
    replayed trace, the vectors' own traces (`overrides`, (version, obligation,
    operation) -> trace) standing for their operations."""
    out: dict[str, dict] = {}
    for r in results:
        op = r.extra.get("operation_key")
        if r.verdict != "violated" or "replay" not in r.extra or op is None:
            continue
        f = out.setdefault(r.variant, {"format": FORMAT, "format_version": FORMAT_VERSION,
                                       "system": r.system, "version": r.variant, "traces": {}})
        f["traces"].setdefault(r.invariant, {})[op] = overrides.get((r.variant, r.invariant, op),
                                                                    r.extra["replay"])
    return out


def sync(files: dict[str, dict], directory: str | Path, requested: set, update: bool,
         searched: bool = False) -> list[str]:
    """Compare this run's traces with the committed ones, for the (version,
    obligation) pairs the run decided (the rest of a file is kept).  A trace new
    to the file is added; one that differs, or is committed for an obligation no
    longer violated, is a difference (rewritten only with `update`).  After a run
    that `searched` every trace (`--search-all`) a differing trace is another
    valid one, not a difference: only a trace of what is no longer violated is."""
    root = Path(directory)
    lines: list[str] = []
    versions = sorted({v for v, _ in requested} | set(files))
    for version in versions:
        p = path(root, version)
        old = _read(p) if p.exists() else None
        decided = {o for v, o in requested if v == version}
        mine = files.get(version, {}).get("traces", {})
        committed = (old or {}).get("traces", {})
        new = {o: t for o, t in committed.items() if o not in decided}
        differs = []
        for o in sorted(decided):
            before, now = committed.get(o, {}), dict(mine.get(o, {}))
            for op in sorted(set(before) | set(now)):
                if op not in before or before[op] == now.get(op):
                    continue
                if op in now and searched and not update:
                    now[op] = before[op]  # the search found the same violation another way: keep it
                else:
                    differs.append(f"{o} {op}" + ("" if op in now else " (no longer violated)"))
            if now:
                new[o] = now
        if differs and not update:
            lines.append(f"TRACE DIFFERS: {p}: {', '.join(differs)} not what this run establishes "
                         "(--update rewrites it)")
            continue
        if not new:
            if old is not None and update:
                p.unlink()
                lines.append(f"traces removed (nothing violated now): {p}")
            continue
        system = files.get(version, {}).get("system") or (old or {}).get("system")
        text = dumps({"format": FORMAT, "format_version": FORMAT_VERSION, "system": system,
                      "version": version, "traces": new})
        if old is None or dumps(old) != text:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            if differs:
                lines.append(f"traces rewritten: {p} ({', '.join(differs)})")
    return lines


def is_difference(line: str) -> bool:
    return line.startswith("TRACE DIFFERS")
