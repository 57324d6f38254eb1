"""What the systems with both caller contracts share (`proofs/engine/callers.py`):
a version under a contract as a model class of its own, and the C-width test of
the `any` contract.

`<version>@any` is the version's model class subclassed with `callers = "any"`
(and `under_callers_of`, the version it is decided for): the same model, whose
system's contract (`contract.py`) reads `callers_of(variant)` to admit every value
the entry points' C signatures admit.  Its machine replays the presets version's
committed traces (`traces_from`: a restriction of any).
"""
from __future__ import annotations

from model.term import Bool, Word, any_of
from proofs.engine import callers


#: a version name's model class (`<version>@any`: the version's, under that contract)
model_class = callers.model_class
#: the contract a version (class or instance) is decided under: presets unless `@any`
callers_of = callers.contract_of


def is_any(variant) -> bool:
    return callers_of(variant) == callers.ANY


def traces_from(variant) -> tuple:
    """Under any, the presets version's committed traces replay on this one."""
    base = getattr(variant, "under_callers_of", None)
    return (base,) if base else ()


def flags_fit(flags: Word, variant, attr: str = "FLAGS_BITS") -> Bool:
    """A flags word the entry points' C parameter type holds (`variant.FLAGS_BITS` bits)."""
    bits = getattr(variant, attr, 64)
    return Bool(True) if bits >= 64 else (flags >> bits) == 0


def fits(x: Word, bits: int) -> Bool:
    """x is a value of a `bits`-wide unsigned C parameter (zero-extended into 64 bits)."""
    return Bool(True) if bits >= 64 else (x >> bits) == 0


def any_call_ok(call, variant) -> Bool:
    """The `any` contract of the xen_pt_update-shaped entry points (RISC-V pt.c, Arm
    mmu/pt.c: map_pages_to_xen(virt, mfn, nr, flags), destroy_xen_mappings(s, e),
    populate_pt_range(virt, nr), modify_xen_mappings(s, e, flags)): any address, frame
    and count, a flags word of the parameter's width; the machine's unused arguments 0."""
    from model.riscv.machine import OP_DESTROY, OP_MAP, OP_MODIFY, OP_POPULATE

    a0, a1, a2, a3 = call.a
    by_op = {
        OP_MAP: flags_fit(a3, variant),
        OP_DESTROY: (a2 == 0) & (a3 == 0),
        OP_POPULATE: (a2 == 0) & (a3 == 0),
        OP_MODIFY: flags_fit(a2, variant) & (a3 == 0),
    }
    return any_of((call.op == op) & c for op, c in by_op.items())


__all__ = ["any_call_ok", "model_class", "callers_of", "is_any", "traces_from", "flags_fit", "fits"]
