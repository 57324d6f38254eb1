"""riscv-fixmap's vector plugin (the interface `proofs/vector.py` calls): traces of
setup_fixmap_mappings / set_fixmap / clear_fixmap calls from the boot state.

The fixmap's entry points run on the riscv-pt upstream machine
(`model/riscv/fixmap.py`), so its vectors are made and replayed by riscv-pt's
machinery (`proofs/systems/trace_vectors.py`) with this `TraceArch`: the
boot state (root slot -> the boot level-1 table -> the Xen image's level-0
tables, as concrete entries), the fixmap's three calls and their arguments,
and the caller contract, which depends on the state (set/clear only once
setup_fixmap_mappings has installed xen_fixmap[]), so it is checked along a
replay.  The layout obligations are facts about the constants, not calls:
their vectors are `layout_vectors.py`'s, and each function here hands a
vector to the module of its kind.  The state obligations are proved today:
their vectors are the boundary scenarios of `regression.py`.
"""
from __future__ import annotations

from dataclasses import replace

from model.memory import Memory
from model.riscv.fixmap import FIXMAP_OPS, OP_CLEAR_FIXMAP, OP_SET_FIXMAP, OP_SETUP_FIXMAP, XEN_FIXMAP_FRAME
from model.riscv.machine import PC_HALTED, PC_IDLE, Geometry
from model.riscv.pte import SV39
from proofs.systems import trace_show, trace_vectors
from proofs.systems.riscv_fixmap import layout_vectors
from proofs.systems.riscv_fixmap.machine import FixmapMachine, machine
from proofs.systems.riscv_fixmap.versions import model_class
from proofs.systems.trace_vectors import (
    STEP_LIMIT,
    ConcreteCall,
    TraceArch,
    calls_of,
    certificate,
    obligation_of,
    tables,
    variant_for,
)
from proofs.vector import VectorError

SYSTEM = "riscv-fixmap"


class FixmapTraceArch(TraceArch):
    """riscv-pt's trace vectors on the fixmap's entry points, from the boot state."""

    system = SYSTEM
    arg_names = {OP_SETUP_FIXMAP: (), OP_SET_FIXMAP: ("map", "mfn", "flags"), OP_CLEAR_FIXMAP: ("map",)}
    op_ids = {name: op for op, name in FIXMAP_OPS.items()}
    flag_arg = {OP_SET_FIXMAP: 2}
    address_args = {op: () for op in FIXMAP_OPS}  # a slot number, not an address
    contract_where = "proofs/systems/riscv_fixmap/machine.py FixmapMachine.call_ok"

    def obligations(self) -> dict:
        from proofs.systems.riscv_fixmap.theorem import STATE_OBLIGATIONS

        return STATE_OBLIGATIONS

    def variant(self, version: str, mode: str, pool: int):
        cls = model_class(version)
        if cls is None:
            raise VectorError(f"unknown riscv-fixmap version {version!r} in vector")
        if mode != SV39.name:
            raise VectorError(f"unknown mode {mode!r} in a riscv-fixmap vector (it is sv39)")
        return cls(Geometry(SV39, pool=pool))

    def machine(self, version: str, settings):
        return machine(version, settings)

    def initial(self, v):
        """The boot state with its entries as concrete cells (the model keeps them as
        guarded writes, for symbolic reads)."""
        s = v.boot_state()
        mem = Memory.zero()
        for w in s.mem.log:
            mem = mem.write(w.guard, w.frame, w.idx, w.value)
        return replace(s, mem=mem)

    def initial_json(self, v) -> dict:
        return {"from": "the boot state: root slot -> the boot level-1 table -> the Xen image's "
                        "level-0 tables (their leaves not modelled), no pool page handed out",
                "root": hex(v.geo.root), "pool_base": hex(v.geo.pool_base),
                "xen_fixmap": hex(XEN_FIXMAP_FRAME), "tables": tables(v, self.initial(v))}

    def contract_calls(self, v, calls: list[ConcreteCall]) -> bool:
        """Each call the contract allows in the state it is made in, the calls run as a
        replay runs them (`trace_vectors.run`: at most STEP_LIMIT steps; a clear_fixmap
        whose walk stops above level 0 runs on past its page, and the calls after it are
        not offered)."""
        m, s, steps = FixmapMachine(v), self.initial(v), 0
        for c in calls:
            if int(s.pc) == PC_HALTED:
                return True  # calls after an ASSERT are not run
            if not bool(m.call_ok(s, c.call())):
                return False
            s = v.step(s, c.call()).post
            steps += 1
            while int(s.pc) not in (PC_IDLE, PC_HALTED):
                if steps >= STEP_LIMIT:
                    return True
                s = v.step(s, c.call()).post
                steps += 1
        return True

    def call_name(self, op: int) -> str:
        return FIXMAP_OPS[op]

    def function(self, op: int) -> str:
        return FIXMAP_OPS[op]

    def op_of(self, r) -> int:
        return 0

    def op_key(self, op: int) -> str:
        from proofs.engine.machine import ANY

        return ANY

    def concrete(self, call) -> ConcreteCall:
        return ConcreteCall(int(call.op), tuple(int(a) for a in call.a))


FIXMAP = FixmapTraceArch()


def from_results(results, settings) -> list[dict]:
    results = list(results)
    layout = [r for r in results if layout_vectors.is_layout(r)]
    calls = [r for r in results if not layout_vectors.is_layout(r)]
    return layout_vectors.from_results(layout, settings) + trace_vectors.from_results(calls, settings)


def _of_kind(vector: dict):
    """The module that reads a vector of this kind: layout facts or traces of calls."""
    return layout_vectors if vector.get("kind") == layout_vectors.KIND else None


def replay(vector: dict) -> list[str]:
    return (_of_kind(vector) or trace_vectors).replay(vector)


def is_canonical(vector: dict) -> bool:
    return True if _of_kind(vector) else trace_vectors.is_canonical(vector)


def render(vector: dict, color: bool = False) -> str:
    return (_of_kind(vector) or trace_show).render(vector, color)


def dot(vector: dict) -> str:
    return (_of_kind(vector) or trace_show).dot(vector)


def regression(version: str, settings) -> list[dict]:
    from proofs.systems.riscv_fixmap.regression import vectors

    return vectors(version, settings)


__all__ = ["FIXMAP", "from_results", "replay", "render", "dot", "certificate", "is_canonical", "regression",
           "calls_of", "obligation_of", "variant_for"]
