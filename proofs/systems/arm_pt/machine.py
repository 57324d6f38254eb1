"""The arm-pt machine as the engine sees it: Arm's xen_pt_update (mmu/pt.c)
with block mappings and the contiguous hint, over the 4-level LPAE geometry.

One atomic step is a call's prologue or one xen_pt_update_entry; the step
query's pre-state is arbitrary (any call in progress: obligations are over
any call)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Optional

from model.arm.lpae import format_desc
from model.arm.pt import CONTIG_BITS, ArmPtUpstream, ArmState, arm_geometry
from model.riscv.machine import ERRNO_NAMES, LEVEL_BITS, PC_LOOP, Call, rc_value
from model.term import Bool, Word, sym_bool, sym_word
from proofs.engine.callers import ANY as ANY_CALLERS, PRESETS
from proofs.engine.machine import ANY
from proofs.engine.settings import Settings
from proofs.systems.arm_pt import theorem
from proofs.systems.arm_pt.contract import call_ok
from proofs.systems.arm_pt.versions import model_class
from proofs.systems import contracts
from proofs.systems.shared import PageTableMachine, arbitrary_state
from proofs.systems.cstatement import write_statement
from proofs.systems.xen_names import arg_name, arm_flags, mfn_name

#: entry points by the op ids riscv-pt uses (model/riscv/machine.py OP_*)
ARM_OPS = {0: "map_pages_to_xen", 1: "destroy_xen_mappings", 2: "populate_pt_range", 3: "modify_xen_mappings"}
ARG_NAMES = {0: ("virt", "mfn", "nr", "flags"), 1: ("s", "e"), 2: ("virt", "nr"), 3: ("s", "e", "nf")}
ARM_FLAGS = arm_flags()
ARM_VA_BITS = 64  # TTBR0_EL2 with 48-bit VAs: no sign extension, an address shows as it is
CALLERS = {PRESETS: "PAGE_HYPERVISOR_* presets (| _PAGE_BLOCK), a W+X request",
           ANY_CALLERS: "any: every value the entry points' C signatures admit (32-bit flags)"}
#: the C function behind each writer the model records
WRITERS = {"pt_update_entry": "xen_pt_update_entry", "create_table": "create_xen_table"}


@dataclass
class ArmMachine(PageTableMachine):
    v: ArmPtUpstream
    depth: int
    unit: str = "steps"

    def __post_init__(self) -> None:
        self.operations = {ANY: "any call"}

    def initial(self, params=None) -> ArmState:
        return self.v.initial_state()

    def arbitrary(self, op: str) -> ArmState:
        base = arbitrary_state(self.v.geo, sym_word("op", 3))
        kw = {f.name: getattr(base, f.name) for f in fields(base)}
        return ArmState(**kw, group_left=sym_word("group_left", CONTIG_BITS),
                        group_level=sym_word("group_level", LEVEL_BITS), group_contig=sym_bool("group_contig"))

    def fresh_call(self, tag: str, op: Optional[str]) -> Call:
        return Call(sym_word(f"op_{tag}", 3), tuple(sym_word(f"a_{tag}{j}", 64) for j in range(4)))

    def witness(self, tag: str) -> Word:
        return theorem.arm_va(f"va{tag}")

    def contract(self, s, call: Call) -> Bool:
        return self.pre_ok(s) & call_ok(call, self.v)

    def step(self, s, call):
        return self.v.step(s, call)

    def view(self, st, va: Word) -> theorem.ArmView:
        return theorem.ArmView(self.v, st, va)

    def lemma(self, name: str, s, addresses: list[Word]) -> Bool:
        return theorem.lemma(name, s, self.v, addresses)

    def addresses(self, pre, call, va: Word) -> list[Word]:
        return [va, pre.vfn << 12]

    def describe_call(self, call: Call) -> dict:
        op = int(call.op)
        return {"call": ARM_OPS.get(op, str(op)),
                "args": {n: arg_name(n, int(a), ARM_FLAGS, ARM_VA_BITS) for n, a in zip(ARG_NAMES.get(op, ()), call.a)}}

    def describe_step(self, st, va: int) -> dict:
        writes = []
        for w in st.writes:
            if bool(w.guard):
                c = write_statement(self.v, st, w, WRITERS)
                writes.append({"table": hex(int(w.frame)), "index": int(w.idx), "level": int(w.level),
                               "by": c.where(), "c": c.text,
                               "old": format_desc(int(w.old), min(int(w.level), 3)),
                               "new": format_desc(int(w.new), min(int(w.level), 3))})
        v = self.view(st, Word(va, 64))
        tr = lambda t: {"ok": bool(t.ok), "frame": hex(int(t.ppn)), "level": int(t.level)}  # noqa: E731
        rc = rc_value(st.post.rc)
        out = {"writes": writes, "rc_after": ERRNO_NAMES.get(rc, str(rc)), "pc_after": int(st.post.pc),
               "translation_before": tr(v.before), "translation_after": tr(v.after)}
        pre = st.pre
        if int(pre.pc) == PC_LOOP:  # the call in progress, not the one offered
            loop = {k: hex(int(getattr(pre, k))) for k in ("op", "start", "nr", "vfn", "group_left", "group_level")}
            loop.update(mfn=mfn_name(int(pre.mfn)), flags=ARM_FLAGS.name(int(pre.flags)))
            loop["group_contig"] = bool(pre.group_contig)
            return {"loop": loop, **out}
        return out

    def bounds(self) -> dict:
        return {"mode": "lpae-4k (arm64, 4 levels)", "levels": 4, "pool": self.v.geo.pool,
                "depth": self.depth, "entry_bits": 64, "index_bits": 9,
                "step": "a call's prologue or one xen_pt_update_entry",
                "callers": CALLERS[contracts.callers_of(self.v)]}

    @property
    def traces_from(self) -> tuple:
        """Under the any contract, the same version's committed traces (presets is a restriction of any)."""
        return contracts.traces_from(self.v)


def arm_depth(settings: Settings) -> int:
    """The BMC bound: one step less than --depth (an Arm step walks 4 levels; the default
    6 gives 5, enough for the two-call contiguous-group trace)."""
    return max(1, settings.depth - 1)


def machine(name: str, settings: Settings) -> ArmMachine:
    """A version's machine over the 4-level LPAE geometry with the settings' pool."""
    cls = model_class(name)
    if cls is None:
        raise KeyError(name)
    return ArmMachine(cls(arm_geometry(settings.pool)), arm_depth(settings))
