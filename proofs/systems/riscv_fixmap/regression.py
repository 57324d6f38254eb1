"""Regression vectors for the RISC-V fixmap: setup_fixmap_mappings once and twice,
set_fixmap with each kind of preset, on the last slot, over a slot in use and
with a W+X request, clear_fixmap of a set and of an unset slot, a slot reused.

The model decides each scenario's return codes (a BUG()/BUG_ON is `ASSERT`)
and final tables from the boot state; the vector records them.  Names say the
scenario and the outcome, e.g. `set-twice-assert`.
"""
from __future__ import annotations

from model.riscv.fixmap import OP_CLEAR_FIXMAP, OP_SET_FIXMAP, OP_SETUP_FIXMAP
from model.riscv.pte import PAGE_HYPERVISOR_RO, PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RX
from proofs.engine.obligation import where as where_of
from proofs.systems.riscv_fixmap.machine import machine
from proofs.systems.shared import WX_REQUEST
from proofs.systems.trace_vectors import ConcreteCall, build, outcome

MFN = 0x80200


def setup() -> ConcreteCall:
    return ConcreteCall(OP_SETUP_FIXMAP, (0, 0, 0, 0))


def set_(slot: int, mfn: int, flags: int) -> ConcreteCall:
    return ConcreteCall(OP_SET_FIXMAP, (slot, mfn, flags, 0))


def clear(slot: int) -> ConcreteCall:
    return ConcreteCall(OP_CLEAR_FIXMAP, (slot, 0, 0, 0))


def scenarios(fix_last: int) -> tuple[tuple[str, str, list[ConcreteCall]], ...]:
    """(scenario, what it pins down, calls) for a layout whose last slot is `fix_last`."""
    return (
        ("setup", "install xen_fixmap[] under the boot level-1 table", [setup()]),
        ("setup-twice", "a second setup_fixmap_mappings finds its entry valid", [setup(), setup()]),
        ("set-ro", "map slot 0 read-only", [setup(), set_(0, MFN, PAGE_HYPERVISOR_RO)]),
        ("set-rw", "map slot 1 read-write", [setup(), set_(1, MFN, PAGE_HYPERVISOR_RW)]),
        ("set-rx", "map slot 2 read-execute", [setup(), set_(2, MFN, PAGE_HYPERVISOR_RX)]),
        ("set-last-slot", "map FIX_LAST", [setup(), set_(fix_last, MFN, PAGE_HYPERVISOR_RW)]),
        ("set-twice", "map a slot that is in use",
         [setup(), set_(0, MFN, PAGE_HYPERVISOR_RW), set_(0, MFN + 1, PAGE_HYPERVISOR_RW)]),
        ("set-wx", "a writable and executable request", [setup(), set_(0, MFN, WX_REQUEST)]),
        ("clear", "unmap a slot", [setup(), set_(0, MFN, PAGE_HYPERVISOR_RW), clear(0)]),
        ("clear-unset", "unmap a slot that is not mapped", [setup(), clear(0)]),
        ("reuse", "map, unmap and map a slot again",
         [setup(), set_(0, MFN, PAGE_HYPERVISOR_RW), clear(0), set_(0, MFN + 1, PAGE_HYPERVISOR_RO)]),
    )


def vectors(version: str, settings) -> list[dict]:
    m = machine(version, settings)
    where = where_of(vectors)
    out = []
    for name, statement, calls in scenarios(m.v.layout().fix_last):
        vec = build(m.v, None, calls, 0, m.bounds(), "none (concrete model)", regression=(name, statement, where))
        vec["name"] = f"{name}-{outcome(vec['calls'][-1]['rc'])}"
        out.append(vec)
    return out
