"""The riscv-fixmap machine as the engine sees it: the riscv-pt upstream machine
restricted to the fixmap's entry points (setup_fixmap_mappings, then set_fixmap /
clear_fixmap on slots 0..FIX_LAST; under the `any` contract on any 32-bit slot, MFN
and flags word: `call_ok`), from the boot state, in Sv39."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from model.riscv.fixmap import FIXMAP_OPS, OP_CLEAR_FIXMAP, OP_SET_FIXMAP, OP_SETUP_FIXMAP
from model.riscv.machine import Call, Geometry, rc_value
from model.riscv.pte import PAGE_SHIFT, SV39, format_pte
from model.term import Bool, Word, any_of, bv, sym_word
from proofs.engine.callers import ANY as ANY_CALLERS, PRESETS
from proofs.engine.machine import ANY
from proofs.engine.settings import Settings
from proofs.systems.riscv_fixmap import theorem
from proofs.systems.riscv_fixmap.theorem import Fixmap
from proofs.systems import contracts
from proofs.systems.riscv_fixmap.versions import model_class
from proofs.systems.shared import PPN_LIMIT, WX_REQUEST, PageTableMachine, arbitrary_state
from proofs.systems.walk import View, canonical_va
from proofs.systems.cstatement import write_statement
from proofs.systems.xen_names import RISCV_FLAGS, arg_name

FIX_OPS = (OP_SETUP_FIXMAP, OP_SET_FIXMAP, OP_CLEAR_FIXMAP)
MAP_BITS = 32  # set_fixmap's / clear_fixmap's `unsigned int map`
CALLERS = {PRESETS: "setup_fixmap_mappings; set_fixmap(slot <= FIX_LAST, PAGE_HYPERVISOR_* or a W+X "
                    "request); clear_fixmap(slot <= FIX_LAST), after setup",
           ANY_CALLERS: "setup_fixmap_mappings; set_fixmap(any 32-bit map, any MFN, any pte_attr_t flags); "
                        "clear_fixmap(any 32-bit map), after setup"}


@dataclass
class FixmapMachine(PageTableMachine, Fixmap):
    depth: int = 0
    unit: str = "steps"

    def __post_init__(self) -> None:
        self.operations = {ANY: "any call"}

    def initial(self, params=None):
        return self.v.boot_state()

    def arbitrary(self, op: str):
        return arbitrary_state(self.v.geo, sym_word("op", 3))

    def fresh_call(self, tag: str, op: Optional[str]) -> Call:
        return Call(sym_word(f"fop_{tag}", 3), tuple(sym_word(f"fa_{tag}{j}", 64) for j in range(4)))

    def call_ok(self, s, call: Call) -> Bool:
        """The version's caller contract, by entry point; set/clear only once
        setup_fixmap_mappings has installed xen_fixmap[] (the boot order, under both).
        presets: a slot <= FIX_LAST, a frame a PTE can name, a PAGE_HYPERVISOR_* preset or
        a W+X request; any: what `set_fixmap(unsigned int map, mfn_t mfn, pte_attr_t flags)`
        and `clear_fixmap(unsigned int map)` admit (any 32-bit map, any MFN, any flags word
        of the version's `FLAGS_BITS`)."""
        a0, a1, a2, a3 = call.a
        if contracts.is_any(self.v):
            slot = contracts.fits(a0, MAP_BITS)
            set_args = (slot & contracts.flags_fit(a2, self.v)) & (a3 == 0)
        else:
            slot = a0 <= self.v.layout().fix_last
            presets = list(self.v.FLAG_PRESETS) + [WX_REQUEST]
            set_args = slot & (a1 < PPN_LIMIT) & any_of(a2 == p for p in presets) & (a3 == 0)
        by_op = {
            OP_SETUP_FIXMAP: (a0 == 0) & (a1 == 0) & (a2 == 0) & (a3 == 0),
            OP_SET_FIXMAP: self.installed(s) & set_args,
            OP_CLEAR_FIXMAP: self.installed(s) & slot & (a1 == 0) & (a2 == 0) & (a3 == 0),
        }
        return any_of((call.op == op) & c for op, c in by_op.items())

    def contract(self, s, call: Call) -> Bool:
        return self.pre_ok(s) & self.call_ok(s, call)

    def witness(self, tag: str) -> Word:
        return canonical_va(f"fix_va{tag}", SV39.va_bits)  # own names: riscv-pt may run in Sv48

    def step(self, s, call):
        return self.v.step(s, call)

    def view(self, st, va: Word) -> View:
        return View(self.v, st, va)

    def addresses(self, pre, call, va: Word) -> list[Word]:
        return [va, self.v.fixmap_addr(call.a[0]), pre.vfn << PAGE_SHIFT]

    def lemma(self, name: str, s, addresses: list[Word]) -> Bool:
        if name != "fixmap":
            raise KeyError(name)
        return theorem.fixmap_shape(self, s, addresses)

    def describe_call(self, call: Call) -> dict:
        op = int(call.op)
        names = {OP_SETUP_FIXMAP: (), OP_SET_FIXMAP: ("map", "mfn", "flags"), OP_CLEAR_FIXMAP: ("map",)}
        return {"call": FIXMAP_OPS.get(op, str(op)),
                "args": {n: arg_name(n, int(a), RISCV_FLAGS, SV39.va_bits) for n, a in zip(names.get(op, ()), call.a)}}

    def describe_step(self, st, va: int) -> dict:
        writes = []
        for w in st.writes:
            if bool(w.guard):
                c = write_statement(self.v, st, w)
                writes.append({"table": hex(int(w.frame)), "index": int(w.idx), "by": c.where(), "c": c.text,
                               "old": format_pte(int(w.old), SV39, int(w.level)),
                               "new": format_pte(int(w.new), SV39, int(w.level))})
        v = self.view(st, bv(va, 64))
        tr = lambda t: {"ok": bool(t.ok), "ppn": hex(int(t.ppn)), "level": int(t.level)}  # noqa: E731
        return {"writes": writes, "rc_after": rc_value(st.post.rc), "pc_after": int(st.post.pc),
                "translation_before": tr(v.before), "translation_after": tr(v.after)}

    def bounds(self) -> dict:
        lay = self.v.layout()
        return {"mode": "sv39", "levels": 3, "pool": self.v.geo.pool, "depth": self.depth,
                "entry_bits": 64, "index_bits": 9, "fixmap_slots": lay.fix_last + 1,
                "callers": CALLERS[contracts.callers_of(self.v)],
                "boot_state": "root slot -> boot L1 -> the Xen image's L0 tables (their leaves not modelled)"}


    @property
    def traces_from(self) -> tuple:
        """Under the any contract, the same version's committed traces (presets is a restriction of any)."""
        return contracts.traces_from(self.v)


def machine(name: str, settings: Settings) -> FixmapMachine:
    """A version's fixmap machine (Sv39, the settings' pool and depth), or `<version>@any`'s."""
    cls = model_class(name)
    if cls is None:
        raise KeyError(name)
    return FixmapMachine(cls(Geometry(SV39, pool=settings.pool)), settings.depth)
