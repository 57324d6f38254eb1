"""riscv-fixmap under both caller contracts (issue 17): `<version>@any` admits every value
set_fixmap(unsigned int map, mfn_t mfn, pte_attr_t flags) and clear_fixmap(unsigned int map)
admit; FIXMAP_ADDR(map) beyond FIX_LAST as the C computes it; which obligations the code
keeps itself and which rely on the callers (a trace), and a contract mutant that lets a
slot beyond FIX_LAST through on presets."""
from __future__ import annotations

import pytest

from model.memory import FRAME_BITS
from model.riscv.fixmap import BOOT_L1_FRAME, OP_CLEAR_FIXMAP, OP_SET_FIXMAP, OP_SETUP_FIXMAP, XEN_FIXMAP_FRAME
from model.riscv.machine import INVALID_MFN, PC_IDLE, PC_LOOP, Call, Geometry
from model.riscv.pte import PAGE_HYPERVISOR_RW, SV39
from model.riscv.walk import vpn
from model.term import bv
from proofs.engine import callers
from proofs.engine.decide import decide
from proofs.engine.settings import Settings
import proofs.systems.riscv_fixmap as fx
from proofs.systems.riscv_fixmap.machine import FixmapMachine
from proofs.systems.riscv_fixmap.versions import model_class

UP = "riscv-fixmap-upstream"
FIXMAP = "proofs.systems.riscv_fixmap"
MASK64 = (1 << 64) - 1


def _call(op: int, *args: int) -> Call:
    return Call(bv(op, 3), tuple(bv(a, 64) for a in (*args, 0, 0, 0, 0)[:4]))


def _model(name: str):
    return model_class(name)(Geometry(SV39))


def _run(v, s, op: int, *args: int):
    """Offer one call, then step its loop until the machine is idle or halted (with the writes)."""
    call = _call(op, *args)
    st = v.step(s, call)
    writes = [w for w in st.writes if bool(w.guard)]
    while int(st.post.pc) == PC_LOOP:
        st = v.step(st.post, call)
        writes += [w for w in st.writes if bool(w.guard)]
    return st.post, [(int(w.frame), int(w.idx)) for w in writes]


def _installed(v):
    return _run(v, v.boot_state(), OP_SETUP_FIXMAP)[0]


def test_every_version_has_both_contracts():
    names, lacking = callers.expand(fx, [UP, "riscv-fixmap-v5"], (callers.PRESETS, callers.ANY))
    assert names == [f"{UP}@any", UP, "riscv-fixmap-v5@any", "riscv-fixmap-v5"] and lacking == {}
    cls = model_class(f"{UP}@any")
    assert cls.callers == callers.ANY and cls.under_callers_of == UP and issubclass(cls, model_class(UP))


@pytest.mark.parametrize("name", [UP, "riscv-fixmap-v5"])
def test_any_admits_what_the_c_signatures_admit(name):
    presets, any_ = FixmapMachine(_model(name)), FixmapMachine(_model(f"{name}@any"))
    s = _installed(presets.v)
    fix_last = presets.v.layout().fix_last
    beyond = [_call(OP_SET_FIXMAP, fix_last + 1, 0x80000, PAGE_HYPERVISOR_RW),  # a slot past FIX_LAST
              _call(OP_SET_FIXMAP, 0xffffffff, INVALID_MFN, (1 << 63) | 1),  # any map, MFN, flags word
              _call(OP_CLEAR_FIXMAP, 512)]
    for c in beyond:
        assert not bool(presets.call_ok(s, c)) and bool(any_.call_ok(s, c))
    keep = _call(OP_SET_FIXMAP, fix_last, 0x80000, PAGE_HYPERVISOR_RW)
    assert bool(presets.call_ok(s, keep)) and bool(any_.call_ok(s, keep))
    # `unsigned int map`: a 33-bit map is no value of the parameter; set/clear only after setup
    assert not bool(any_.call_ok(s, _call(OP_CLEAR_FIXMAP, 1 << 32)))
    assert not bool(any_.call_ok(presets.v.boot_state(), keep))


def test_fixmap_addr_is_the_c_arithmetic():
    """FIXMAP_ADDR(n) = FIXMAP_BASE + n * PAGE_SIZE in unsigned long: past 2^64 it wraps."""
    v = _model(f"{UP}@any")
    base = v.layout().fixmap_base
    for n in (0, 9, 512, 0x3e7ff, 0x3e800, 0xffffffff):
        assert int(v.fixmap_addr(bv(n, 64))) == (base + n * 4096) & MASK64
    assert int(v.fixmap_addr(bv(0x3e800, 64))) == 0  # the first map that wraps, to VA 0


def test_set_fixmap_beyond_fix_last_writes_outside_the_slots():
    """What map_pages_to_xen does with FIXMAP_ADDR(map) past FIX_LAST: slot 9 is in
    xen_fixmap[] but no fixmap slot; 512 is the next 2 MB (a new level-0 table from the pool,
    linked from the boot L1 table); 2^27 + 3 wraps to a non-canonical address whose index
    bits are slot 3's, so it writes xen_fixmap[3]."""
    v = _model(f"{UP}@any")
    lay = v.layout()
    s = _installed(v)
    post, writes = _run(v, s, OP_SET_FIXMAP, lay.fix_last + 1, 0x80000, PAGE_HYPERVISOR_RW)
    assert int(post.pc) == PC_IDLE and writes == [(XEN_FIXMAP_FRAME, lay.fix_last + 1)]
    post, writes = _run(v, s, OP_SET_FIXMAP, 512, 0x80000, PAGE_HYPERVISOR_RW)
    l1_idx = int(vpn(bv(lay.fixmap_addr(512), 64), 1))
    assert int(post.pc) == PC_IDLE and (BOOT_L1_FRAME, l1_idx) in writes
    assert int(post.next_free) == 1  # one table page handed out
    alias = (1 << 27) + 3
    assert int(v.fixmap_addr(bv(alias, 64))) >> 39 == 0  # bits 63:39 clear, bit 38 set: not canonical
    post, writes = _run(v, s, OP_SET_FIXMAP, alias, 0x80000, PAGE_HYPERVISOR_RW)
    assert int(post.pc) == PC_IDLE and writes == [(XEN_FIXMAP_FRAME, 3)]
    assert int(post.mem.read(bv(XEN_FIXMAP_FRAME, FRAME_BITS), bv(3, 9))) != 0


@pytest.fixture(scope="module")
def upstream_any():
    """riscv-fixmap-upstream decided under both contracts (about 10 s on one core)."""
    s = Settings(jobs=1, depth=6, callers=(callers.PRESETS, callers.ANY))
    rs = decide(FIXMAP, [UP], ["structure", "wx", "lemma-fixmap"], s)
    return {(r.variant, r.invariant): r for r in rs}


def test_structure_relies_on_the_callers_with_a_trace(upstream_any):
    p, a = upstream_any[(UP, "structure")], upstream_any[(f"{UP}@any", "structure")]
    assert p.verdict == "proved" and a.verdict == "violated"
    calls = a.counterexample["calls"]
    assert calls[0]["call"] == "setup_fixmap_mappings" and calls[-1]["call"] == "set_fixmap"
    row, = [r for r in callers.standing([p, a])]
    assert row["guaranteed_by"] == callers.CALLERS and "set_fixmap(" in row["trace"]


def test_wx_is_kept_by_the_code(upstream_any):
    a = upstream_any[(f"{UP}@any", "wx")]
    assert a.verdict == "proved" and a.vacuity
    assert upstream_any[(UP, "wx")].extra.get(callers.PROVED_UNDER) == f"{UP}@any"
    assert upstream_any[(f"{UP}@any", "lemma-fixmap")].verdict == "proved"


def test_a_presets_contract_that_lets_a_slot_past_fix_last_through_breaks_structure(monkeypatch):
    """Breaking case of the presets contract: a slot <= FIX_LAST + 1 lets set_fixmap write
    xen_fixmap[FIX_LAST + 1] (its keeping case is the presets proof above)."""
    ok = FixmapMachine.call_ok

    def one_more(self, s, call):
        a0 = call.a[0]
        past = (a0 == self.v.layout().fix_last + 1)
        shifted = Call(call.op, (a0 - 1, *call.a[1:]))
        return ok(self, s, call) | (past & ok(self, s, shifted))

    monkeypatch.setattr(FixmapMachine, "call_ok", one_more)
    (r,) = decide(FIXMAP, [UP], ["structure"], Settings(jobs=1, depth=6))
    assert r.verdict == "violated", (r.verdict, r.detail)
    last = r.counterexample["calls"][-1]
    # set_fixmap or clear_fixmap of that slot (a clear writes 0 over xen_fixmap[FIX_LAST + 1])
    assert last["call"] in ("set_fixmap", "clear_fixmap")
    assert int(last["args"]["map"], 16) == _model(UP).layout().fix_last + 1
