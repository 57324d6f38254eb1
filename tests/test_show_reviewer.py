"""Traces a reviewer reads unaided (issue 19): Xen names for flags and MFNs,
sign-extended addresses, fault reasons, the witness inside the entry that
broke, a breaking write that changes something, one level per entry, 1-based
numbers, loop variables and the C statement that wrote the entry; in `show`,
in the JSON report's traces, and in the other systems' traces."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from model.cite import follows
from model.riscv.machine import Call
from model.riscv.pt_v5 import RiscvPtV5
from model.riscv.pte import SV39, fault_text
from model.term import bv
from proofs import vector as vec
from proofs.cli import main
from proofs.engine.settings import Settings
from proofs.systems.riscv_pt import vectors as rv
from proofs.systems.riscv_pt.theorem import OBLIGATIONS
from proofs.systems.riscv_pt.trace import ConcreteCall, describe
from proofs.systems.xen_names import RISCV_FLAGS, arm_flags, va_name

COMMITTED = Path(__file__).resolve().parent.parent / "counterexamples"
TRACES = sorted(p for p in vec.vector_files(COMMITTED.glob("riscv-pt-*/*.json"))
                if p.name != "traces.json" and vec.load(p)["system"] == "riscv-pt")
ALL = vec.vector_files([COMMITTED])


def _show(path: Path, capsys, *extra: str) -> str:
    assert main(["show", str(path), *extra]) == 0
    return capsys.readouterr().out


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.name}" if p.parent.name != "regression" else f"{p.parents[1].name}/r/{p.name}"


# -- names ---------------------------------------------------------------------------

def test_flags_read_as_xen_writes_them():
    assert RISCV_FLAGS.name(0x7) == "PAGE_HYPERVISOR_RW (0x7)"
    assert RISCV_FLAGS.name(0x407) == "PAGE_HYPERVISOR_RW | PTE_SMALL (0x407)"
    assert RISCV_FLAGS.name(0x800) == "PTE_POPULATE (0x800)"
    assert RISCV_FLAGS.name((1 << 62) | 0x7) == "PAGE_HYPERVISOR_NOCACHE (0x4000000000000007)"
    assert RISCV_FLAGS.name(0xf) == "PTE_VALID | PTE_READABLE | PTE_WRITABLE | PTE_EXECUTABLE (0xf)"
    assert RISCV_FLAGS.name(0) == "0"
    arm = arm_flags()
    assert arm.name(arm.presets["PAGE_HYPERVISOR_RX"] | 0x80).startswith("PAGE_HYPERVISOR_RX | _PAGE_BLOCK (")


def test_addresses_are_sign_extended_for_the_mode():
    assert va_name(0x4800000000, 39) == "0xffffffc800000000"
    assert va_name(0x1000, 39) == "0x1000"
    assert va_name(0x800000000000, 48) == "0xffff800000000000"


@pytest.mark.parametrize("path", TRACES, ids=_id)
def test_show_names_flags_mfns_and_canonical_addresses(path, capsys):
    out = _show(path, capsys)
    assert not re.search(r"flags=0x", out), "flags shown as bare hex"
    assert "mfn=0xffffffffffffffff" not in out
    for va in re.findall(r"(?:virt=|s=|e=|witness va |translation of )(0x[0-9a-f]+)", out):
        assert va_name(int(va, 16), 39) == va, f"{va} is not sign-extended"
    v = vec.load(path)
    for c in v["calls"]:
        if c["args"].get("mfn") == hex((1 << 64) - 1):
            assert "mfn=INVALID_MFN" in out


def test_json_report_traces_name_flags_and_addresses():
    assert ConcreteCall(0, (0x4800000000, (1 << 64) - 1, 1, 0x7)).describe()["args"] == {
        "virt": "0xffffffc800000000", "mfn": "INVALID_MFN", "nr": "0x1", "flags": "PAGE_HYPERVISOR_RW (0x7)"}
    v = rv.variant_of("riscv-pt-upstream", "sv39", 4)
    calls = [ConcreteCall(0, (0, 0, 1, 0x7)), ConcreteCall(0, (0, 0, 1, 0x7))]
    r = rv.run(v, None, calls, 0)
    d = describe(v, [c for c, st in zip(calls, r.steps)], r.steps[:2], 0)
    step = d["breaking_step"]
    assert step["step"] == 2 and step["call_number"] == 1 and step["loop"]["mfn"] == "0x0"
    assert [w["by"] for w in step["writes"]][-1] == "pt_update_entry (insert)"
    assert step["writes"][-1]["c"].startswith("pte = pte_from_mfn(mfn, PTE_VALID);")


def test_other_systems_name_their_flags_and_mfns():
    from proofs.systems.arm_pt.machine import machine as arm_machine
    from proofs.systems.riscv_fixmap.machine import machine as fixmap_machine

    arm = arm_machine("arm-pt-upstream", Settings())
    rw = arm_flags().presets["PAGE_HYPERVISOR_RW"]
    d = arm.describe_call(Call(bv(0, 3), (bv(0x200000, 64), bv((1 << 64) - 1, 64), bv(1, 64), bv(rw, 64))))
    assert d["args"]["flags"].startswith("PAGE_HYPERVISOR_RW (") and d["args"]["mfn"] == "INVALID_MFN"
    fix = fixmap_machine("riscv-fixmap-upstream", Settings())
    d = fix.describe_call(Call(bv(5, 3), (bv(0, 64), bv(5, 64), bv(0x3, 64), bv(0, 64))))  # set_fixmap
    assert d["args"] == {"map": "0x0", "mfn": "0x5", "flags": "PAGE_HYPERVISOR_RO (0x3)"}


# -- the breaking step ---------------------------------------------------------------

def test_a_reserved_entry_shows_why_the_mmu_faults(capsys):
    assert fault_text(0x5, 0, SV39) == "page fault: R=0 with W=1, a reserved encoding"
    assert fault_text(0x4c3, 2, SV39) == "page fault: a misaligned superpage"
    assert fault_text(0xc3, 0, SV39) is None
    out = _show(COMMITTED / "riscv-pt-v5" / "reserved.json", capsys)
    before = next(line for line in out.splitlines() if line.strip().startswith("after "))
    assert "[page fault: a misaligned superpage]" in before


@pytest.mark.parametrize("path", TRACES, ids=_id)
def test_the_breaking_write_changes_an_entry_and_the_witness_lies_in_it(path):
    v = vec.load(path)
    if v["kind"] != "trace" or v["verdict"] != "violated":
        return
    var, inv = rv.variant_for(v), rv.obligation_of(v)
    va = int(v["violation"]["witness_va"], 16)
    r = rv.run(var, inv, rv.calls_of(v), va)
    st = r.steps[r.broke]
    assert rv.meaningful(inv, st), "the breaking write leaves its entry as it was"
    assert rv.witness_inside(var, st, va), "the witness is not in the entry that broke"


def test_the_shrink_trades_a_no_op_write_for_one_that_changes_the_entry():
    # v5 `reserved` as the shrink of issue 19's day left it: the third call rewrote the
    # misaligned superpage with the same value (flags RO over RO), the witness at 0
    old = [ConcreteCall(0, (0xffffffca80000000, 0x1000, 0x200, 0x3, )),
           ConcreteCall(0, (0xffffffca80002000, 0x1, 0x1, 0x3)),
           ConcreteCall(0, (0x80000000, (1 << 64) - 1, 0x40000, 0x3))]
    old = [ConcreteCall(c.op, c.args + (0,) * (4 - len(c.args))) for c in old]
    var, inv = rv.variant_of("riscv-pt-v5", "sv39", 4), OBLIGATIONS["reserved"]
    r = rv.run(var, inv, old, 0)
    assert not rv.meaningful(inv, r.steps[r.broke])
    calls, va = rv.canonical(var, inv, old, 0)
    r = rv.run(var, inv, calls, va)
    st = r.steps[r.broke]
    assert rv.meaningful(inv, st) and rv.witness_inside(var, st, va)


@pytest.mark.parametrize("path", TRACES, ids=_id)
def test_an_entry_is_shown_at_one_level(path, capsys):
    out = _show(path, capsys)
    levels: dict = {}
    for frame, lvl, idx in re.findall(r"(0x[0-9a-f]+) (L[0-9?]) \[\s*(\d+)\]", out):
        levels.setdefault((frame, int(idx)), set()).add(lvl)
    assert all(len(ls) == 1 for ls in levels.values()), {k: ls for k, ls in levels.items() if len(ls) > 1}


def test_numbers_are_one_based_in_show_and_replay(tmp_path, capsys):
    out = _show(COMMITTED / "riscv-pt-upstream" / "footprint.json", capsys)
    assert "call 1: map_pages_to_xen(" in out and "call 2: destroy_xen_mappings(" in out
    assert "at step 4 of 1028 (loop iteration 1 of call 2)" in out
    v = vec.load(COMMITTED / "riscv-pt-upstream" / "footprint.json")
    v["violation"]["step"] = 2  # 0-based in the file: the third step
    v["calls"][0]["rc"] = "-EINVAL"
    f = tmp_path / "v.json"
    f.write_text(vec.dumps(v))
    assert main(["replay", str(f)]) == 1
    out = capsys.readouterr().out
    assert "breaks at step 4, the vector says 3" in out and "call 1 (map) returns 0" in out


def test_a_loop_obligation_shows_the_loop_variables(capsys):
    out = _show(COMMITTED / "riscv-pt-upstream" / "lemma-progress.json", capsys)
    assert "loop variables: vfn 0x0 -> 0x40000, left 0x1 -> 0xfffffffffffc0001, mfn INVALID_MFN" in out


def test_the_c_statement_that_wrote_the_entry_is_quoted(capsys):
    out = _show(COMMITTED / "riscv-pt-upstream" / "footprint.json", capsys)
    assert "written by pt_update_entry (remove):" in out
    assert "C       pte.pte = 0; write_pte(ptep, pte);" in out
    out = _show(COMMITTED / "riscv-pt-v9" / "functional.json", capsys)
    assert "written by create_table:" in out and "write_pte(entry, pte_from_mfn(mfn, PTE_TABLE));" in out
    out = _show(COMMITTED / "riscv-pt-v5" / "wx.json", capsys)
    assert "written by pt_update_entry (modify):" in out and "pte = *entry;" in out  # v5's own statement


def test_the_statement_is_read_from_the_model_citation(monkeypatch):
    from proofs.systems.riscv_pt import explain, versions

    class Cited(RiscvPtV5):
        @follows("a test", "pt_update_entry (modify)", stmt="pte = our_own_statement;")
        def modified_base(self, entry):
            return entry

    monkeypatch.setitem(versions.VERSIONS, "riscv-pt-v5", Cited)
    f = explain.finding(vec.load(COMMITTED / "riscv-pt-v5" / "wx.json"))
    [change] = f.changes
    assert change.stmt.text.startswith("pte = our_own_statement;") and change.stmt.branch == "modify"
