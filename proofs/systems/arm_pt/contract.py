"""What callers of Arm's xen_pt_update entry points may pass (system `arm-pt`).

Anything the C is meant to reject itself (an unaligned address, a W+X
request) stays in the domain, so the proofs check that the code rejects it.
"""
from __future__ import annotations

from model.arm.pt import _PAGE_BLOCK, _PAGE_PRESENT
from model.riscv.machine import OP_DESTROY, OP_MAP, OP_MODIFY, OP_POPULATE
from model.term import Bool, Word, any_of

VA_BITS = 48  # TTBR0_EL2: one range, [0, 2**48)
OA_FRAMES = 1 << 36  # 48-bit physical addresses


def range_ok(virt: Word, nr: Word) -> Bool:
    return ((virt >> VA_BITS) == 0) & (nr <= (1 << (VA_BITS - 12))) & (virt + (nr << 12) <= (1 << VA_BITS))


def flags_ok(flags: Word, presets: tuple) -> Bool:
    """A PAGE_HYPERVISOR_* preset or a W+X request (_PAGE_NORMAL), maybe | _PAGE_BLOCK."""
    wx_request = _PAGE_PRESENT | 0x7
    return any_of(flags == p | b for p in presets + (wx_request,) for b in (0, _PAGE_BLOCK))


def call_ok(call, variant) -> Bool:
    a0, a1, a2, a3 = call.a
    presets = variant.FLAG_PRESETS
    by_op = {
        OP_MAP: range_ok(a0, a2) & (a1 < OA_FRAMES) & (a2 <= OA_FRAMES - a1) & flags_ok(a3, presets),
        OP_DESTROY: ((a0 >> VA_BITS) == 0) & (a1 <= (1 << VA_BITS)) & (a2 == 0) & (a3 == 0),
        OP_POPULATE: range_ok(a0, a1) & (a2 == 0) & (a3 == 0),
        OP_MODIFY: ((a0 >> VA_BITS) == 0) & (a1 <= (1 << VA_BITS)) & flags_ok(a2, presets) & (a3 == 0),
    }
    return any_of((call.op == op) & c for op, c in by_op.items())
