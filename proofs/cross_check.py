"""The lifted C against its model version: the cross-check line of `prove --lifted-c`.

Each riscv-pt version's own pt.c, lifted as a version of its own (`<version>-c`),
must give the version's verdict on every (obligation, operation); a violated
verdict of the C carries its trace's replay on the compiled C, which must agree
with the lifted C wherever it ran.  Any difference is a defect of the model, of
the lifter or of the harness, printed with the result that shows it.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from proofs.engine.result import VIOLATED, Result


def cross_check(results: Iterable[Result], pairs: Iterable[tuple[str, str]]) -> tuple[list[str], bool]:
    """`pairs` are (C version, its base); the report's lines, and whether all agree."""
    results = list(results)
    by = {(r.variant, r.invariant, r.operation): r for r in results}
    lines, same, ok = [], 0, True
    compiled: Counter = Counter()
    names = []
    for c_name, base in pairs:
        names.append(c_name)
        for (v, inv, op), r in sorted(by.items()):
            if v != c_name:
                continue
            theirs = by.get((base, inv, op))
            if theirs is None or theirs.verdict != r.verdict:
                ok = False
                lines.append(f"  CROSS-CHECK DIFFERS: {c_name} {inv} {op}: {r.verdict}, {base} "
                             f"{theirs.verdict if theirs else 'not run'}: {r.detail}")
            else:
                same += 1
            if r.verdict != VIOLATED:
                continue
            cc = (r.counterexample or {}).get("compiled_c")
            if cc is None:
                compiled["not run"] += 1
            elif cc.get("replayed"):
                compiled["reproduce"] += 1
            elif cc.get("differences"):
                ok = False
                compiled["differ"] += 1
                lines.append(f"  COMPILED C DIFFERS: {c_name} {inv} {op}: {cc['differences'][0]}")
            else:
                compiled[f"not run ({cc.get('why', '?').removeprefix('not run on the compiled C: ')})"] += 1
    traces = sum(compiled.values())
    head = (f"cross-check, lifted C: {', '.join(names)} "
            + (f"give their model versions' verdicts on all {same} (obligation, operation) pairs"
               if ok or same else "differ from their model versions")
            + f"; {traces} violated traces on the compiled C: "
            + ", ".join(f"{n} {what}" for what, n in sorted(compiled.items())))
    return [head, *lines], ok
