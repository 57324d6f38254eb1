"""`python -m proofs.p2m.bench`: time the p2m one-step obligations and the full-width splits.

Prints one row per obligation and call shape (riscv-p2m-upstream), then the
split-preserves members including 1G down to 4K at full width, then the
median one-step time.  `proofs.p2m.system.bench_rows()` returns the rows.
"""
from __future__ import annotations

import statistics
import sys

from proofs.p2m.system import bench_rows


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
