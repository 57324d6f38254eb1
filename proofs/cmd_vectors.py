"""`ptprove replay`, `ptprove show` and `ptprove vectors`: counterexample vectors
re-run on the concrete model (and on C code), read, and emitted as regression tests."""
from __future__ import annotations

import sys
from pathlib import Path

from proofs import vector as vec
from proofs.errors import EXIT_MISMATCH, UsageError


def register(sub) -> None:
    from proofs.cmd_prove import ALL_VARIANTS, _csv, _positive
    from proofs.engine import Settings

    p = sub.add_parser("replay", help="re-run vectors on the concrete model (and on C code); "
                                      "exit 0 only if every one reproduces")
    p.add_argument("vectors", nargs="+", metavar="VECTOR", help="vector files or directories of them")
    p.add_argument("--c-source", metavar="PATH/pt.c",
                   help="also compile this pt.c with the C harness and compare return codes and tables")
    p.add_argument("--cc", default=None, help="C compiler (default: $CC or cc)")
    p.set_defaults(run=replay_cmd)

    s = sub.add_parser("show", help="a vector step by step: calls, trees, the entries that break it")
    s.add_argument("vector", metavar="VECTOR")
    s.add_argument("--svg", metavar="FILE", help="also draw the tree at the breaking step as SVG")
    s.add_argument("--dot", metavar="FILE", help="also write it as Graphviz DOT")
    s.set_defaults(run=show_cmd)

    g = sub.add_parser("vectors", help="regression vectors (one per operation and outcome at the boundaries)")
    g.add_argument("--variant", type=_csv(ALL_VARIANTS, "variant"), required=True)
    g.add_argument("--out", metavar="DIR", required=True)
    g.add_argument("--mode", choices=("sv39", "sv48", "sv57"), default=Settings.mode)
    g.add_argument("--pool", type=_positive, default=Settings.pool)
    g.set_defaults(run=vectors_cmd)


def replay_cmd(args) -> int:
    from proofs import c_harness

    files = vec.vector_files(args.vectors)
    loaded = [(f, vec.load(f)) for f in files]  # every file is validated before anything runs
    harness = c_harness.Harness(args.c_source, args.cc) if args.c_source else None
    try:
        failed = _replay_all(loaded, harness)
    finally:
        if harness is not None:
            harness.close()
    print(f"{len(loaded) - failed} of {len(loaded)} vectors reproduce")
    return EXIT_MISMATCH if failed else 0


def _replay_all(loaded: list, harness) -> int:
    failed = 0
    for path, v in loaded:
        problems = vec.plugin_for(v).replay(v)
        where = "model"
        if not problems and harness is not None:
            where = "model and C"
            problems = harness.compare(v)
        label = f"{v['version']} {v['obligation']['id']}"
        if problems:
            failed += 1
            print(f"FAIL {path}: {label}: " + "; ".join(problems))
        else:
            note = harness.note(v) if harness is not None else ""
            print(f"ok   {path}: {label} reproduces on the {where}{note}")
    return failed


def show_cmd(args) -> int:
    v = vec.load(args.vector)
    p = vec.plugin_for(v)
    problems = p.replay(v)
    print(p.render(v, sys.stdout.isatty()), end="")
    for attr, path in (("svg", args.svg), ("dot", args.dot)):
        if path:
            draw = getattr(p, attr, None)
            if draw is None:
                raise UsageError(f"system {v['system']} cannot draw {attr.upper()}")
            Path(path).write_text(draw(v), encoding="utf-8")
            print(f"wrote {path}")
    if problems:
        print("DOES NOT REPRODUCE: " + "; ".join(problems))
        return EXIT_MISMATCH
    return 0


def vectors_cmd(args) -> int:
    from proofs import systems
    from proofs.engine import Settings

    settings = Settings(mode=args.mode, pool=args.pool)
    written = 0
    for name in args.variant:
        p = vec.plugin(systems.home(name))
        gen = getattr(p, "regression", None) if p is not None else None
        if gen is None:
            raise UsageError(f"{name}: its system has no regression vectors")
        for v in gen(name, settings):
            path = Path(args.out) / vec.relpath(v)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(vec.dumps(v), encoding="utf-8")
            written += 1
    print(f"wrote {written} vectors under {args.out}")
    return 0
