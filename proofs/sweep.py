"""`make sweep`: the deep configurations, each a `ptprove prove` on a dask.distributed cluster.

Each configuration is one `prove` run in its own interpreter (pysmt's symbols are
per process, and the witness address has another width in each paging mode),
with `--scheduler` (an address, or a local cluster), its JSON report in
`--out`.  The expectations are those of the default bounds, so a verdict that
differs at a deeper bound is a finding to read, printed and counted, not a
failure: the exit status is 0 unless a run could not decide (3) or failed (2).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, Optional

#: name -> prove arguments
CONFIGS = {
    "sv48": ["--mode", "sv48"],
    "sv57": ["--mode", "sv57"],
    "depth8": ["--depth", "8"],
    "depth10": ["--depth", "10"],
    # the p2m's tables 4 entries wide (2 in make prove; 8 costs ~7x more per step, 512 is out of reach)
    "p2m-wide": ["--system", "p2m", "--p2m-entries", "4", "--callers", "presets,any"],
    # p2m.c's p2m_set_entry refined at levels 1 and 0 too (a superpage split on the way; left out of
    # make prove for their time: proofs/refine/p2m.py SLOW_LEVELS), with Bitwuzla, which decided
    # level 1's claims where z3 ran out of time
    "p2m-refines-deep": ["--system", "p2m", "--invariant", "refines", "--deep-refines", "--solver", "bitwuzla"],
}


def parse(argv: Optional[Iterable[str]]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m proofs.sweep", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scheduler", default="local", metavar="ADDRESS",
                    help="dask.distributed scheduler address (default: a local cluster)")
    ap.add_argument("--configs", default=",".join(CONFIGS),
                    help=f"comma list of {', '.join(CONFIGS)} (default all)")
    ap.add_argument("--out", default="build/sweep", help="where the JSON reports go")
    ap.add_argument("prove_args", nargs=argparse.REMAINDER,
                    help="after --: more `prove` arguments for every run (e.g. --system riscv-pt)")
    a = ap.parse_args(list(argv) if argv is not None else None)
    a.configs = [c.strip() for c in a.configs.split(",") if c.strip()]
    bad = [c for c in a.configs if c not in CONFIGS]
    if bad or not a.configs:
        ap.exit(2, f"python -m proofs.sweep: unknown configuration {', '.join(bad) or '(none)'} "
                   f"(known: {', '.join(CONFIGS)})\n")
    a.prove_args = [x for x in a.prove_args if x != "--"]
    return a


def main(argv: Optional[Iterable[str]] = None) -> int:
    a = parse(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    worst = 0
    for name in a.configs:
        report = out / f"{name}.json"
        cmd = [sys.executable, "-m", "proofs", "prove", *CONFIGS[name], "--scheduler", a.scheduler,
               "--json", str(report), *a.prove_args]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        wall = time.perf_counter() - t0
        try:
            data = json.loads(report.read_text())
            differ = [d for d in data["comparison"].get("differences", [])]
            n = len(data["results"])
        except (OSError, ValueError, KeyError):
            differ, n = [], 0
        if p.returncode >= 2:
            worst = max(worst, p.returncode)
            print(f"{name}: exit {p.returncode} after {wall:.0f} s: {(p.stderr.strip() or '?').splitlines()[-1]}")
            continue
        print(f"{name}: {n} results in {wall:.0f} s, {len(differ)} verdicts differ from the default "
              f"bounds' expectations (report: {report})")
        for d in differ[:20]:
            print(f"  {d}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
