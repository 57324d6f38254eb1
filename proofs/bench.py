"""`make bench`: how long the obligations take (printed and written as JSON; never asserted).

* every one-step obligation (version x invariant x operation): the median of
  `--runs` runs of the step check, and the median over all of them;
* the time to the first trace for each seed finding on `riscv-pt-v5`, by BMC
  from the initial state.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from model.riscv.machine import OP_IDS
from model.variants import get_variant
from proofs.bmc import bmc
from proofs.engine import OBLIGATIONS, STATE_MACHINE_VARIANTS
from proofs.induction import step_check
from proofs.lemmas import NEEDS

#: (invariant, operation) of each v5 review finding, and what the trace shows
SEED_FINDINGS = {
    "modify ORs R/W/X (RX modified to RW ends RWX)": ("wx", "modify"),
    "ASSERT with || lets INVALID_MFN through map_pages_to_xen": ("wx", "map"),
    "pte_is_mapping misses read-only leaves (walker descends into the page)": ("well-formed", "map"),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proofs.bench")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--out", default="build/bench.json")
    args = ap.parse_args(argv)

    steps = []
    for name in STATE_MACHINE_VARIANTS:
        v = get_variant(name)
        for inv_id, inv in OBLIGATIONS.items():
            for op, o in OP_IDS.items():
                times = []
                for _ in range(args.runs):
                    out = step_check(v, inv, o, NEEDS[inv_id])
                    times.append(out.seconds)
                steps.append({"variant": name, "invariant": inv_id, "operation": op,
                              "status": out.status, "median_s": statistics.median(times)})
                print(f"step  {name:18} {inv_id:15} {op:9} {out.status:8} "
                      f"{statistics.median(times):7.3f} s", flush=True)
    findings = []
    v5 = get_variant("riscv-pt-v5")
    for what, (inv_id, op) in SEED_FINDINGS.items():
        t0 = time.perf_counter()
        out = bmc(v5, OBLIGATIONS[inv_id], OP_IDS[op], args.depth)
        findings.append({"finding": what, "invariant": inv_id, "operation": op,
                         "status": out.status, "steps": out.depth,
                         "seconds": time.perf_counter() - t0})
        print(f"trace riscv-pt-v5 {inv_id:15} {op:9} {out.status:8} {out.depth} steps "
              f"{findings[-1]['seconds']:7.3f} s  ({what})", flush=True)
    all_medians = [s["median_s"] for s in steps]
    summary = {
        "step_obligations": len(steps),
        "step_median_of_medians_s": statistics.median(all_medians),
        "step_max_median_s": max(all_medians),
        "step_under_1s": sum(1 for t in all_medians if t < 1.0),
        "finding_trace_max_s": max(f["seconds"] for f in findings),
    }
    print("\nsummary: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                    for k, v in summary.items()))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"summary": summary, "steps": steps, "findings": findings},
                                         indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
