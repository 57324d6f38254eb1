"""What callers may pass: the assumptions every obligation makes about a call.

These are the only constraints on the arguments of the public entry points.
Anything the C code is meant to reject itself (an unaligned address, a W+X
request, INVALID_MFN given to map_pages_to_xen, s >= e for destroy) stays in
the domain, so the proofs check that the code rejects it.

Two contracts (`proofs/engine/callers.py`), by the version's `callers`:

* presets (`call_ok`'s default): canonical ranges in one half of the space, frames
  a PTE can name, and the version's `PAGE_HYPERVISOR_*` presets (| PTE_SMALL) or
  one W+X request: what Xen's callers pass today;
* any (`any_call_ok`): every value the C signatures admit (pt.c:
  `map_pages_to_xen(unsigned long virt, mfn_t mfn, unsigned long nr_mfns, flags)`,
  `destroy_xen_mappings(unsigned long s, unsigned long e)`,
  `populate_pt_range(unsigned long virt, unsigned long nr_mfns)`, pt_update's
  modify path `(virt, INVALID_MFN, nr_mfns, flags)`): any address, count and MFN,
  any flags word of the version's `FLAGS_BITS`; the arguments an entry point does
  not have are 0.
"""
from __future__ import annotations

from model.riscv.machine import INVALID_MFN, OP_DESTROY, OP_MAP, OP_MODIFY, OP_POPULATE, Call
from model.riscv.pte import PAGE_SHIFT
from model.term import Bool, Word, any_of
from proofs.engine.callers import ANY
from proofs.systems.contracts import any_call_ok, callers_of, flags_fit
from proofs.systems.shared import PPN_LIMIT, WX_REQUEST, flags_ok, wx_flags



def canonical(va: Word, va_bits: int) -> Bool:
    top = va >> (va_bits - 1)
    return (top == 0) | (top == (1 << (64 - va_bits + 1)) - 1)


def range_ok(virt: Word, nr: Word, va_bits: int) -> Bool:
    """[virt, virt + nr pages) is canonical and stays in one half of the space."""
    half = 1 << (va_bits - 1)
    offset = virt & (half - 1)
    max_pages = half >> PAGE_SHIFT
    return (canonical(virt, va_bits) & (nr <= max_pages)
            & (offset + (nr << PAGE_SHIFT) <= half))


def mfn_ok(mfn: Word, nr: Word) -> Bool:
    return (mfn == INVALID_MFN) | ((mfn < PPN_LIMIT) & (nr <= PPN_LIMIT - mfn))


def call_ok(call: Call, variant) -> Bool:
    """The contract for one call, by entry point (the version's: presets or any)."""
    if callers_of(variant) == ANY:
        return any_call_ok(call, variant)
    va_bits = variant.geo.mode.va_bits
    presets = variant.FLAG_PRESETS
    a0, a1, a2, a3 = call.a
    by_op = {
        OP_MAP: range_ok(a0, a2, va_bits) & mfn_ok(a1, a2) & flags_ok(a3, presets),
        OP_DESTROY: canonical(a0, va_bits) & canonical(a1, va_bits) & (a2 == 0) & (a3 == 0)
        & ((a0 >= a1) | range_ok(a0, (a1 - a0) >> PAGE_SHIFT, va_bits)),
        OP_POPULATE: range_ok(a0, a1, va_bits) & (a2 == 0) & (a3 == 0),
        OP_MODIFY: range_ok(a0, a1, va_bits) & flags_ok(a2, presets) & (a3 == 0),
    }
    return any_of((call.op == op) & c for op, c in by_op.items())


def must_refuse(call: Call) -> Bool:
    """The requests the domain above keeps for the code to reject itself (each
    entry point's C contract): an address not page aligned, W+X flags, `s >= e`
    for destroy_xen_mappings.  Unaligned destroy ends are ASSERTed instead (a
    debug build stops), so they are not listed."""
    a0, a1, a2, a3 = call.a
    unaligned = (a0 & ((1 << PAGE_SHIFT) - 1)) != 0
    by_op = {
        OP_MAP: unaligned | wx_flags(a3),
        OP_DESTROY: a0 >= a1,
        OP_POPULATE: unaligned,
        OP_MODIFY: unaligned | wx_flags(a2),
    }
    return any_of((call.op == op) & c for op, c in by_op.items())


__all__ = ["PPN_LIMIT", "WX_REQUEST", "flags_ok", "canonical", "range_ok", "mfn_ok", "call_ok", "wx_flags",
           "must_refuse", "callers_of", "flags_fit", "any_call_ok"]
