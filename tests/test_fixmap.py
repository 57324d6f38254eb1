"""The riscv-fixmap system: concrete setup/set/clear, layout facts, and every obligation
proved on the modelled versions and broken by a one-method broken version."""
from __future__ import annotations

from dataclasses import replace

import pytest

from model.memory import FRAME_BITS
from model.riscv.fixmap import (BOOT_L1_FRAME, OP_CLEAR_FIXMAP, OP_SET_FIXMAP, OP_SETUP_FIXMAP,
                                XEN_FIXMAP_FRAME, CommentRow, RiscvFixmapUpstream, RiscvFixmapV5,
                                directmap, frametable, vmap)
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


#: what each version's constants establish (proofs/expectations.json says why); "-": the
#: version defines no frametable, so the obligation has no member
LAYOUT_VERDICTS = {
    RiscvFixmapV5: {"layout-disjoint": "proved", "layout-slots": "violated", "layout-fixmap-l0": "proved",
                    "layout-canonical": "violated", "layout-frametable": "-"},
    RiscvFixmapUpstream: {"layout-disjoint": "proved", "layout-slots": "proved",
                          "layout-fixmap-l0": "proved", "layout-canonical": "violated",
                          "layout-frametable": "proved"},
}


@pytest.mark.parametrize("cls", [RiscvFixmapV5, RiscvFixmapUpstream])
def test_layout_obligations_decided_as_the_constants_say(cls, monkeypatch):
    assert set(LAYOUT_VERDICTS[cls]) == set(LAYOUT_OBLIGATIONS)
    for oid, want in LAYOUT_VERDICTS[cls].items():
        if want == "-":
            assert LAYOUT_OBLIGATIONS[oid].members(cls, SETTINGS) == [], oid
            continue
        r = decide_one(cls, oid, monkeypatch)
        assert r.verdict == want, (oid, r.verdict, r.detail)
        if want == "proved":
            assert r.vacuity, oid
        else:  # the value shown breaks the claim on the constants themselves
            assert not bool(LAYOUT_CLAIMS[oid](cls(Geometry(SV39)), bv(int(r.counterexample["x"], 16), 64)))


def test_the_v5_comment_drops_the_directmap_last_slot(monkeypatch):
    # seed 002's comment row ends at 0x7f40000000 (exclusive) but DIRECTMAP_SLOT_END is 509
    r = decide_one(RiscvFixmapV5, "layout-slots", monkeypatch)
    x = int(r.counterexample["x"], 16)
    assert x >> 30 == 509 and x >= 0x7F40000000


def test_directmap_above_slot_255_is_not_canonical(monkeypatch):
    r = decide_one(RiscvFixmapUpstream, "layout-canonical", monkeypatch)
    x = int(r.counterexample["x"], 16)
    assert 256 <= x >> 30 <= 509 and x >> 38 == 1  # bit 38 set, bits 63:39 clear


class LowDirectmap(RiscvFixmapUpstream):
    def layout(self):  # the directmap kept below bit 38: every slot region canonical
        dm = directmap(200, 255)
        ft = frametable(200, dm)
        return replace(super().layout(), slot_regions=(dm, ft, vmap(ft)))

    def layout_comment(self):
        rows = dict(super().layout_comment())
        rows["directmap"] = CommentRow("directmap", 0x3200000000, 0x3FFFFFFFFF, 200, 255)
        return rows


class NoSpareFrametableSlot(RiscvFixmapUpstream):
    def layout(self):  # FRAMETABLE_SIZE_IN_SLOTS without its "+ 1": 3 GiB for 3.63 GiB of page_info
        lay = super().layout()
        dm, ft, vm = lay.slot_regions
        return replace(lay, slot_regions=(dm, replace(ft, size=ft.size - (1 << 30)), vm))


def test_layout_canonical_and_frametable_keep_a_good_layout(monkeypatch):
    for oid in ("layout-canonical", "layout-frametable", "layout-disjoint"):
        r = decide_one(LowDirectmap, oid, monkeypatch)
        assert r.verdict == "proved" and r.vacuity, oid


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
                                     (ManySlots, "layout-fixmap-l0"),
                                     (NoSpareFrametableSlot, "layout-frametable")])
def test_layout_obligations_can_fail(cls, oid, monkeypatch):
    r = decide_one(cls, oid, monkeypatch)
    assert r.verdict == "violated" and r.vacuity is None
    x = int(r.counterexample["x"], 16)  # the value shown breaks the claim
    assert not bool(LAYOUT_CLAIMS[oid](cls(Geometry(SV39)), bv(x, 64)))


FIXMAP = "proofs.systems.riscv_fixmap"
LAYOUT_CLAIMS = {"layout-disjoint": fixmap.disjoint_claim, "layout-slots": fixmap.slots_claim,
                 "layout-fixmap-l0": lambda v, n: fixmap.fixmap_l0_claim(v, n),
                 "layout-canonical": fixmap.canonical_claim, "layout-frametable": fixmap.frametable_claim}


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


def test_layout_vectors_replay_on_the_constants_and_catch_a_changed_one():
    from proofs import vector as vec
    from proofs.systems.riscv_fixmap import vectors as plugin

    v = vec.load("counterexamples/riscv-fixmap-upstream/layout-canonical.json")
    assert v["kind"] == "layout" and v["layout"]["in"] == ["directmap"]
    assert plugin.replay(v) == [] and "root slot 256" in plugin.render(v)
    canonical = dict(v, layout=dict(v["layout"], x="0x3200000000"))  # slot 200: canonical
    assert any("does not break layout-canonical" in p for p in plugin.replay(canonical))
    other = dict(v, version="riscv-fixmap-v5")  # v5 has no frametable or VMAP
    assert any("not the ones the vector records" in p for p in plugin.replay(other))


# -- return values (issue 17) ---------------------------------------------------------

def _holds_return(v, st, va: int) -> bool:
    from proofs.systems.walk import View

    return bool(STATE_OBLIGATIONS["return"].holds(View(v, st, bv(va, 64))))


def _steps(v, s, op, *args):
    call = Call(bv(op, 3), tuple(bv(a, 64) for a in (list(args) + [0] * 4)[:4]))
    steps = [v.step(s, call)]
    while int(steps[-1].post.pc) == PC_LOOP:
        steps.append(v.step(steps[-1].post, call))
    return steps


class FixmapReturnsZero(RiscvFixmapUpstream):
    """Mutant: pt_update's rc replaced by 0 (a wrong return value): set_fixmap's BUG() is skipped."""

    def pt_update_epilogue(self, x, g, rc):
        super().pt_update_epilogue(x, g, bv(0, 32))


@pytest.mark.parametrize("cls", [RiscvFixmapV5, RiscvFixmapUpstream])
def test_return_kept_by_setup_set_and_clear(cls):
    v = machine(cls)
    lay = v.layout()
    steps = _steps(v, v.boot_state(), OP_SETUP_FIXMAP)
    assert _holds_return(v, steps[-1], 0)
    addr = lay.fixmap_addr(3)
    set_ = _steps(v, steps[-1].post, OP_SET_FIXMAP, 3, 0x80123, PAGE_HYPERVISOR_RW)
    assert int(set_[-1].post.pc) == PC_IDLE and all(_holds_return(v, st, addr) for st in set_)
    clear = _steps(v, set_[-1].post, OP_CLEAR_FIXMAP, 3)
    assert all(_holds_return(v, st, addr) for st in clear)


def test_return_broken_by_a_wrong_return_value():
    """set_fixmap over a mapped slot: pt_check_entry refuses it; upstream BUG()s (not judged),
    the mutant returns 0 with the slot still mapping the old frame."""
    lay = machine().layout()
    addr = lay.fixmap_addr(2)
    for cls, ok in ((FixmapReturnsZero, False), (RiscvFixmapUpstream, True)):
        v = machine(cls)
        s = run(v, run(v, v.boot_state(), OP_SETUP_FIXMAP), OP_SET_FIXMAP, 2, 0x80000, PAGE_HYPERVISOR_RW)
        steps = _steps(v, s, OP_SET_FIXMAP, 2, 0x90000, PAGE_HYPERVISOR_RW)
        halted = int(steps[-1].post.pc) == PC_HALTED
        assert halted == ok, cls.__name__
        if not halted:
            assert not _holds_return(v, steps[-1], addr)


def test_return_broken_by_a_setup_that_installs_nothing():
    class NoInstall(RiscvFixmapUpstream):
        def setup_fixmap_mappings(self, x, g):
            x.set(g, tlb_stale=FALSE, rc=bv(0, 32))

    v = machine(NoInstall)
    assert not _holds_return(v, _steps(v, v.boot_state(), OP_SETUP_FIXMAP)[-1], 0)
