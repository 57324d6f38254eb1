"""What callers of p2m_set_entry may pass (system `p2m`)."""
from __future__ import annotations

from model.riscv.p2m_state import INVALID_MFN, PT_FRAME_BASE
from model.term import Bool, any_of
from proofs.systems.p2m.theorem import Call


def contract(m, call: Call) -> Bool:
    """What map_regions_p2mt's callers pass: an aligned gfn inside the G-stage
    address space; INVALID_MFN (remove) or an aligned frame with a type this
    version stores, foreign types at 4K and 2M only (p2m_put_page has no 1G path),
    never overlapping a page of the p2m's own pool, below the PADDR_MASK limit."""
    mask = (1 << m.geo.level_order(call.target)) - 1
    gfn_ok = (call.gfn < (1 << m.geo.gfn_bits)) & ((call.gfn & mask) == 0)
    table_frames = (((call.mfn - PT_FRAME_BASE) < m.geo.pages)  # the p2m's own pages
                    | ((PT_FRAME_BASE - call.mfn) < mask + 1))
    mapping = ((call.mfn < m.mfn_limit) & ((call.mfn & mask) == 0) & ~table_frames
               & any_of(call.t == t for t in m.types())
               & (~m.is_foreign(call.t) | (call.target <= 1)))
    return gfn_ok & ((call.mfn == INVALID_MFN) | mapping)
