"""The riscv-fixmap system: concrete setup/set/clear, layout facts, and every obligation
proved on the modelled versions and broken by a one-method broken version."""
from __future__ import annotations

from dataclasses import replace

import pytest

from model.memory import FRAME_BITS
from model.riscv.fixmap import (BOOT_L1_FRAME, OP_CLEAR_FIXMAP, OP_SET_FIXMAP, OP_SETUP_FIXMAP,
                                XEN_FIXMAP_FRAME, CommentRow, RiscvFixmapUpstream, RiscvFixmapV5)
from model.riscv.machine import PC_HALTED, PC_IDLE, PC_LOOP, Call, Geometry
from model.riscv.pte import PAGE_HYPERVISOR_RW, PAGE_HYPERVISOR_RX, SV39
from model.riscv.walk import translate
from model.term import FALSE, bv
from proofs.engine.decide import decide
from proofs.engine import Settings
from proofs.systems.riscv_fixmap import theorem as fixmap
import proofs.systems.riscv_fixmap.versions as fix_versions
from proofs.systems.riscv_fixmap.theorem import LAYOUT_OBLIGATIONS, STATE_OBLIGATIONS
from proofs.report import trace_summary

SETTINGS = Settings(jobs=1, depth=6)


def machine(cls=RiscvFixmapUpstream):
    return cls(Geometry(SV39))


def run(v, s, op, *args):
    """Offer one call, then step its loop until the machine is idle or halted."""
    call = Call(bv(op, 3), tuple(bv(a, 64) for a in (list(args) + [0] * 4)[:4]))
    st = v.step(s, call)
    while int(st.post.pc) == PC_LOOP:
        st = v.step(st.post, call)
    return st.post


def leaf_at(v, s, va):
    return translate(s.mem, bv(v.geo.root, FRAME_BITS), bv(va, 64), SV39)


@pytest.mark.parametrize("cls", [RiscvFixmapV5, RiscvFixmapUpstream])
def test_setup_then_set_and_clear(cls):
    v = machine(cls)
    lay = v.layout()
    s = run(v, v.boot_state(), OP_SETUP_FIXMAP)
    assert int(s.pc) == PC_IDLE and not bool(s.tlb_stale)
    s = run(v, s, OP_SET_FIXMAP, lay.fix_last, 0x80123, PAGE_HYPERVISOR_RW)
    t = leaf_at(v, s, lay.fixmap_addr(lay.fix_last))
    assert bool(t.ok) and int(t.ppn) == 0x80123 and int(t.level) == 0
    assert [int(x.frame) for x in t.visits] == [v.geo.root, BOOT_L1_FRAME, XEN_FIXMAP_FRAME]
    s = run(v, s, OP_CLEAR_FIXMAP, lay.fix_last)
    assert int(s.pc) == PC_IDLE and not bool(leaf_at(v, s, lay.fixmap_addr(lay.fix_last)).ok)


def test_bug_on_paths_halt():
    v = machine()
    s = run(v, v.boot_state(), OP_SETUP_FIXMAP)
    assert int(run(v, s, OP_SETUP_FIXMAP).pc) == PC_HALTED  # BUG_ON(pte_is_valid(*pte))
    s = run(v, s, OP_SET_FIXMAP, 1, 0x80000, PAGE_HYPERVISOR_RX)
    assert int(run(v, s, OP_SET_FIXMAP, 1, 0x80001, PAGE_HYPERVISOR_RX).pc) == PC_HALTED  # BUG()
    no_root = replace(v.boot_state(), mem=machine().boot_state().mem.write(
        bv(1, 1) == 1, bv(v.geo.root, FRAME_BITS), bv(511, 9), bv(0, 64)))
    assert int(run(v, no_root, OP_SETUP_FIXMAP).pc) == PC_HALTED  # BUG_ON(!pte_is_valid(*pte))


def test_layouts_differ_as_the_versions_do():
    v5, up = machine(RiscvFixmapV5).layout(), machine().layout()
    assert v5.fixmap_base == 0xFFFFFFFFC0A00000 and up.fixmap_base == 0xFFFFFFFFC1800000
    assert v5.fix_last == up.fix_last == 8


@pytest.mark.parametrize("cls", [RiscvFixmapV5, RiscvFixmapUpstream])
def test_layout_obligations_proved(cls, monkeypatch):
    for ob in LAYOUT_OBLIGATIONS.values():
        r = decide_one(cls, ob.id, monkeypatch)
        assert r.verdict == "proved" and r.vacuity, ob.id


class BigFdt(RiscvFixmapUpstream):
    def layout(self):  # an FDT of 8 MB + 2 MB runs into the fixmap's gap
        return replace(super().layout(), boot_fdt_virt_size=6 * (1 << 20), gap_size=0)


class WrongComment(RiscvFixmapUpstream):
    def layout_comment(self):
        rows = dict(super().layout_comment())
        rows["fixmap"] = CommentRow("fixmap", 0xFFFFFFFFC1800000, 0xFFFFFFFFC1800FFF, 511)
        return rows


class ManySlots(RiscvFixmapUpstream):
    def layout(self):
        return replace(super().layout(), num_fix_pmap=600)


@pytest.mark.parametrize("cls,oid", [(BigFdt, "layout-disjoint"), (WrongComment, "layout-slots"),
                                     (ManySlots, "layout-fixmap-l0")])
def test_layout_obligations_can_fail(cls, oid, monkeypatch):
    r = decide_one(cls, oid, monkeypatch)
    assert r.verdict == "violated" and r.vacuity is None
    x = int(r.counterexample["x"], 16)  # the value shown breaks the claim
    assert not bool(LAYOUT_CLAIMS[oid](cls(Geometry(SV39)), bv(x, 64)))


FIXMAP = "proofs.systems.riscv_fixmap"
LAYOUT_CLAIMS = {"layout-disjoint": fixmap.disjoint_claim, "layout-slots": fixmap.slots_claim,
                 "layout-fixmap-l0": lambda v, n: fixmap.fixmap_l0_claim(v, n)}


def decide_one(cls, oid, monkeypatch, settings=SETTINGS):
    """Decide one obligation on a (broken) version, registered for this test only (jobs=1)."""
    monkeypatch.setitem(fix_versions.VERSIONS, cls.__name__, cls)
    (r,) = decide(FIXMAP, [cls.__name__], [oid], settings)
    return r


def test_state_obligations_proved_with_witness():
    rs = decide(FIXMAP, ["riscv-fixmap-upstream"], list(STATE_OBLIGATIONS), SETTINGS)
    assert {r.invariant: r.verdict for r in rs} == {o: "proved" for o in STATE_OBLIGATIONS}
    assert all(r.vacuity for r in rs)


class ClearTwoPages(RiscvFixmapUpstream):
    def clear_fixmap(self, map_):
        addr = self.fixmap_addr(map_)
        return self.destroy_xen_mappings(addr, addr + 2 * 4096)


class SetTwoPages(RiscvFixmapUpstream):
    def set_fixmap(self, map_, mfn, flags):
        return self.map_pages_to_xen(self.fixmap_addr(map_), mfn, bv(2, 64), flags | 1024)


class SetupOverValid(RiscvFixmapUpstream):
    def setup_fixmap_mappings(self, x, g):  # no BUG_ON(pte_is_valid(*pte)) before the write
        entry_idx = (self.layout().fixmap_base >> 21) & 511
        x.write(g, bv(BOOT_L1_FRAME, FRAME_BITS), bv(entry_idx, 9), 1,
                self.table_pte(XEN_FIXMAP_FRAME + 1), "setup_fixmap_mappings")
        x.set(g, tlb_stale=FALSE)


class SetupNoFence(RiscvFixmapUpstream):
    def setup_fixmap_mappings(self, x, g):
        stale = x.state.tlb_stale
        super().setup_fixmap_mappings(x, g)
        x.set(g, tlb_stale=stale | g)  # no RISCV_FENCE / sfence_vma after the write


class NoWxCheck(RiscvFixmapUpstream):
    def pt_update_prologue(self, virt, flags):
        return bv(0, 32)


@pytest.mark.parametrize("cls,oid", [
    (ClearTwoPages, "structure"), (SetTwoPages, "fixmap-leaf"), (SetupOverValid, "no-overwrite"),
    (SetupNoFence, "tlb"), (NoWxCheck, "wx"),
])
def test_each_obligation_broken_by_a_broken_version(cls, oid, monkeypatch):
    r = decide_one(cls, oid, monkeypatch)
    assert r.verdict == "violated", (r.verdict, r.detail)
    assert r.counterexample["calls"][0] == {"call": "setup_fixmap_mappings", "args": {}, "iterations": 0,
                                            "rc": "0"}
    assert trace_summary(r).startswith("trace: setup_fixmap_mappings() -> 0")


def test_cli_proves_a_fixmap_version(capsys):
    from proofs.cli import main

    assert main(["prove", "--variant", "riscv-fixmap-v5", "--invariant", "layout-slots,tlb",
                 "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "riscv-fixmap-v5" in out and "2 obligations" in out


def test_without_its_lemma_a_proof_is_not_inductive_with_a_replayed_counterexample(monkeypatch):
    from proofs.engine.obligation import StepObligation

    bare = StepObligation("fixmap-leaf-bare", "fixmap-leaf assuming nothing", fixmap.fixmap_leaf)
    monkeypatch.setitem(fixmap.OBLIGATIONS, bare.id, bare)
    (r,) = decide(FIXMAP, ["riscv-fixmap-upstream"], [bare.id], Settings(jobs=1, depth=3))
    assert r.verdict == "not-inductive" and r.counterexample["kind"].startswith("not-inductive")
    assert r.counterexample["pre_entries"] and "within 3 steps" in r.detail
