"""What callers of Arm's xen_pt_update entry points may pass (system `arm-pt`).

Anything the C is meant to reject itself (an unaligned address, a W+X
request) stays in the domain, so the proofs check that the code rejects it.

Two contracts (`proofs/engine/callers.py`), by the version's `callers`:

* presets: addresses in TTBR0_EL2's 48-bit range, frames a descriptor can name
  (48-bit output addresses), the `PAGE_HYPERVISOR_*` presets (| _PAGE_BLOCK) or
  one W+X request: what Xen's callers pass today;
* any (`any_call_ok`): every value the C signatures admit (mmu/pt.c:
  `map_pages_to_xen(unsigned long virt, mfn_t mfn, unsigned long nr_mfns, pte_attr_t flags)`,
  `destroy_xen_mappings(unsigned long s, unsigned long e)`,
  `populate_pt_range(unsigned long virt, unsigned long nr_mfns)`,
  `modify_xen_mappings(unsigned long s, unsigned long e, pte_attr_t nf)`): any
  address, count and MFN, any flags word of `FLAGS_BITS` (xen_pt_update's
  `unsigned int flags`); the arguments an entry point does not have are 0.
"""
from __future__ import annotations

from model.arm.pt import _PAGE_BLOCK, _PAGE_CONTIG, _PAGE_PRESENT, _PAGE_RO, _PAGE_XN
from model.riscv.machine import OP_DESTROY, OP_MAP, OP_MODIFY, OP_POPULATE
from model.term import Bool, Word, any_of
from proofs.systems.contracts import any_call_ok, is_any

VA_BITS = 48  # TTBR0_EL2: one range, [0, 2**48)
OA_FRAMES = 1 << 36  # 48-bit physical addresses


def range_ok(virt: Word, nr: Word) -> Bool:
    return ((virt >> VA_BITS) == 0) & (nr <= (1 << (VA_BITS - 12))) & (virt + (nr << 12) <= (1 << VA_BITS))


def flags_ok(flags: Word, presets: tuple) -> Bool:
    """A PAGE_HYPERVISOR_* preset or a W+X request (_PAGE_NORMAL), maybe | _PAGE_BLOCK."""
    wx_request = _PAGE_PRESENT | 0x7
    return any_of(flags == p | b for p in presets + (wx_request,) for b in (0, _PAGE_BLOCK))


def call_ok(call, variant) -> Bool:
    """The contract for one call, by entry point (the version's: presets or any)."""
    if is_any(variant):
        return any_call_ok(call, variant)
    a0, a1, a2, a3 = call.a
    presets = variant.FLAG_PRESETS
    by_op = {
        OP_MAP: range_ok(a0, a2) & (a1 < OA_FRAMES) & (a2 <= OA_FRAMES - a1) & flags_ok(a3, presets),
        OP_DESTROY: ((a0 >> VA_BITS) == 0) & (a1 <= (1 << VA_BITS)) & (a2 == 0) & (a3 == 0),
        OP_POPULATE: range_ok(a0, a1) & (a2 == 0) & (a3 == 0),
        OP_MODIFY: ((a0 >> VA_BITS) == 0) & (a1 <= (1 << VA_BITS)) & flags_ok(a2, presets) & (a3 == 0),
    }
    return any_of((call.op == op) & c for op, c in by_op.items())


def rwx(flags: Word) -> Bool:
    """flags_has_rwx: PRESENT with neither RO nor XN."""
    return (flags & _PAGE_PRESENT).any() & ~(flags & _PAGE_RO).any() & ~(flags & _PAGE_XN).any()


def must_refuse(variant, call) -> Bool:
    """The requests xen_pt_update's checks before the loop reject (-EINVAL, no write):
    W+X flags, the internal _PAGE_CONTIG flag (upstream: the RFC has no such check), a
    virtual address not page aligned; of the arguments the entry point passes on."""
    _, (virt, _, _, flags) = variant.wrapper(call)
    contig = (flags & _PAGE_CONTIG).any() if variant.REFUSES_CONTIG else Bool(False)
    return rwx(flags) | contig | ((virt & 0xFFF) != 0)
