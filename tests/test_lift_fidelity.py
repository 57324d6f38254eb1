"""The lifter against the compiler: whole calls run concretely on the lifted IR give the
return codes and tables the natively compiled C (the C harness) gives."""
from __future__ import annotations


import pytest

from needs import c_compiler, require

from model.riscv.pte import PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RX, PTE_SMALL
from proofs.c_harness import Harness
from proofs.refine.harness_replay import lifted_calls
from proofs.refine.run import setup_for
from proofs.refine.sources import versions_at_hand
from proofs.systems.riscv_pt.vectors import ARG_NAMES
from model.riscv.machine import OP_IDS

AT_HAND = versions_at_hand()
G = 0x40000000  # 1 GiB
CALLS = [
    ("map", (G, 0x80000, 1, PAGE_HYPERVISOR_RW)),                   # one 4K page
    ("map", (G + 0x200000, 0x80200, 512, PAGE_HYPERVISOR_RX)),      # a 2M superpage
    ("map", (G + 0x400000, 0x80400, 3, PAGE_HYPERVISOR_RW | PTE_SMALL)),
    ("map", (G + 0x1000, 0x90000, 1, PAGE_HYPERVISOR_RW | 0x8)),    # W+X: -EINVAL
    ("map", (G, 0x80000, 1, PAGE_HYPERVISOR_RW)),                   # a valid entry in the way
    ("modify", (G + 0x400000, 2, 0x3)),                             # read-only now
    ("destroy", (G + 0x400000, G + 0x402000)),
    ("populate", (2 * G, 4)),
]


@pytest.mark.parametrize("version", sorted(AT_HAND) or ["riscv-pt-upstream"])
def test_lifted_and_compiled_c_agree_on_whole_calls(version, tmp_path):
    c_compiler()  # the compiled side needs a host C compiler
    if version not in AT_HAND:
        require(False, f"the C of {version} is not on this machine (../shared)")
    setup = setup_for(version, AT_HAND[version])
    lifted = lifted_calls(setup, CALLS)
    vector = {"version": version, "bounds": {"pool": setup.geo.pool},
              "initial_state": {"root": hex(setup.geo.root), "pool_base": hex(setup.geo.pool_base)},
              "calls": [{"call": op, "args": {n: hex(a) for n, a in zip(ARG_NAMES[OP_IDS[op]], args)}}
                        for op, args in CALLS]}
    h = Harness(str(AT_HAND[version]))
    try:
        native = h.run(vector)
    finally:
        h.close()
    assert [(c["rc"], c["failed"] is not None) for c in lifted["calls"]] == \
        [(c["rc"], c["failed"] is not None) for c in native["calls"]]
    assert lifted["pool_handed_out"] == native["pool_handed_out"] >= 2
    have = {int(t["frame"], 16): {i: int(x, 16) for i, x in t["entries"]} for t in native["tables"]}
    assert lifted["tables"] == have and len(have) >= 3
