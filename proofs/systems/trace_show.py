"""`ptprove show` for the trace vectors of arm-pt and riscv-fixmap: the calls
with their return codes, the entries the breaking step wrote (before and after,
decoded), the tables the model predicts at the end, and those tables as DOT.
(riscv-pt's own, richer view is `proofs/systems/riscv_pt/show.py`.)  The
vector is replayed first: one that does not reproduce is refused."""
from __future__ import annotations

from proofs.systems.trace_vectors import arch_named, replay, variant_for
from proofs.vector import VectorError


def _call_text(c: dict) -> str:
    args = ", ".join(f"{k}={x}" for k, x in c["args"].items())
    return f"{c['function']}({args}) -> {c['rc']}" + (f" {c['assert_failed']}" if c.get("assert_failed") else "")


def render(vector: dict, color: bool = False) -> str:
    problems = replay(vector)
    if problems:
        raise VectorError(f"the vector does not replay on the model: {problems[0]}")
    ob = vector["obligation"]
    lines = [f"{vector['version']} {ob['id']}: {ob['statement']}",
             f"  {vector['verdict']} ({vector['solver']}); {vector['mode']}, pool {vector['bounds']['pool']}"]
    for i, c in enumerate(vector["calls"]):
        lines.append(f"  call {i + 1}: {_call_text(c)}  ({c['steps']} steps)")
    v = vector.get("violation")
    if v:
        lines.append(f"  <== breaks {ob['id']} at step {v['step'] + 1} (loop iteration {v['iteration']} of "
                     f"call {v['call'] + 1}), witness va {v['witness_va']}:")
        for e in v["entries"]:
            lines.append(f"    table {e['table']} L{e['level']} [{e['index']}], written by {e['by']}:")
            lines.append(f"      before  {e['old_decoded']}  ({e['old']})")
            lines.append(f"      after   {e['new_decoded']}  ({e['new']})")
        lines.append(f"    translation of {v['witness_va']}: before {v['translation_before']}; "
                     f"after {v['translation_after']}")
    x = vector["expected"]
    lines.append(f"  after the calls ({x['after']}): {x['pool_handed_out']} table pages handed out, "
                 f"TLB stale {x['tlb_stale']}")
    for t in x["tables"]:
        lines.append(f"    table {t['frame']} (level {t['level']})")
        for e in t["entries"]:
            lines.append(f"      [{e['index']}] {e['raw']}  {e['decoded']}")
    return "\n".join(lines) + "\n"


def dot(vector: dict) -> str:
    """The tables the model predicts at the end, linked by their table entries."""
    a, v = arch_named(vector["system"]), variant_for(vector)
    out = ["digraph tables {", "  node [shape=box fontname=monospace];"]
    frames = {int(t["frame"], 16) for t in vector["expected"]["tables"]}
    for t in vector["expected"]["tables"]:
        rows = "\\l".join(f"[{e['index']}] {e['decoded']}" for e in t["entries"])
        out.append(f'  "{t["frame"]}" [label="{t["frame"]} L{t["level"]}\\l{rows}\\l"];')
        for e in t["entries"]:
            child = a.child(v, int(e["raw"], 16), t["level"]) if t["level"] is not None else None
            if child in frames:
                out.append(f'  "{t["frame"]}" -> "{hex(child)}" [label="{e["index"]}"];')
    return "\n".join(out + ["}"]) + "\n"
