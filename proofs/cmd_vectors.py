"""`ptprove replay`, `ptprove show` and `ptprove vectors`: counterexample vectors
re-run on the concrete model (and on C code), read, and emitted as regression tests."""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from proofs import vector as vec
from proofs.errors import EXIT_MISMATCH, PtproveError, UsageError, named
from proofs.outputs import cannot, check_dir, check_file, write_text

if TYPE_CHECKING:
    from proofs.c_sources import CSources

BOTH, CAPPED, MODEL_ONLY, FAILED, BAD = "model and C", "capped", "model only", "failed", "bad"  # how a replay ends


def register(sub: argparse._SubParsersAction) -> None:
    from proofs.cmd_prove import ALL_VARIANTS, _csv, _positive
    from proofs.engine import Settings

    p = sub.add_parser("replay", help="re-run vectors on the concrete model (and on C code); "
                                      "exit 0 only if every one reproduces")
    p.add_argument("vectors", nargs="+", metavar="VECTOR", help="vector files or directories of them")
    p.add_argument("--c-source", metavar="FILE",
                   help="also compile this C file with its system's harness (p2m.c: the p2m system, any "
                        "other name: pt.c) and compare return codes and tables")
    p.add_argument("--xen-src", metavar="DIR",
                   help="also run every vector on its version's C in this Xen tree (a checkout, or a "
                        "directory of trees like ../shared/xen: upstream/, v9/), each system its own file")
    p.add_argument("--cc", default=None, help="C compiler (default: $CC, else zig's clang from the ziglang package)")
    p.set_defaults(run=replay_cmd)

    s = sub.add_parser("show", help="a vector step by step: calls, trees, the entries that break it")
    s.add_argument("vector", metavar="VECTOR", help="a vector file, e.g. counterexamples/riscv-pt-v5/wx.json")
    s.add_argument("--format", choices=("text", "mail"), default="text",
                   help="text (default): step by step with the trees; mail: the finding in 72 ASCII "
                        "columns, ready to quote in a reply on xen-devel")
    s.add_argument("--svg", metavar="FILE",
                   help="also draw the tables before and after the breaking step, side by side, as SVG")
    s.add_argument("--png", metavar="FILE", help="the same picture as PNG (matplotlib)")
    s.add_argument("--dot", metavar="FILE", help="also write the tables after it as Graphviz DOT")
    s.set_defaults(run=show_cmd)

    g = sub.add_parser("vectors", help="regression vectors (one per operation and outcome at the boundaries)")
    g.add_argument("--variant", type=_csv(ALL_VARIANTS, "variant"), required=True, metavar="NAMES",
                   help="comma list of versions whose system has regression vectors (riscv-pt, p2m, arm-pt)")
    g.add_argument("--out", metavar="DIR", required=True,
                   help="write DIR/<version>/regression/<name>.json (checked writable first)")
    g.add_argument("--mode", choices=("sv39", "sv48", "sv57"), default=Settings.mode,
                   help="paging mode (default %(default)s)")
    g.add_argument("--pool", type=_positive, default=Settings.pool,
                   help="table pages the allocator can hand out (default %(default)s)")
    g.set_defaults(run=vectors_cmd)


def replay_cmd(args: argparse.Namespace) -> int:
    """Every vector named (or under a directory named) replayed, each reported
    on one line: ok, FAIL (does not reproduce) or BAD (unusable, with its file);
    exit 2 if one was unusable, else 1 if one did not reproduce."""
    from proofs.c_sources import CSources

    files = vec.vector_files(args.vectors)
    sources = CSources(args.c_source, getattr(args, "xen_src", None), args.cc)
    tally: Counter = Counter()
    bad: list[str] = []
    try:
        for path in files:
            tally[_replay_one(path, sources, bad)] += 1
    finally:
        sources.close()
    ran = tally[BOTH] + tally[CAPPED] + tally[MODEL_ONLY]
    capped = (f", {tally[CAPPED]} of them with a call that returns on neither (the C ran to the "
              "iteration cap)" if tally[CAPPED] else "")
    where = (f": {tally[BOTH] + tally[CAPPED]} on the model and C{capped}, {tally[MODEL_ONLY]} on the "
             "model only (C not run)" if sources.any else " on the model")
    print(f"{ran} of {len(files)} vectors reproduce{where}"
          + (f"; {tally[FAILED]} do not" if tally[FAILED] else ""))
    if bad:
        more = f" (and {len(bad) - 1} more unusable: the BAD lines above)" if len(bad) > 1 else ""
        raise UsageError(bad[0] + more)
    return EXIT_MISMATCH if tally[FAILED] else 0


def _replay_one(path: Path, sources: "CSources", bad: list[str]) -> str:
    """Replay one file, print its line; which of BOTH, CAPPED, MODEL_ONLY, FAILED, BAD it
    is (the error of a BAD one, naming its file, appended to `bad`)."""
    try:
        v = vec.load(path)
        label = f"{v['version']} {v['obligation']['id']}"
        problems = vec.plugin_for(v).replay(v)
        harness, why_not_c = sources.harness_for(v) if sources.any else (None, "no --c-source")
        if not problems and harness is not None:
            problems = harness.compare(v)
    except PtproveError as e:
        text = str(named(e, str(path)))
        print(f"BAD  {text}")
        bad.append(text)
        return BAD
    if problems:
        print(f"FAIL {path}: {label}: " + "; ".join(problems))
        return FAILED
    if harness is not None and getattr(harness, "ran_to_cap", lambda v: False)(v):
        print(f"ok   {path}: {label} reproduces on the model and C (the last call returns on neither: "
              "the C ran to the iteration cap; earlier calls: same return codes)")
        return CAPPED
    if harness is not None:
        print(f"ok   {path}: {label} reproduces on the model and C ({harness.same_in(v)})")
        return BOTH
    note = f" only (C not run: {why_not_c})" if sources.any else ""
    print(f"ok   {path}: {label} reproduces on the model{note}")
    return MODEL_ONLY


def show_cmd(args: argparse.Namespace) -> int:
    for path, flag in ((args.svg, "--svg"), (args.png, "--png"), (args.dot, "--dot")):
        check_file(path, flag)
    v = vec.load(args.vector)
    try:
        p = vec.plugin_for(v)
        problems = p.replay(v)
    except PtproveError as e:
        raise named(e, args.vector) from None
    wanted = [("mail", args.format == "mail")] + [(a, bool(getattr(args, a))) for a in ("svg", "png", "dot")]
    for attr, asked in wanted:
        if asked and getattr(p, attr, None) is None:
            what = "--format mail" if attr == "mail" else attr.upper()
            raise UsageError(f"{args.vector}: system {v['system']} cannot give {what}")
    text = p.mail(v) if args.format == "mail" else p.render(v, sys.stdout.isatty())
    drawings = [(path, p.svg(v) if attr == "svg" else p.dot(v), f"--{attr}")
                for attr, path in (("svg", args.svg), ("dot", args.dot)) if path]
    print(text, end="")
    for path, drawn, flag in drawings:
        write_text(path, drawn, flag)
        print(f"wrote {path}")
    if args.png:
        try:
            p.png(v, args.png)
        except OSError as e:
            raise cannot("--png", args.png, e) from None
        print(f"wrote {args.png}")
    if problems:
        print("DOES NOT REPRODUCE: " + "; ".join(problems))
        return EXIT_MISMATCH
    return 0


def vectors_cmd(args: argparse.Namespace) -> int:
    from proofs import systems
    from proofs.engine import Settings

    settings = Settings(mode=args.mode, pool=args.pool)
    generators = []
    for name in args.variant:  # every version checked before anything is written
        p = vec.plugin(systems.home(name))
        gen = getattr(p, "regression", None) if p is not None else None
        if gen is None:
            raise UsageError(f"{name}: its system has no regression vectors")
        generators.append((name, gen))
    check_dir(args.out, "--out")
    written = 0
    for name, gen in generators:
        for v in gen(name, settings):
            write_text(Path(args.out) / vec.relpath(v), vec.dumps(v), "--out")
            written += 1
    print(f"wrote {written} vectors under {args.out}")
    return 0
