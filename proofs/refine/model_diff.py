"""Two model versions compared function by function (what a patch changed, per the models).

Each unit runs once per version on the same inputs and pre-state; its outputs (return
values, the ASSERT outcome, memory, allocator, stale flag, the step's loop variables)
are claims like the refinement's, decided and replayed by `proofs.refine.check`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from model.memory import FRAME_BITS, Memory
from model.riscv.machine import LEVEL_BITS, OP_IDS, PC_IDLE, PC_LOOP, Call, Exec, Geometry
from model.riscv.pte import PAGETABLE_ORDER
from model.term import TRUE, bv
from proofs.refine.obligations import BASE_INPUTS, Built, Claim, Obligation, cell, pre_state, word_eq

INVARIANT = "same-as"


@dataclass
class ModelPair:
    """`version` (the new one) against `against` (the reference)."""

    version: str
    against: str
    model: object
    reference: object
    geo: Geometry

    def bounds(self) -> dict:
        return {"against": self.against, **self.geo.bounds()}


def _pte_unit(name: str) -> Callable:
    def unit(m, x: Exec, i: dict) -> dict:
        if name != "pte_is_valid":
            x.assert_(TRUE, m.pte_assert(i["pte"]), "pte ASSERT")
        return {"result": getattr(m, name)(i["pte"])}
    return unit


def _next_level(m, x: Exec, i: dict) -> dict:
    ret, nxt = m.pt_next_level(x, TRUE, i["alloc_tbl"], i["table"], i["offset"], 1)
    return {"code": ret, "next table": nxt}


def _update_entry(m, x: Exec, i: dict) -> dict:
    rc, level = m.pt_update_entry(x, TRUE, i["virt"], i["mfn"], i["target"], i["flags"])
    return {"rc": rc, "level": level}


#: unit -> (inputs, outputs of one model on an Exec)
UNITS: dict[str, tuple[dict, Callable]] = {
    "pte_is_valid": ({"pte": 64}, _pte_unit("pte_is_valid")),
    "pte_is_table": ({"pte": 64}, _pte_unit("pte_is_table")),
    "pte_is_mapping": ({"pte": 64}, _pte_unit("pte_is_mapping")),
    "pt_check_entry": ({"entry": 64, "mfn": 64, "flags": 64},
                       lambda m, x, i: {"result": m.pt_check_entry(x, TRUE, i["entry"], i["mfn"], i["flags"])}),
    "pt_mapping_level": ({"vfn": 64, "mfn": 64, "nr": 64, "flags": 64},
                         lambda m, x, i: {"level": m.pt_mapping_level(i["vfn"], i["mfn"], i["nr"], i["flags"])}),
    "pt_next_level": ({"alloc_tbl": 0, "table": FRAME_BITS, "offset": PAGETABLE_ORDER}, _next_level),
    "create_table": ({"table": FRAME_BITS, "idx": PAGETABLE_ORDER},
                     lambda m, x, i: {"result": m.create_table(x, TRUE, i["table"], i["idx"], 1)}),
    "pt_update_entry": ({"virt": 64, "mfn": 64, "target": LEVEL_BITS, "flags": 64}, _update_entry),
}
STEP_VARS = ("pc", "rc", "vfn", "mfn", "left", "flags")


def unit_obligation(name: str) -> Obligation:
    spec, unit = UNITS[name]

    def build(pair: ModelPair, inp: dict, mem: Memory) -> Built:
        s = pre_state(pair, inp, mem)
        xa, xb = Exec(pair.geo, s), Exec(pair.geo, s)
        a, b = unit(pair.model, xa, inp), unit(pair.reference, xb, inp)
        ran = ~xa.halted & ~xb.halted
        claims = [Claim(k, ran.implies(word_eq(a[k], b[k]))) for k in a]
        claims += exec_claims(xa, xb, cell(inp))
        assume = [(inp["target"] < pair.geo.levels, "target < CONFIG_PAGING_LEVELS (v5/v9 never ask for the leaf)")] \
            if name == "pt_update_entry" else []
        return Built(assume, claims, {**{k: (a[k], b[k]) for k in a}, "ASSERT stops": (xa.halted, xb.halted)})
    return Obligation(name, f"{name} of both models: same outputs", {**BASE_INPUTS, **spec}, build,
                      invariant=INVARIANT, where="proofs/refine/model_diff.py")


def exec_claims(xa: Exec, xb: Exec, at: tuple) -> list:
    return [Claim("assert", xa.halted.iff(xb.halted)), *state_claims(xa.state, xb.state, at)]


def state_claims(a, b, at: tuple) -> list:
    """Two states' memory (at the cell `at`), allocator and stale flag."""
    return [Claim("memory", a.mem.read(*at) == b.mem.read(*at)),
            Claim("allocator", a.next_free == b.next_free),
            Claim("tlb-stale", a.tlb_stale.iff(b.tlb_stale))]


def step_obligation(op: str) -> Obligation:
    """One step of both machines: a loop iteration (op "loop") or a call's prologue."""
    loop = op == "loop"
    spec = {"start": 64, "nr": 64, "vfn": 64, "mfn": 64, "flags": 64} if loop else \
        {"a0": 64, "a1": 64, "a2": 64, "a3": 64}

    def build(pair: ModelPair, inp: dict, mem: Memory) -> Built:
        if loop:
            s = pre_state(pair, inp, mem, pc=bv(PC_LOOP, 2), start=inp["start"], nr=inp["nr"],
                          vfn=inp["vfn"], mfn=inp["mfn"], flags=inp["flags"])
            call = Call(bv(0, 3), tuple(bv(0, 64) for _ in range(4)))
        else:
            s = pre_state(pair, inp, mem, pc=bv(PC_IDLE, 2))
            call = Call(bv(OP_IDS[op], 3), (inp["a0"], inp["a1"], inp["a2"], inp["a3"]))
        a, b = pair.model.step(s, call).post, pair.reference.step(s, call).post
        claims = [Claim(v, word_eq(getattr(a, v), getattr(b, v))) for v in STEP_VARS]
        claims += state_claims(a, b, cell(inp))
        return Built([], claims, {v: (getattr(a, v), getattr(b, v)) for v in STEP_VARS})
    what = "pt_update loop iteration" if loop else f"{op} prologue"
    return Obligation(what, f"{what} of both machines: same post-state", {**BASE_INPUTS, **spec}, build,
                      invariant=INVARIANT, where="proofs/refine/model_diff.py")


def model_obligations() -> list[Obligation]:
    return [*(unit_obligation(n) for n in UNITS), step_obligation("loop"),
            *(step_obligation(op) for op in OP_IDS)]
