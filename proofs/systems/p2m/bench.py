"""`python -m proofs.systems.p2m.bench`: time the p2m one-step obligations and the full-width splits.

Prints one row per obligation and call shape (riscv-p2m-upstream), then the
split-preserves members including 1G down to 4K at full width, then the
median one-step time.  `bench_rows()` returns the rows.
"""
from __future__ import annotations

import statistics
import sys
import time

from proofs.engine import Settings
from proofs.engine.solver import check
from proofs.engine.step import step_check
from proofs.systems.p2m.machine import OPS, machine
from proofs.systems.p2m.split import SPLITS, split_check
from proofs.systems.p2m.theorem import OBLIGATIONS
from proofs.systems.p2m.versions import VERSIONS

UP = "riscv-p2m-upstream"


def bench_rows(solver: str = "z3", timeout_ms: int = 900_000) -> list[dict]:
    """Every one-step obligation of upstream RISC-V, and the full-width splits
    including 1G down to 4K: one dict per row."""
    rows = []
    m = machine(UP, Settings())
    for o, ob in OBLIGATIONS.items():
        if ob.kind != "step":
            continue
        for op in OPS:
            t0 = time.perf_counter()
            out = step_check(m, ob, op, solver, timeout_ms)
            rows.append(dict(kind="step", variant=UP, obligation=o, op=op, status=out.status,
                             seconds=round(time.perf_counter() - t0, 2)))
    ask = lambda f: check(f.node(), solver, timeout_ms)  # noqa: E731
    for mode, level, target in SPLITS["riscv"]:
        t0 = time.perf_counter()
        out = split_check(VERSIONS[UP], mode, level, target, ask)
        rows.append(dict(kind="split", variant=UP, obligation="split-preserves",
                         op=f"{mode} level {level} to {target}", status=out.status,
                         seconds=round(time.perf_counter() - t0, 2)))
    return rows


def main(argv: list[str]) -> int:
    rows = bench_rows()
    print(f"{'kind':6} {'obligation':18} {'call':28} {'status':8} {'seconds':>8}")
    for r in rows:
        print(f"{r['kind']:6} {r['obligation']:18} {r['op']:28} {r['status']:8} {r['seconds']:8.2f}")
    steps = [r["seconds"] for r in rows if r["kind"] == "step"]
    print(f"median one-step obligation: {statistics.median(steps):.2f} s over {len(steps)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
