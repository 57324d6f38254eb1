"""`ptprove prove` (what `make prove` runs) and `ptprove list`."""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

from model.cite import citations
from model.riscv.machine import OP_IDS, OPS
from proofs import systems
from proofs.engine import Settings
from proofs.errors import EXIT_MISMATCH
from proofs.expectations import aggregate, compare, exit_status, load_expectations
from proofs.report import build_meta, render, write_json, write_junit
from proofs.engine.solver import SOLVERS

EXPECTATIONS = str(Path(__file__).with_name("expectations.json"))
ALL_VARIANTS = list(systems.all_variants())
ALL_OBLIGATIONS = list(systems.all_obligations())


def _csv(choices: list[str], what: str):
    def parse(text: str) -> list[str]:
        items = [x.strip() for x in text.split(",") if x.strip()]
        bad = [x for x in items if x not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(bad) or repr(text)} (known: {', '.join(choices)})")
        return items
    return parse


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {n}")
    return n


def register(sub) -> None:
    p = sub.add_parser("prove", help="prove or refute every obligation; compare with expectations")
    p.add_argument("--variant", type=_csv(ALL_VARIANTS, "variant"), default=ALL_VARIANTS)
    p.add_argument("--invariant", type=_csv(ALL_OBLIGATIONS, "invariant"), default=ALL_OBLIGATIONS)
    p.add_argument("--depth", type=_positive, default=Settings.depth,
                   help="BMC bound in atomic steps (default %(default)s)")
    p.add_argument("--mode", choices=("sv39", "sv48", "sv57"), default=Settings.mode,
                   help="paging mode of the state machine (Xen uses sv39)")
    p.add_argument("--pool", type=_positive, default=Settings.pool, help="table pages the allocator can hand out")
    p.add_argument("--jobs", type=_positive, default=None)
    p.add_argument("--solver", choices=SOLVERS, default="z3")
    p.add_argument("--timeout", type=_positive, default=300,
                   help="seconds per solver query (default %(default)s; a timeout is unknown, exit 3)")
    p.add_argument("--rlimit", type=_positive, default=None,
                   help="z3 resource limit per query (deterministic; exhausted: unknown, exit 3)")
    p.add_argument("--confirm", choices=("cvc5",), default=None,
                   help="re-check proved step/vacuity queries and violated traces afterwards")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--junit", metavar="FILE")
    p.add_argument("--expectations", default=EXPECTATIONS)
    p.add_argument("--vectors", metavar="DIR", help="write each violated obligation's canonical vector "
                   "to DIR/<version>/<obligation>.json and compare with what is there (make prove: counterexamples)")
    p.add_argument("--update", action="store_true", help="with --vectors: rewrite differing and remove stale vectors")
    p.set_defaults(run=prove)

    lp = sub.add_parser("list", help="versions, invariants and operations")
    lp.add_argument("--json", action="store_true")
    lp.set_defaults(run=list_cmd)


def _progress(tty: bool):
    if not tty:
        return None, None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("proving", total=None)

    def update(done: int, total: int, label: str) -> None:
        bar.update(task, completed=done, total=total, description=label)
    return bar, update


def prove(args) -> int:
    t0 = time.perf_counter()
    expectations = load_expectations(args.expectations)
    settings = Settings(solver=args.solver, timeout_ms=args.timeout * 1000, depth=args.depth,
                        mode=args.mode, pool=args.pool, jobs=args.jobs or 0,
                        rlimit=args.rlimit)
    results: list = []
    requested: set = set()
    bar, update = _progress(sys.stdout.isatty())
    with bar or contextlib.nullcontext():
        for s in systems.SYSTEMS:
            variants = [v for v in args.variant if v in s.variants]
            obligations = [i for i in args.invariant if i in s.obligations]
            if not variants or not obligations:
                continue
            requested |= {(v, i) for v in variants for i in obligations}
            for r in s.run(variants, obligations, settings, update):
                r.system = s.id
                results.append(r)
    diffs = compare(aggregate(results), expectations, requested)
    print(render(results, diffs, sys.stdout.isatty()), end="")
    print(f"{len(results)} obligations in {time.perf_counter() - t0:.1f} s")
    meta = build_meta(results, argv=sys.argv[1:], state_machine_bounds=next(
        (r.bounds for r in results if r.system == "riscv-pt"), {}))
    if args.json:
        write_json(results, args.json, meta)
    if args.junit:
        write_junit(results, diffs, args.junit)
    status = exit_status(diffs, results)
    if args.vectors:
        from proofs.vector import write_run_vectors

        status = max(status, write_run_vectors(results, settings, requested, args.vectors, args.update))
    if args.confirm:
        from proofs.engine.confirm import confirm

        disagreements = confirm(results, args.confirm, settings,
                                {s.id: s.module for s in systems.SYSTEMS})
        for line in disagreements:
            print(line)
        print(f"--confirm {args.confirm}: {len(disagreements)} disagreements")
        if disagreements:
            return max(status, EXIT_MISMATCH)
    return status


def list_cmd(args) -> int:
    variants: dict[str, dict] = {}
    for s in systems.SYSTEMS:
        for name, cls in s.variants.items():
            v = variants.setdefault(name, {
                "name": name, "source": cls.source, "systems": [],
                "functions": [{"function": c.function, "follows": c.source, "note": c.note,
                               "defined_in": owner} for _, c, owner in citations(cls)]})
            v["systems"].append(s.id)
    data = {
        "systems": [{"id": s.id, "title": s.title, "variants": list(s.variants),
                     "obligations": list(s.obligations)} for s in systems.SYSTEMS],
        "variants": list(variants.values()),
        "invariants": [{"id": i, "system": s.id, "statement": inv.statement, "where": inv.where,
                        "informative": inv.informative}
                       for s in systems.SYSTEMS for i, inv in s.obligations.items()],
        "operations": [{"id": k, "entry_point": OPS[v]} for k, v in OP_IDS.items()],
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print("versions:")
    for v in data["variants"]:
        print(f"  {v['name']:20} {v['source']}")
        for f in v["functions"]:
            print(f"      {f['function']:40} {f['defined_in']:18} {f['follows']}")
    print("invariants:")
    for i in data["invariants"]:
        print(f"  {i['system']:12} {i['id']:16} {i['statement']}  ({i['where']})")
    print("operations:")
    for o in data["operations"]:
        print(f"  {o['id']:9} {o['entry_point']}")
    return 0
