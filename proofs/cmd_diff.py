"""`ptprove diff`: what a patched pt.c (or a model version) does differently, function by function.

    ptprove diff --c-source patched/pt.c --against riscv-pt-upstream
    ptprove diff --variant riscv-pt-upstream --against riscv-pt-v9

The first lifts the C (LLVM IR, see `model.c`) and proves each function, pt_update's
loop step and each entry point's prologue equal to the `--against` model's; the second
compares two model versions the same way.  Each unit prints "same" (proved) or the
concrete input where they differ, decoded and replayed on both sides.

Exit status: 0 no behaviour changes, 1 some does, 2 bad input, 3 a solver unknown.
"""
from __future__ import annotations

import json
from pathlib import Path

from model.riscv.machine import Geometry
from model.riscv.pte import SV39
from proofs.systems.riscv_pt.versions import VERSIONS as MODELS
from proofs.errors import EXIT_MISMATCH, EXIT_OK, EXIT_SOLVER, UsageError, require_known
from proofs.refine.check import prove
from proofs.refine.model_diff import ModelPair, model_obligations
from proofs.refine.run import VERSIONS, obligations, setup_for
from proofs.engine.result import PROVED, UNKNOWN, VIOLATED, Result


def register(sub) -> None:
    p = sub.add_parser("diff", help="what a patched pt.c or a model version does differently",
                       description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--c-source", metavar="FILE", help="a pt.c (e.g. upstream's with a patch applied)")
    src.add_argument("--variant", metavar="VERSION", help="a model version to compare")
    p.add_argument("--against", required=True, metavar="VERSION", help=f"the reference ({', '.join(VERSIONS)})")
    p.add_argument("--shim", metavar="VERSION", help="the shim flavour the C is built with (default: --against's)")
    p.add_argument("--cc", help="compiler (default: zig's clang from the ziglang package; e.g. clang for the host's)")
    p.add_argument("--only", metavar="UNIT,...", help="comma list of functions / steps")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per solver query (default 60)")
    p.add_argument("--json", metavar="FILE", help="write every result as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    require_known("variant", [args.against] + ([args.variant] if args.variant else []), VERSIONS)
    only = [u.strip() for u in args.only.split(",") if u.strip()] if args.only else None
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    timeout_ms = int(args.timeout * 1000)
    if args.c_source:
        setup = setup_for(args.shim or args.against, Path(args.c_source), args.cc, against=args.against)
        obs, title = obligations(setup), describe_c(setup.bounds())
    else:
        geo = Geometry(SV39)
        model, ref = MODELS[args.variant](), MODELS[args.against]()
        model.geo = ref.geo = geo
        setup = ModelPair(args.variant, args.against, model, ref, geo)
        obs, title = model_obligations(), f"model {args.variant}"
    if only:
        require_known("unit", only, [o.operation for o in obs])
        obs = [o for o in obs if o.operation in only]
    print(f"{title} against the model {args.against}")
    results = []
    for ob in obs:
        r = prove(setup, ob, timeout_ms=timeout_ms, minimize=True)
        results.append(r)
        print_result(r)
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_json() for r in results], indent=2) + "\n", encoding="utf-8")
    return status(results)


def describe_c(b: dict) -> str:
    return f"C {b['c_file']} (sha256 {b['c_sha256'][:12]}, {b['compiler']}, target {b['target']})"


def print_result(r: Result) -> None:
    slow = f"{r.seconds:6.2f} s"
    if r.verdict == PROVED:
        print(f"  same     {r.operation:<28} {slow}")
        return
    word = "DIFFERS " if r.verdict == VIOLATED else "UNKNOWN "
    bad = [c["claim"] for c in r.extra["claims"] if c["verdict"] != PROVED]
    print(f"  {word} {r.operation:<28} {slow}  ({', '.join(bad)}): {r.detail}")
    cex = r.counterexample
    if not cex:
        return
    print("           input: " + " ".join(f"{k}={v}" for k, v in cex["inputs"].items()))
    if cex["memory"]:
        print("           memory read: " + " ".join(f"{k}={v}" for k, v in cex["memory"].items()))
    for name, both in cex["replay"]["outputs"].items():
        mark = "" if both["C"] == both["model"] or "-" in (both["C"], both["model"]) else "   <-"
        print(f"           {name}: new {both['C']}, reference {both['model']}{mark}")
    whole = cex.get("whole_call")
    if whole:
        print(f"           {whole['call']}: compiled C {whole['compiled C (harness)']}, model {whole['model']}")


def status(results: list[Result]) -> int:
    if any(r.verdict == VIOLATED for r in results):
        return EXIT_MISMATCH
    if any(r.verdict == UNKNOWN for r in results):
        return EXIT_SOLVER
    return EXIT_OK
