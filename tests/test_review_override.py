"""A reviewer's loop (README "Modelling a new patch version"): a one-line C
change is a one-method override, one registry line and one command that
shows only the verdicts that differ from the base version."""
from __future__ import annotations

import json

import pytest

import proofs.cmd_prove as cmd_prove
import proofs.systems.riscv_pt.versions as riscv_versions
from model.cite import citations, follows
from model.riscv.machine import Geometry
from model.riscv.pt_upstream import RiscvPtUpstream
from model.riscv.pt_v5 import RiscvPtV5
from model.riscv.pt_v9 import RiscvPtV9
from model.riscv.pte import PAGE_HYPERVISOR_RW, SV39
from model.term import TRUE
from proofs.cli import main
from proofs.systems.riscv_pt import vectors as rv
from proofs.systems.riscv_pt.theorem import OBLIGATIONS
from proofs.systems.riscv_pt.trace import ConcreteCall

TOY = "riscv-pt-toy"
PATCH = "a toy patch on xen-project/xen@c447b7308b xen/arch/riscv/pt.c"


class RiscvPtToy(RiscvPtUpstream):
    """pt_check_entry's insert check no longer refuses a valid entry."""

    name = TOY
    source = PATCH

    @follows(PATCH, "pt_check_entry (insert)", note="`if ( pte_is_valid(entry) )` dropped")
    def pt_check_insert(self, x, g, entry, mfn, flags):
        return TRUE


def test_each_branch_of_pt_check_entry_is_its_own_cited_method():
    cited = {name: c for name, c, _ in citations(RiscvPtUpstream)}
    for branch in ("modify", "insert", "remove", "populate"):
        c = cited[f"pt_check_{branch}"]
        assert c.function.startswith(f"pt_check_entry ({branch}") and c.stmt
    # the older versions stay small: only what their patch changed
    # (v9's exit unmaps `table`, upstream's `ptep`: the pmap finding)
    assert {n for n, _, owner in citations(RiscvPtV9) if owner == "RiscvPtV9"} == {"iteration_target",
                                                                                 "pt_update_entry_out"}
    assert len([n for n, _, owner in citations(RiscvPtV5) if owner == "RiscvPtV5"]) <= 7


def test_the_override_alone_lets_an_insert_replace_a_valid_entry():
    calls = [ConcreteCall(0, (0, 0, 1, PAGE_HYPERVISOR_RW)), ConcreteCall(0, (0, 1, 1, PAGE_HYPERVISOR_RW))]
    for cls, rc, broken in ((RiscvPtUpstream, "-EINVAL", False), (RiscvPtToy, "0", True)):
        v = cls(Geometry(SV39))
        r = rv.run(v, OBLIGATIONS["no-overwrite"], calls, 0, stop_at_break=False)
        assert (r.broke is not None) == broken
        assert rv._calls_out(calls, r)[1]["rc"] == rc


@pytest.mark.slow  # a whole `prove` of two versions: about 20-40 s
def test_a_one_method_override_shows_only_the_verdict_that_differs(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(riscv_versions.VERSIONS, TOY, RiscvPtToy)
    monkeypatch.setattr(cmd_prove, "ALL_VARIANTS", [*cmd_prove.ALL_VARIANTS, TOY])
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"version": 1, "variants": {"riscv-pt-upstream": {
        "no-overwrite": {"verdict": "proved", "reason": "pt_check_entry refuses a valid entry"},
        "tlb": {"verdict": "proved", "reason": "the epilogue flushes"}}}}))
    argv = ["prove", "--variant", TOY, "--against", "riscv-pt-upstream", "--invariant", "no-overwrite,tlb",
            "--depth", "4", "--jobs", "1", "--expectations", str(exp)]
    assert main(argv) == 1  # a verdict differs from the base's
    out = capsys.readouterr().out
    assert f"{TOY} against riscv-pt-upstream: 1 of 2 verdicts differ" in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows[1:]] == ["no-overwrite"]  # tlb is the same: not shown
    assert [c.strip() for c in rows[1].split("|")[2:4]] == ["proved", "VIOLATED"]
    findings = [line for line in out.splitlines() if " VIOLATED in " in line]
    assert len(findings) == 1 and f"  {TOY} no-overwrite VIOLATED in 1 of 4: trace: " in findings[0]
