"""arm-pt's vectors: the solver's raw traces shrink to the committed vectors, a
fresh search gives the same bytes, the shrink keeps Arm's caller contract, and
`show` reads them in Arm's words."""
from __future__ import annotations

from pathlib import Path

import pytest

from proofs import vector as vec
from proofs.cli import main
from proofs.engine import Settings
from proofs.engine.machine import ANY
from proofs.engine.result import Result
from proofs.systems.arm_pt.machine import machine
from proofs.systems.arm_pt.theorem import OBLIGATIONS
from proofs.systems.arm_pt.vectors import ARM
from proofs.systems.riscv_pt import vectors as rv
from proofs.systems.riscv_pt.trace import ConcreteCall

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "counterexamples" / "arm-pt-upstream"
SETTINGS = Settings()
#: the contig trace the BMC search first found (the call offered at each step, solver-chosen values)
RAW_CONTIG = ([ConcreteCall(0, (0x108000001000, 0x0, 0x1, 0xa9)),
               ConcreteCall(1, (0xef1004000f9c, 0x9001b00000, 0x0, 0x0)),
               ConcreteCall(0, (0x108000000000, 0x800000010, 0x100, 0xa9)),
               ConcreteCall(2, (0x101030000001, 0xec8000000, 0x0, 0x0)),
               ConcreteCall(0, (0x15205056bfa, 0x200009, 0x6400007fb, 0xb7))], 0x108000001000)


def test_a_raw_trace_shrinks_to_the_committed_vector():
    m = machine("arm-pt-upstream", SETTINGS)
    inv = OBLIGATIONS["contig"]
    committed = vec.load(UPSTREAM / "contig.json")
    started = rv.started_calls(m.v, RAW_CONTIG[0])
    assert len(started) == 2
    calls, va = rv.canonical(m.v, inv, started, RAW_CONTIG[1])
    assert (calls, va) == (rv.calls_of(committed), int(committed["violation"]["witness_va"], 16))
    assert calls != started and all(bool(ARM.contract(m.v, c.call())) for c in calls)
    assert rv.build(m.v, inv, calls, va, m.bounds(), "z3")["calls"] == committed["calls"]


def test_a_shrink_that_would_leave_the_contract_is_not_taken():
    """_PAGE_CONTIG is internal: a candidate flag with it (or any flag outside the
    presets) is refused, so the committed flags are PAGE_HYPERVISOR_* | _PAGE_BLOCK."""
    m = machine("arm-pt-upstream", SETTINGS)
    bad = ConcreteCall(0, (0x0, 0x0, 0x10, 0x1a9))  # | _PAGE_CONTIG
    assert not bool(ARM.contract(m.v, bad.call()))
    flags = {int(c["args"]["flags"], 16) for p in UPSTREAM.glob("*.json") if p.name != "traces.json"
             for c in vec.load(p)["calls"] if "flags" in c["args"]}
    assert flags and all(f & 0x100 == 0 for f in flags)


@pytest.mark.slow
def test_a_fresh_search_gives_the_committed_bytes():
    old = vec.load(UPSTREAM / "contig.json")
    r = Result("arm-pt-upstream", "contig", "any call", "violated", machine("arm-pt-upstream", SETTINGS).bounds(),
               "z3", 0.0, extra={"trace_steps": old["bounds"]["trace_steps"], "replay": {}}, system="arm-pt")
    [new] = vec.from_results([r], SETTINGS)
    assert vec.dumps(new) == (UPSTREAM / "contig.json").read_text()
    assert new["obligation"]["vector_from"] == ANY


def test_show_reads_an_arm_vector_and_a_tampered_one_is_refused(tmp_path, capsys):
    assert main(["show", str(UPSTREAM / "contig.json")]) == 0
    out = capsys.readouterr().out
    assert "map_pages_to_xen(virt=0x0, mfn=0x0, nr=0x10, flags=0xa9) -> -EINVAL" in out
    assert "page oa=0x0 attr=1 AP=RW SH=OSH flags=AF,nG,NS,Cont,UXN" in out
    v = vec.load(UPSTREAM / "contig.json")
    v["calls"][1]["rc"] = "0"
    f = tmp_path / "v.json"
    f.write_text(vec.dumps(v))
    assert main(["replay", str(f)]) == 1
    assert "returns -EINVAL, the vector says 0" in capsys.readouterr().out
