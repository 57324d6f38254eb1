"""arm-pt's vector plugin (the interface `proofs/vector.py` calls): traces of
map_pages_to_xen / destroy_xen_mappings / populate_pt_range / modify_xen_mappings
calls, canonical and replayed.

Arm's xen_pt_update runs on riscv-pt's machine (State, Step, calls as an op
and four arguments: `model/arm/pt.py`), so its vectors are made, shrunk and
replayed by the trace machinery (`proofs/systems/trace_vectors.py`); what
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
from proofs.systems import trace_show
from proofs.systems.arm_pt.versions import model_class
from proofs.systems.trace_vectors import (
    ConcreteCall,
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
        cls = model_class(version)
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


#: the plugin's renderers are the shared trace renderers
render, dot = trace_show.render, trace_show.dot


def regression(version: str, settings) -> list[dict]:
    from proofs.systems.arm_pt.regression import vectors

    return vectors(version, settings)


__all__ = ["ARM", "from_results", "replay", "render", "dot", "certificate", "is_canonical", "regression",
           "calls_of", "obligation_of", "variant_for"]
