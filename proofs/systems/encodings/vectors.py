"""Vectors of the encodings system: the PTE values a version's predicates misclassify.

The encoding obligations already shrink each counterexample (bits cleared
while it still fails in its class), so a vector lists, per (mode, level)
where the obligation fails, every misclassified class's entry, with what
Xen's predicates and the spec say.  A replay evaluates the predicates and the
spec's classification on the concrete values again.
"""
from __future__ import annotations

from typing import Any, Iterable

from model.riscv import pte as rv
from proofs.systems.encodings import theorem as encodings
from proofs.systems.encodings.versions import VERSIONS
from proofs.vector import FORMAT, FORMAT_VERSION, VectorError

SYSTEM = "encodings"


def _subject(version: str, mode: str, level: int) -> encodings.Subject:
    try:
        subs = encodings.subjects([version], modes=(mode,) if version != encodings.ARM_VARIANT
                                  else encodings.DEFAULT_MODES)
    except Exception as e:  # UsageError: an unknown version or mode
        raise VectorError(f"vector names {version!r} at mode {mode!r}: {e}") from None
    for s in subs:
        if s.mode == mode and s.level == level:
            return s
    raise VectorError(f"{version} has no level {level} in mode {mode}")


def _obligation(oid: str) -> encodings.Obligation:
    ob = {ob.id: ob for ob in encodings.OBLIGATIONS}.get(oid)
    if ob is None:
        raise VectorError(f"unknown encoding obligation {oid!r} in vector")
    return ob


def _entry(s: encodings.Subject, value: int) -> dict[str, Any]:
    w = rv.pte_word(value)
    described = s.describe(value)
    return {"mode": s.mode, "level": s.level, "raw": hex(value), "class": s.class_name(value),
            "xen": {s.names["table"]: bool(s.is_table(w)), s.names["mapping"]: bool(s.is_mapping(w))},
            "spec": described.get("kind", "?"), "decoded": described}


def from_results(results: Iterable, settings) -> list[dict]:
    groups: dict[tuple, list] = {}
    for r in results:
        if r.verdict == "violated" and r.counterexample:
            groups.setdefault((r.variant, r.invariant), []).append(r)
    out = []
    for (version, oid), rs in sorted(groups.items()):
        ob = _obligation(oid)
        entries = []
        for r in sorted(rs, key=lambda r: (r.bounds["mode"], r.bounds["level"])):
            s = _subject(version, r.bounds["mode"], r.bounds["level"])
            for c in r.counterexample.get("classes", [r.counterexample]):
                entries.append(_entry(s, int(c["pte"], 16)))
        first = rs[0]
        out.append({
            "format": FORMAT, "format_version": FORMAT_VERSION, "system": SYSTEM,
            "version": version, "source": VERSIONS[version].source,
            "obligation": {"id": oid, "statement": first.statement, "where": ob.where,
                           "informative": ob.informative},
            "verdict": "violated", "kind": "encoding",
            "arch": "arm" if version == encodings.ARM_VARIANT else "riscv",
            "mode": ",".join(dict.fromkeys(e["mode"] for e in entries)),
            "bounds": {"entry_bits": 64, "ext": first.bounds.get("ext", "none")},
            "solver": first.solver,
            "entries": entries,
        })
    return out


def replay(vector: dict) -> list[str]:
    if vector.get("kind") != "encoding" or "entries" not in vector:
        raise VectorError("an encodings vector needs kind 'encoding' and its entries")
    ob = _obligation(vector["obligation"]["id"])
    problems = []
    for e in vector["entries"]:
        s = _subject(vector["version"], e["mode"], e["level"])
        value = int(e["raw"], 16)
        domain, claim = ob.formula(s, rv.pte_word(value))
        if not (bool(domain) and not bool(claim)):
            problems.append(f"{e['raw']} at {e['mode']} level {e['level']} does not break {ob.id}")
        elif _entry(s, value) != e:
            problems.append(f"{e['raw']} at {e['mode']} level {e['level']}: the predicates or the "
                            "spec say something other than the vector")
    return problems


def is_canonical(vector: dict) -> bool:
    return True  # the entries are shrunk by the obligation itself (theorem.py _shrink)


def render(vector: dict, color: bool = False) -> str:
    ob = vector["obligation"]
    lines = [f"{vector['version']}: {ob['id']} {vector['verdict'].upper()}",
             f"  {ob['statement']}", f"  ({ob['where']}; solver {vector['solver']})", ""]
    for e in vector["entries"]:
        said = ", ".join(f"{k} = {str(v).lower()}" for k, v in e["xen"].items())
        decoded = e["decoded"].get("decoded", "")
        lines.append(f"  {e['mode']} level {e['level']}: {e['raw']}  {e['class']}  {decoded}")
        lines.append(f"      spec: {e['spec']};  Xen: {said}")
    return "\n".join(lines) + "\n"


def mail(vector: dict) -> str:
    """The misclassified entries in 72 ASCII columns, to quote on xen-devel."""
    from proofs import mail as m

    ob = vector["obligation"]
    blocks = [m.field("Version", vector["version"]) + m.field("Follows", vector.get("source", vector["version"]))
              + m.field("Invariant", f"{ob['id']}: {ob['statement']} ({ob['where']})")
              + m.field("Verdict", "violated: the predicates misclassify these entries")]
    rows = ["Entries Xen's predicates misclassify (mode, level, value):"]
    for e in vector["entries"]:
        said = ", ".join(f"{k} = {str(v).lower()}" for k, v in e["xen"].items())
        rows += m.para(f"{e['mode']} L{e['level']} {e['raw']} ({e['class']}): "
                       f"{e['decoded'].get('decoded', '')}", 2, 4)
        rows += m.para(f"spec: {e['spec']}; Xen: {said}", 4, 4)
    blocks.append(rows)
    return m.compose(blocks)


def dot(vector: dict) -> str:
    rows = "\\l".join(f"{e['mode']} L{e['level']} {e['raw']} {e['class']} spec={e['spec']}"
                      for e in vector["entries"])
    return (f'digraph "{vector["version"]} {vector["obligation"]["id"]}" {{\n'
            f'  node [shape=box, fontname="monospace", color=red];\n'
            f'  entries [label="{rows}\\l"];\n}}\n')
