"""`python -m proofs.refine`: every riscv-pt version whose C is at hand, refined against its model.

Prints one line per obligation (verdict, seconds, the slowest claim) and each version's
total and median; `--json FILE` keeps every result.  Exit status: 0 all proved, 1 a
refinement violated, 2 bad input, 3 a solver unknown.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from proofs.cmd_diff import describe_c, status
from proofs.errors import PtproveError, require_known
from proofs.refine.run import at_hand, refine
from proofs.refine.sources import DEFAULT_XEN, SEED_000


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m proofs.refine", description=__doc__.split("\n\n")[0])
    p.add_argument("--xen-src", type=Path, default=DEFAULT_XEN, help="a Xen tree laid out as ../shared/xen")
    p.add_argument("--seed", type=Path, default=SEED_000, help="seed 000 (v5's pt.c)")
    p.add_argument("--variant", help="comma list of versions (default: every one at hand)")
    p.add_argument("--cc", help="compiler (default zig's clang)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per solver query")
    p.add_argument("--json", type=Path, help="write every result as JSON")
    args = p.parse_args(argv)
    try:
        found = at_hand(args.xen_src, args.seed)
        versions = sorted(found)
        if args.variant:
            versions = [v.strip() for v in args.variant.split(",")]
            require_known("variant at hand", versions, sorted(found))
        everything, t0 = [], time.monotonic()
        for v in versions:
            results = refine(v, found[v], cc=args.cc, timeout_ms=int(args.timeout * 1000))
            print(f"{v}: {describe_c(results[0].bounds)}")
            for r in results:
                worst = max(r.extra["claims"], key=lambda c: c["seconds"])
                how = f"{len(r.extra['claims'])} claims together {r.extra['claims_together_seconds']:.2f} s" \
                    if worst.get("together") else f"slowest claim {worst['claim']} {worst['seconds']:.2f} s"
                print(f"  {r.verdict:<9} {r.operation:<28} {r.seconds:7.2f} s  (lift {r.extra['lift_seconds']:.2f} s, {how})")
            secs = [r.seconds for r in results]
            print(f"  {len(results)} obligations, {sum(secs):.1f} s, median {statistics.median(secs):.2f} s,"
                  f" max {max(secs):.1f} s")
            everything += results
        print(f"{len(versions)} versions in {time.monotonic() - t0:.1f} s")
        if args.json:
            args.json.write_text(json.dumps([r.to_json() for r in everything], indent=2) + "\n", encoding="utf-8")
        return status(everything)
    except PtproveError as e:
        print(f"ptprove: error: {e}", file=sys.stderr)
        return e.status


if __name__ == "__main__":
    sys.exit(main())
