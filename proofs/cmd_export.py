"""`ptprove export --smtlib DIR`: every obligation of every system as standalone SMT-LIB 2 scripts.

`DIR/<version>/<obligation>/<op>.smt2` (a step obligation: `assumptions &
violation`, with `<op>.vacuity.smt2`, the assumptions alone) or
`DIR/<version>/<obligation>/<member>.smt2` (a query: `domain & ~claim`); see
`proofs/engine/export.py`.  A selection that matches nothing is an error.
"""
from __future__ import annotations

from pathlib import Path

from proofs import systems
from proofs.cmd_prove import ALL_OBLIGATIONS, ALL_VARIANTS, _csv, _positive
from proofs.engine import Settings
from proofs.engine.export import write
from proofs.errors import UsageError


def register(sub) -> None:
    p = sub.add_parser("export", help="write every obligation as an SMT-LIB 2 script")
    p.add_argument("--smtlib", metavar="DIR", required=True)
    p.add_argument("--variant", type=_csv(ALL_VARIANTS, "variant"), default=ALL_VARIANTS)
    p.add_argument("--invariant", type=_csv(ALL_OBLIGATIONS, "invariant"), default=ALL_OBLIGATIONS)
    p.add_argument("--mode", choices=("sv39", "sv48", "sv57"), default=Settings.mode)
    p.add_argument("--pool", type=_positive, default=Settings.pool)
    p.add_argument("--timeout", type=_positive, default=60, help="seconds per z3 query deciding 'expected'")
    p.set_defaults(run=export)


def export(args) -> int:
    out = Path(args.smtlib)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--smtlib {args.smtlib}: not a directory")
    settings = Settings(mode=args.mode, pool=args.pool, timeout_ms=args.timeout * 1000)
    pairs = [(s, v, i) for s in systems.SYSTEMS for v in args.variant if v in s.variants
             for i in args.invariant if i in s.obligations]
    if not pairs:
        raise UsageError("nothing to export: no selected obligation belongs to a selected version's system")
    written = sum(write(out, s.module, v, i, settings) for s, v, i in pairs)
    print(f"wrote {written} SMT-LIB files under {out}")
    return 0
