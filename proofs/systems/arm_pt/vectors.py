"""arm-pt's vector plugin (the interface `proofs/vector.py` calls): traces of
map_pages_to_xen / destroy_xen_mappings / populate_pt_range / modify_xen_mappings
calls, canonical and replayed.

Arm's xen_pt_update runs on riscv-pt's machine (State, Step, calls as an op
and four arguments: `model/arm/pt.py`), so its vectors are made, shrunk and
replayed by riscv-pt's machinery (`proofs/systems/riscv_pt/vectors.py`); what
is Arm's is the `TraceArch` below: the LPAE walk's levels (0 is the root, 3
the 4 KiB level) and descriptors, the MMU's view (`ArmView`), the caller
contract, the entry points' argument names (modify_xen_mappings takes s, e,
nf) and `_PAGE_BLOCK` as the size flag.  The engine decides arm-pt's
obligations over any call (operation `any`), so a vector stands for that one
operation.  A not-inductive arm-pt result carries no concrete pre-state (the
hook machine's CTI lists the entries read, not the loop variables), so it has
no vector.
"""
from __future__ import annotations

from typing import Any, Optional

from model.arm.lpae import classify_desc, format_desc
from model.arm.pt import _PAGE_BLOCK, THIRD, arm_geometry
from model.memory import FRAME_BITS
from model.riscv.pte import PAGE_SHIFT
from model.term import Bool, Word
from proofs.engine.machine import ANY
from proofs.systems.arm_pt.contract import call_ok
from proofs.systems.arm_pt.machine import ARG_NAMES, ARM_OPS, ARM_VA_BITS, machine
from proofs.systems.arm_pt.versions import VERSIONS
from proofs.systems.riscv_pt.trace import ConcreteCall
from proofs.systems.riscv_pt.vectors import (
    TraceArch,
    calls_of,
    certificate,
    from_results,
    is_canonical,
    obligation_of,
    replay,
    variant_for,
)
from proofs.vector import VectorError

SYSTEM = "arm-pt"
LPAE_SHIFT = 9


class ArmTraceArch(TraceArch):
    """riscv-pt's trace vectors on Arm's xen_pt_update."""

    system = SYSTEM
    arch = "arm"
    arg_names = ARG_NAMES
    address_args = {0: (0,), 1: (0, 1), 2: (0,), 3: (0, 1)}
    size_flag = _PAGE_BLOCK
    contract_where = "proofs/systems/arm_pt/contract.py"

    def obligations(self) -> dict:
        from proofs.systems.arm_pt.theorem import OBLIGATIONS

        return OBLIGATIONS

    def variant(self, version: str, mode: str, pool: int):
        cls = VERSIONS.get(version)
        if cls is None:
            raise VectorError(f"unknown arm-pt version {version!r} in vector")
        geo = arm_geometry(pool)
        if mode != geo.mode.name:
            raise VectorError(f"unknown mode {mode!r} in an arm-pt vector (it is {geo.mode.name})")
        return cls(geo)

    def machine(self, version: str, settings):
        return machine(version, settings)

    def initial(self, v):
        return v.initial_state()

    def view(self, v, st, va):
        from proofs.systems.arm_pt.theorem import ArmView

        return ArmView(v, st, va)

    def contract(self, v, call) -> Bool:
        return call_ok(call, v)

    def function(self, op: int) -> str:
        return ARM_OPS[op]

    def op_of(self, r) -> int:
        return 0  # one operation: any call

    def op_key(self, op: int) -> str:
        return ANY

    def concrete(self, call) -> ConcreteCall:
        return ConcreteCall(int(call.op), tuple(int(a) for a in call.a))

    def va_bits(self, v) -> int:
        return ARM_VA_BITS

    def root_level(self, v) -> int:
        return 0

    def next_level(self, level: int) -> int:
        return level + 1

    def level_shift(self, v, level: int) -> int:
        return PAGE_SHIFT + LPAE_SHIFT * (THIRD - level)

    def child(self, v, x: int, level: int) -> Optional[int]:
        if level < THIRD and bool(classify_desc(Word(x, 64), level).table):
            return x >> PAGE_SHIFT & ((1 << 36) - 1) & ((1 << FRAME_BITS) - 1)
        return None

    def format_entry(self, v, x: int, level: Optional[int]) -> str:
        return format_desc(x, min(level if level is not None else THIRD, THIRD))

    def translation(self, t) -> dict[str, Any]:
        if not bool(t.ok):
            return {"ok": False}
        return {"ok": True, "ppn": hex(int(t.ppn)), "level": int(t.level), "attrs": hex(int(t.attrs)),
                "perms": "".join(c for c, b in zip("rwx", (t.leaf_r, t.leaf_w, t.leaf_x)) if bool(b))}


ARM = ArmTraceArch()


# ---------------------------------------------------------------------------
# show

def _call_text(c: dict) -> str:
    args = ", ".join(f"{k}={x}" for k, x in c["args"].items())
    return f"{c['function']}({args}) -> {c['rc']}" + (f" {c['assert_failed']}" if c.get("assert_failed") else "")


def render(vector: dict, color: bool = False) -> str:
    """`ptprove show`: the calls with their return codes, the entries the breaking
    step wrote (before and after, decoded), the tables the model predicts at the end.
    (Everything is replayed first: a vector that does not reproduce is refused.)"""
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
    """The tables the model predicts at the end, linked by their table descriptors."""
    out = ["digraph arm_pt {", "  node [shape=box fontname=monospace];"]
    frames = {t["frame"] for t in vector["expected"]["tables"]}
    for t in vector["expected"]["tables"]:
        rows = "\\l".join(f"[{e['index']}] {e['decoded']}" for e in t["entries"])
        out.append(f'  "{t["frame"]}" [label="{t["frame"]} L{t["level"]}\\l{rows}\\l"];')
        for e in t["entries"]:
            if e["decoded"].startswith("table next="):
                child = hex(int(e["decoded"].split("=")[1], 16) >> PAGE_SHIFT)
                if child in frames:
                    out.append(f'  "{t["frame"]}" -> "{child}" [label="{e["index"]}"];')
    return "\n".join(out + ["}"]) + "\n"


def regression(version: str, settings) -> list[dict]:
    from proofs.systems.arm_pt.regression import vectors

    return vectors(version, settings)


__all__ = ["ARM", "from_results", "replay", "render", "dot", "certificate", "is_canonical", "regression",
           "calls_of", "obligation_of", "variant_for"]
