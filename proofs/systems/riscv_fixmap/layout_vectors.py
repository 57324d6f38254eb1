"""Vectors of the fixmap's layout obligations: the address (or slot) a version's
constants get wrong, with the regions and layout-comment rows it is judged against.

A layout obligation is a fact about config.h / fixmap.h, not a call, so its
vector has no trace: it names the value `x` (shrunk by the obligation itself,
`LayoutFact.shrink`), the root slot it falls in, the regions the constants
define and the rows the comment claims.  A replay re-evaluates the claim on
the version's constants and checks that they are still the ones recorded; on
C (`replay --xen-src`, `c_harness.py`) the regions are computed by the compiler
from the tree's config.h and fixmap.h and must be the recorded ones.
"""
from __future__ import annotations

from typing import Any, Iterable

from model.riscv.machine import Geometry
from model.riscv.pte import SV39
from proofs.systems.riscv_fixmap.theorem import LAYOUT_FACTS, LAYOUT_OBLIGATIONS
from proofs.systems.riscv_fixmap.versions import VERSIONS
from proofs.vector import FORMAT, FORMAT_VERSION, VectorError

SYSTEM = "riscv-fixmap"
KIND = "layout"
SLOT_SHIFT = 30  # an Sv39 root slot: 1 GiB


def _version(name: str):
    cls = VERSIONS.get(name)
    if cls is None:
        raise VectorError(f"unknown riscv-fixmap version {name!r} in vector")
    return cls(Geometry(SV39))


def _fact(oid: str):
    fact = LAYOUT_FACTS.get(oid)
    if fact is None:
        raise VectorError(f"unknown riscv-fixmap layout obligation {oid!r} in vector")
    return fact


def constants(v, x: int) -> dict[str, Any]:
    """What the vector records of version `v`'s layout around `x`."""
    regions = v.layout().regions()
    return {
        "x": hex(x), "root_slot": x >> SLOT_SHIFT & 511,
        "in": [n for n, r in regions.items() if r.start <= x < r.end],
        "regions": [{"name": n, "start": hex(r.start), "end": hex(r.end)} for n, r in regions.items()],
        "comment": [{"name": n, "start": hex(row.start), "end": hex(row.end),
                     "slots": f"{row.slots[0]}-{row.slots[-1]}" if len(row.slots) > 1 else str(row.slot)}
                    for n, row in v.layout_comment().items()],
    }


def is_layout(result_or_vector) -> bool:
    oid = result_or_vector["obligation"]["id"] if isinstance(result_or_vector, dict) \
        else result_or_vector.invariant
    return oid in LAYOUT_OBLIGATIONS


def from_results(results: Iterable, settings) -> list[dict]:
    out = []
    for r in results:
        if r.verdict != "violated" or not r.counterexample:
            continue
        v, ob = _version(r.variant), LAYOUT_OBLIGATIONS[r.invariant]
        out.append({
            "format": FORMAT, "format_version": FORMAT_VERSION, "system": SYSTEM,
            "version": r.variant, "source": v.source,
            "obligation": {"id": ob.id, "statement": ob.statement, "where": ob.where,
                           "informative": False},
            "verdict": "violated", "kind": KIND, "arch": "riscv", "mode": SV39.name,
            "bounds": dict(r.bounds), "solver": r.solver,
            "layout": constants(v, int(r.counterexample["x"], 16)),
        })
    return out


def replay(vector: dict) -> list[str]:
    if vector.get("kind") != KIND or "layout" not in vector:
        raise VectorError("a layout vector needs kind 'layout' and its layout")
    oid, v = vector["obligation"]["id"], _version(vector["version"])
    try:
        x = int(vector["layout"]["x"], 16)
    except (KeyError, TypeError, ValueError):
        raise VectorError("a layout vector's layout.x must be a hex string") from None
    problems = []
    if not _fact(oid).broken_by(v, x):
        problems.append(f"{x:#x} does not break {oid} on {vector['version']}'s constants")
    if constants(v, x) != vector["layout"]:
        problems.append(f"{vector['version']}'s regions or layout comment are not the ones the vector records")
    return problems


def render(vector: dict, color: bool = False) -> str:
    ob, lay = vector["obligation"], vector["layout"]
    where = ", ".join(lay["in"]) or "no region"
    lines = [f"{vector['version']}: {ob['id']} {vector['verdict'].upper()}",
             f"  {ob['statement']}", f"  ({ob['where']}; solver {vector['solver']})", "",
             f"  x = {lay['x']}: root slot {lay['root_slot']}, in {where}", "", "  regions (constants):"]
    lines += [f"    {r['name']:<10} [{r['start']}, {r['end']})" for r in lay["regions"]]
    lines += ["  layout comment:"]
    lines += [f"    {c['name']:<10} {c['start']} .. {c['end']}  L2 {c['slots']}" for c in lay["comment"]]
    return "\n".join(lines) + "\n"


def dot(vector: dict) -> str:
    lay = vector["layout"]
    rows = "\\l".join(f"{r['name']} [{r['start']}, {r['end']})" for r in lay["regions"])
    return (f'digraph "{vector["version"]} {vector["obligation"]["id"]}" {{\n'
            f'  node [shape=box, fontname="monospace"];\n'
            f'  regions [label="{rows}\\l"];\n'
            f'  x [label="x = {lay["x"]} (slot {lay["root_slot"]})", color=red];\n'
            f'  x -> regions;\n}}\n')
