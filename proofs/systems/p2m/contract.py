"""What callers of p2m_set_entry may pass (system `p2m`).

Two contracts (`proofs/engine/callers.py`), by the version's `callers`:

* presets (`presets_contract`): what map_regions_p2mt's callers in Xen pass today;
* any (`any_contract`): every value the C signatures admit.  p2m_set_entry is static
  (RISC-V p2m.c; Arm's is __p2m_set_entry): its one caller is the range loop
  (RISC-V `p2m_set_range`, Arm `p2m_set_entry`), called by `map_regions_p2mt(struct
  domain *d, gfn_t gfn, unsigned long nr, mfn_t mfn, p2m_type_t p2mt)` (Arm's
  `p2m_set_entry(p2m, gfn_t sgfn, unsigned long nr, mfn_t smfn, p2m_type_t t,
  p2m_access_t a)`).  For any gfn, nr and mfn (64-bit) the loop passes each
  iteration a gfn and an mfn (or INVALID_MFN) aligned to the order it chose
  (`p2m_mapping_order`: the largest order both are aligned to), so that alignment is
  all `any` keeps; the type is any value of the version's p2m_type_t
  (`P2M_TYPE_VALUES`).  Arm's access is p2m_access_rwx (mem_access is not modelled:
  `p2m_mem_access_radix_set` returns 0 when it is disabled).
"""
from __future__ import annotations

from model.riscv.p2m_state import INVALID_MFN, PT_FRAME_BASE
from model.term import Bool, any_of
from proofs.engine.callers import ANY, contract_of
from proofs.systems.p2m.theorem import Call


def aligned(m, call: Call) -> tuple[Bool, Bool]:
    """(gfn aligned to the call's order, mfn aligned or INVALID_MFN)."""
    mask = (1 << m.geo.level_order(call.target)) - 1
    return (call.gfn & mask) == 0, (call.mfn == INVALID_MFN) | ((call.mfn & mask) == 0)


def any_contract(m, call: Call) -> Bool:
    """Every call the range loop makes for any map_regions_p2mt arguments (module doc)."""
    gfn_ok, mfn_ok = aligned(m, call)
    return gfn_ok & mfn_ok & any_of(call.t == t for t in m.P2M_TYPE_VALUES)


def presets_contract(m, call: Call) -> Bool:
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


def contract(m, call: Call) -> Bool:
    """The contract of the version's model (`<version>@any`: any_contract)."""
    return any_contract(m, call) if contract_of(m) == ANY else presets_contract(m, call)
