"""map_table / unmap_table as a finite resource (`pmap`): each step of riscv-pt counts the
tables it maps and unmaps; upstream's pt_update_entry leaves one mapped on its early exits
(unmap_table(ptep) with ptep NULL), v9 and v5 do not; the count is compared with the C's."""
from __future__ import annotations

from pathlib import Path

import pytest

from needs import c_compiler, xen_file
from proofs import vector
from proofs.c_harness import trace_differences
from proofs.systems.riscv_pt.theorem import OBLIGATIONS
from proofs.systems.trace_vectors import calls_of, run, tables_left_mapped
from tests.helpers import variant

ROOT = Path(__file__).resolve().parent.parent
PMAP = ROOT / "counterexamples" / "riscv-pt-upstream" / "pmap.json"


def _left_mapped(name: str) -> list[int]:
    v = variant(name)
    r = run(v, None, calls_of(vector.load(PMAP)), 0, stop_at_break=False)
    return [tables_left_mapped([st for st, o in zip(r.steps, r.call_of_step) if o == i])
            for i in range(len(calls_of(vector.load(PMAP))))]


def test_upstream_leaves_the_walked_table_mapped_on_eopnotsupp_and_v9_does_not():
    # the vector: a 1G map, then a 4K map inside it (-EOPNOTSUPP from the explicit-target walk)
    assert _left_mapped("riscv-pt-upstream") == [0, 1]
    assert _left_mapped("riscv-pt-v9") == [0, 0]
    assert _left_mapped("riscv-pt-v5") == [0, 0]


def test_the_vector_records_the_leak_and_breaks_pmap_at_that_call():
    v = vector.load(PMAP)
    assert v["obligation"]["id"] == "pmap" and "pmap" in OBLIGATIONS
    assert [c["rc"] for c in v["calls"]] == ["0", "-EOPNOTSUPP"]
    assert v["calls"][1]["mapped"] == 1 and "mapped" not in v["calls"][0]


def _vec(mapped: int) -> dict:
    call = {"call": "map", "rc": "-EOPNOTSUPP", "rc_value": -95}
    if mapped:
        call["mapped"] = mapped
    return {"calls": [call], "expected": {"after": "returned", "tables": [], "pool_handed_out": 0,
                                          "tlb_stale": False}}


def _got(mapped: int) -> dict:
    return {"calls": [{"rc": -95, "failed": None, "stale": False, "mapped": mapped}], "tables": [],
            "pool_handed_out": 0}


@pytest.mark.parametrize("model, c, differs", [(1, 1, False), (0, 0, False), (0, 1, True), (1, 0, True)])
def test_the_harness_compares_the_tables_left_mapped(model, c, differs):
    problems = trace_differences(_vec(model), _got(c))
    assert any("tables left mapped" in p for p in problems) is differs


def test_the_compiled_upstream_c_leaves_the_table_mapped_as_the_model_says():
    from proofs import c_harness

    h = c_harness.Harness(str(xen_file("riscv-pt-upstream", "xen/arch/riscv/pt.c")), c_compiler())
    try:
        v = vector.load(PMAP)
        assert h.compare(v) == []
        v["calls"][1].pop("mapped")  # a model that unmapped it: the C shows otherwise
        assert any("tables left mapped at its return (map_table without unmap_table): model 0, C 1" in p
                   for p in h.compare(v))
    finally:
        h.close()
