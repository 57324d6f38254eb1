"""Any obligation as standalone SMT-LIB 2 scripts, so any solver can re-check it.

A step obligation gives, per operation, `<op>.smt2` (`assumptions & violation`,
unsat: the step preserves it, given its lemmas) and `<op>.vacuity.smt2` (the
assumptions alone, sat expected); a query gives one `<member>.smt2` per member
(`domain & ~claim`, unsat: proved).  Each file's header names the obligation
and gives z3's answer when it was written.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Iterator

from pysmt.fnode import FNode
from pysmt.logics import QF_UFBV
from pysmt.oracles import get_logic
from pysmt.smtlib.script import smtlibscript_from_formula

from proofs.engine.decide import _machine, members, system_module
from proofs.engine.settings import Settings
from proofs.engine.solver import check
from proofs.engine.step import step_query


def queries(module: str, version: str, oid: str, settings: Settings) -> Iterator[tuple[str, FNode, dict]]:
    """(file name, formula, header) of every query behind one (version, obligation)."""
    mod = system_module(module)
    ob = mod.OBLIGATIONS[oid]
    head = {"statement": ob.statement, "where": ob.where}
    if ob.kind == "query":
        for mem in members(mod, version, ob, settings):
            domain, claim = mem.formula()
            yield (f"{mem.name or mem.operation}.smt2", (domain & ~claim).node(),
                   {"obligation": f"{version} {oid} {mem.operation}", **head,
                    "statement": mem.statement or ob.statement, "bounds": mem.bounds,
                    "query": "domain & ~claim (unsat: proved; sat: a value that breaks it)"})
        return
    m = _machine(module, version, settings)
    for op in m.operations:
        q = step_query(m, ob, op)
        base = {"obligation": f"{version} {oid} {op} (one step)", **head, "bounds": m.bounds(),
                "lemmas assumed": list(ob.needs)}
        yield (f"{op}.smt2", (q.assumptions & q.violation).node(),
               {**base, "query": "assumptions & violation (unsat: the step preserves it)"})
        yield (f"{op}.vacuity.smt2", q.assumptions.node(),
               {**base, "query": "assumptions alone (sat: the proof is not vacuous)"})


def script(formula: FNode, header: dict, timeout_ms: int) -> tuple[str, str]:
    """(SMT-LIB text with a commented header and `; expected: <z3's answer>`, that answer)."""
    expected = check(formula, "z3", timeout_ms).status
    logic = QF_UFBV if get_logic(formula) <= QF_UFBV else "ALL"
    buf = io.StringIO()
    smtlibscript_from_formula(formula, logic=logic).serialize(buf, daggify=True)
    lines = [f"; {k}: {' '.join(v.split()) if isinstance(v, str) else json.dumps(v)}"
             for k, v in header.items()]
    return "\n".join([*lines, f"; expected: {expected}", buf.getvalue()]), expected


def write(out: Path, module: str, version: str, oid: str, settings: Settings) -> int:
    """Write DIR/<version>/<obligation>/<name>.smt2 files; how many."""
    n = 0
    for name, formula, header in queries(module, version, oid, settings):
        path = out / version / oid / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(script(formula, header, settings.timeout_ms)[0])
        n += 1
    return n
