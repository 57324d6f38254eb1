"""The arm-pt system: Arm's xen_pt_update (mmu/pt.c) with block mappings and the contiguous hint.

Versions are `model/arm/pt.py`'s; what must hold is `proofs/arm_invariants.py`;
each (version, obligation) is decided by `proofs/checker.py` (one-step
induction with lemmas, then BMC from the empty tree for a replayed trace).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable, Optional

from model.arm.lpae import format_desc
from model.arm.pt import ARM_PT_VARIANTS, CONTIG_BITS, ArmPtUpstream, ArmState, arm_geometry
from model.riscv.machine import ERRNO_NAMES, LEVEL_BITS, PC_HALTED, PC_IDLE, PC_LOOP, Call, rc_value
from model.term import Bool, Word, evaluate, sym_bool, sym_word
from proofs import arm_invariants as inv
from proofs.checker import Obligation, decide
from proofs.induction import arbitrary_state
from proofs.result import Result

SYSTEM = "arm-pt"
VARIANT_CLASSES: dict[str, type] = dict(ARM_PT_VARIANTS)

#: entry points by the op ids riscv-pt uses (model/riscv/machine.py OP_*)
ARM_OPS = {0: "map_pages_to_xen", 1: "destroy_xen_mappings", 2: "populate_pt_range", 3: "modify_xen_mappings"}
ARG_NAMES = {0: ("virt", "mfn", "nr", "flags"), 1: ("s", "e"), 2: ("virt", "nr"), 3: ("s", "e", "nf")}


@dataclass
class ArmMachine:
    v: ArmPtUpstream
    depth: int

    def initial(self) -> ArmState:
        return self.v.initial_state()

    def arbitrary(self) -> ArmState:
        base = arbitrary_state(self.v, 0)
        kw = {f.name: getattr(base, f.name) for f in fields(base)}
        kw["op"] = sym_word("op", 3)
        return ArmState(**kw, group_left=sym_word("group_left", CONTIG_BITS),
                        group_level=sym_word("group_level", LEVEL_BITS), group_contig=sym_bool("group_contig"))

    def fresh_call(self, tag: str) -> Call:
        return Call(sym_word(f"op_{tag}", 3), tuple(sym_word(f"a_{tag}{j}", 64) for j in range(4)))

    def call_ok(self, s, call: Call) -> Bool:
        return inv.call_ok(call, self.v)

    def pre_ok(self, s) -> Bool:
        return (s.pc == PC_IDLE) | (s.pc == PC_LOOP)

    def witness(self, tag: str) -> Word:
        return inv.arm_va(tag)

    def step(self, s, call):
        return self.v.step(s, call)

    def halted(self, st) -> Bool:
        return st.post.pc == PC_HALTED

    def view(self, st, va: Word) -> inv.ArmView:
        return inv.ArmView(self.v, st, va)

    def lemma(self, name: str, s, addresses: list[Word]) -> Bool:
        return inv.assume(name, s, self.v, addresses)

    def addresses(self, pre, call, va: Word) -> list[Word]:
        return [va, pre.vfn << 12]

    def concrete_call(self, call: Call, model) -> Call:
        return Call(evaluate(call.op, model), tuple(evaluate(a, model) for a in call.a))

    def describe_call(self, call: Call) -> dict:
        op = int(call.op)
        return {"call": ARM_OPS.get(op, str(op)),
                "args": {n: hex(int(a)) for n, a in zip(ARG_NAMES.get(op, ()), call.a)}}

    def describe_step(self, st, va: int) -> dict:
        writes = [{"table": hex(int(w.frame)), "index": int(w.idx), "level": int(w.level), "by": w.why,
                   "old": format_desc(int(w.old), min(int(w.level), 3)),
                   "new": format_desc(int(w.new), min(int(w.level), 3))}
                  for w in st.writes if bool(w.guard)]
        v = self.view(st, Word(va, 64))
        tr = lambda t: {"ok": bool(t.ok), "frame": hex(int(t.ppn)), "level": int(t.level)}  # noqa: E731
        rc = rc_value(st.post.rc)
        pre = st.pre
        if int(pre.pc) == PC_LOOP:  # the call in progress, not the one offered
            loop = {k: hex(int(getattr(pre, k))) for k in ("op", "start", "nr", "vfn", "mfn", "flags",
                                                           "group_left", "group_level")}
            loop["group_contig"] = bool(pre.group_contig)
            return {"loop": loop, **self._step(st, writes, rc, v, tr)}
        return self._step(st, writes, rc, v, tr)

    def _step(self, st, writes, rc, v, tr) -> dict:
        return {"writes": writes, "rc_after": ERRNO_NAMES.get(rc, str(rc)), "pc_after": int(st.post.pc),
                "translation_before": tr(v.before), "translation_after": tr(v.after)}

    def bounds(self) -> dict:
        return {"mode": "lpae-4k (arm64, 4 levels)", "levels": 4, "pool": self.v.geo.pool,
                "depth": self.depth, "entry_bits": 64, "index_bits": 9,
                "step": "a call's prologue or one xen_pt_update_entry",
                "callers": "PAGE_HYPERVISOR_* presets (| _PAGE_BLOCK), a W+X request"}


_TREE = ("tree", "frame", "pool")
OBLIGATIONS: dict[str, Obligation] = {o.id: o for o in (
    Obligation("wx", "never W+X: no valid leaf is writable and executable at EL2", inv.wx,
               ("wx",) + _TREE, lemma="wx"),
    Obligation("no-overwrite", "an insert never replaces a valid entry; a leaf's output address "
               "never changes without the entry becoming invalid first", inv.no_overwrite, ("frame",)),
    Obligation("well-formed", "tables handed out by the allocator, each linked once at its level, "
               "never walked through a block or page", inv.well_formed, _TREE, lemma="tree"),
    Obligation("footprint", "a call on [virt, virt+nr pages) changes no translation outside it",
               inv.footprint, _TREE + ("progress",)),
    Obligation("functional", "a successful xen_pt_update_entry does what its call asked on its "
               "entry, and leaves the part already done alone", inv.functional, _TREE + ("progress",)),
    Obligation("tlb", "TLB coherent at return: no valid entry changed since the last flush", inv.tlb,
               ("idle",)),
    Obligation("contig", "at return, a contiguous group is 16 valid entries with the bit, consecutive "
               "output addresses and equal attributes, or has no bit set", inv.contig, _TREE + ("contig",)),
    Obligation("bbm", "a live entry is only changed in AP[2]/XN: nothing break-before-make requires "
               "is done to a valid entry", inv.bbm, ("frame",)),
    Obligation("attrs", "the memory attributes (AttrIndx) of a live mapping never change", inv.attrs,
               ("frame",)),
    Obligation("atomicity", "a failing call leaves no earlier iteration applied (informative)",
               inv.atomicity, ("frame",), informative=True),
    Obligation("lemma-frame", "while xen_pt_update's loop runs, its arguments are those of a request "
               "that passed the contract and the checks; a contiguous group in progress is aligned",
               lambda v: inv.loop_frame(v.post, v.variant), ("frame",), lemma="frame"),
    Obligation("lemma-progress", "xen_pt_update's loop never goes past the request: vfn - start <= nr",
               lambda v: inv.loop_progress(v.post), ("frame", "progress"), lemma="progress"),
    Obligation("lemma-idle", "between calls no valid entry has changed since the last flush",
               lambda v: inv.idle_clean(v.post), ("idle",), lemma="idle"),
    Obligation("lemma-contig", "after every step, the contiguous group of any leaf is all-or-nothing "
               "(mid-call too)", lambda v: inv.group_ok(v.post, v.after, v), _TREE + ("contig",),
               lemma="contig"),
    Obligation("lemma-pool", "the allocator hands out at most its pool, for levels 1-3",
               lambda v: inv.pool_ok(v.post, v.variant), ("pool",), lemma="pool"),
)}
SYSTEM_OBLIGATIONS = STATE_OBLIGATIONS = OBLIGATIONS


def machine(name: str, settings) -> ArmMachine:
    """A version's machine over the 4-level LPAE geometry with the settings' pool and depth."""
    return ArmMachine(VARIANT_CLASSES[name](arm_geometry(settings.pool)), arm_depth(settings))


def arm_depth(settings) -> int:
    """The BMC bound: one step less than --depth (an Arm step walks 4 levels; the default
    6 gives 5, enough for the two-call contiguous-group trace)."""
    return max(1, settings.depth - 1)


def run_system(variants: list[str], obligations: list[str], settings,
               progress: Optional[Callable[[int, int, str], None]] = None) -> list[Result]:
    """Decide each (version, obligation) (`settings.jobs` processes)."""
    results = decide(__name__, variants, obligations, settings, SYSTEM)
    if progress:
        progress(len(results), len(results), SYSTEM)
    return results
