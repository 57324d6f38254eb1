"""`ptprove export --smtlib DIR`: every obligation as a standalone SMT-LIB 2 script.

State-machine step obligations go to `DIR/<variant>/<invariant>/<op>.smt2`
(`assumptions & violation`, the same lemmas as `proofs.lemmas.NEEDS`) with
`<op>.vacuity.smt2` (the assumptions alone); encoding obligations to
`DIR/<variant>/<enc-id>/<mode>-l<level>.smt2` (`domain & ~claim`).  Each file's
header names the obligation and gives the answer z3 found while exporting.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

from pysmt.fnode import FNode
from pysmt.logics import QF_UFBV
from pysmt.oracles import get_logic
from pysmt.smtlib.script import smtlibscript_from_formula

from model.riscv.machine import OP_IDS
from model.term import sym_word
from model.riscv import pte as rv
from proofs import encodings
from proofs.cmd_prove import ALL_VARIANTS, ENC_IDS, _csv, _positive
from proofs.confirm import step_formulas
from proofs.engine import OBLIGATIONS, STATE_MACHINE_VARIANTS, Settings
from proofs.errors import UsageError
from proofs.lemmas import NEEDS
from proofs.solver import check


def register(sub) -> None:
    p = sub.add_parser("export", help="write every obligation as an SMT-LIB 2 script")
    p.add_argument("--smtlib", metavar="DIR", required=True)
    p.add_argument("--variant", type=_csv(ALL_VARIANTS, "variant"), default=ALL_VARIANTS)
    p.add_argument("--invariant", type=_csv(ENC_IDS + list(OBLIGATIONS), "invariant"),
                   default=ENC_IDS + list(OBLIGATIONS))
    p.add_argument("--mode", choices=("sv39", "sv48", "sv57"), default=Settings.mode)
    p.add_argument("--pool", type=_positive, default=Settings.pool)
    p.add_argument("--timeout", type=_positive, default=60, help="seconds per z3 query deciding 'expected'")
    p.set_defaults(run=export)


def script(formula: FNode, header: dict, timeout_ms: int) -> tuple[str, str]:
    """(SMT-LIB text with a commented header and `; expected: <z3's answer>`, that answer)."""
    expected = check(formula, "z3", timeout_ms).status
    logic = QF_UFBV if get_logic(formula) <= QF_UFBV else "ALL"
    buf = io.StringIO()
    smtlibscript_from_formula(formula, logic=logic).serialize(buf, daggify=True)
    lines = [f"; {k}: {' '.join(v.split()) if isinstance(v, str) else json.dumps(v)}"
             for k, v in header.items()]
    return "\n".join([*lines, f"; expected: {expected}", buf.getvalue()]), expected


def _write(path: Path, formula: FNode, header: dict, timeout_ms: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    text, expected = script(formula, header, timeout_ms)
    path.write_text(text)
    return expected


def export(args) -> int:
    out = Path(args.smtlib)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--smtlib {args.smtlib}: not a directory")
    settings = Settings(mode=args.mode, pool=args.pool, timeout_ms=args.timeout * 1000)
    bounds = settings.geometry().bounds()
    written = 0
    for v in (v for v in args.variant if v in STATE_MACHINE_VARIANTS):
        for i in (i for i in args.invariant if i in OBLIGATIONS):
            inv = OBLIGATIONS[i]
            for op in OP_IDS:
                step, vacuity = step_formulas(v, i, op, settings)
                head = {"obligation": f"{v} {i} {op} (one step)", "statement": inv.statement,
                        "where": inv.where, "bounds": bounds, "lemmas assumed": list(NEEDS[i])}
                _write(out / v / i / f"{op}.smt2", step,
                       {**head, "query": "assumptions & violation (unsat: the step preserves it)"},
                       settings.timeout_ms)
                _write(out / v / i / f"{op}.vacuity.smt2", vacuity,
                       {**head, "query": "assumptions alone (sat: the proof is not vacuous)"},
                       settings.timeout_ms)
                written += 2
    enc_ids = [i for i in args.invariant if i in ENC_IDS]
    for s in encodings.subjects(args.variant) if enc_ids else []:
        for ob in (ob for ob in encodings.OBLIGATIONS if ob.id in enc_ids):
            domain, claim = ob.formula(s, sym_word("encodings.pte", rv.PTE_WIDTH))
            _write(out / s.variant / ob.id / f"{s.mode}-l{s.level}.smt2", (domain & ~claim).node(),
                   {"obligation": f"{s.variant} {ob.id} {s.mode} level {s.level}",
                    "statement": ob.statement.format(**s.names), "where": ob.where,
                    "query": "domain & ~claim (unsat: proved; sat: a misclassified entry)"},
                   settings.timeout_ms)
            written += 1
    print(f"wrote {written} SMT-LIB files under {out}")
    return 0
