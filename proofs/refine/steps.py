"""The model's atomic steps as lifted C: one iteration of pt_update's loop, and each
entry point's prologue up to the loop.

The loop is cut at its header, found from the IR's back edges (`Function.loop_headers`),
and its header phis are matched to the model's loop variables by what they hold on
entry: the solver shows one equals `virt >> PAGE_SHIFT` (vfn), one `mfn`, one
`nr_mfns` (left).  An iteration restarts the C at the header from the model's loop
state; a prologue runs an entry point until the header (or its return).
"""
from __future__ import annotations

from model.c.ir import UnsupportedIR
from model.c.stubs import NEXT_FREE
from model.memory import Memory
from model.riscv.machine import OP_IDS, PC_HALTED, PC_IDLE, PC_LOOP, Call
from model.riscv.pte import PAGE_SHIFT
from model.term import Bool, Word, bv, sym_word
from proofs.refine.obligations import (
    BASE_INPUTS,
    Built,
    Claim,
    Obligation,
    Setup,
    assumptions_of,
    c_flush_args,
    c_flushed,
    c_stale,
    cell,
    model_flush_args,
    pre_state,
    run_c,
    wide,
    word_eq,
)
from proofs.engine.solver import UNSAT, check

PT_UPDATE = "pt_update"
LOOP_VARS = ("vfn", "mfn", "left")


def loop_header(setup: Setup) -> str:
    headers = setup.fn(PT_UPDATE).loop_headers()
    if len(headers) != 1:
        raise UnsupportedIR(f"{PT_UPDATE}: {len(headers)} loop headers in the IR (one `while ( left )` expected)")
    return headers[0]


def loop_phis(setup: Setup) -> dict[str, str]:
    """loop variable -> the header phi holding it, from the values the phis take on entry."""
    cached = getattr(setup, "_loop_phis", None)
    if cached is not None:
        return cached
    header = loop_header(setup)
    virt, mfn, nr = (sym_word(f"refine.entry.{n}", 64) for n in ("virt", "mfn", "nr"))
    flags = sym_word(f"refine.entry.flags.{setup.param_width(PT_UPDATE, 3)}", setup.param_width(PT_UPDATE, 3))
    s = pre_state(setup, {"next_free": bv(0, 8), "stale": Bool(False)}, Memory.zero())
    c = run_c(setup, PT_UPDATE, [virt, mfn, nr, flags], s, cut=(PT_UPDATE, header))
    on_entry = {"vfn": virt >> PAGE_SHIFT, "mfn": mfn, "left": nr}
    found: dict[str, str] = {}
    for phi, v in c.cut_values.items():
        role = next((r for r, want in on_entry.items() if isinstance(v, Word) and v.width == 64
                     and check((v != want).node()).status == UNSAT), None)
        if role is None:
            raise UnsupportedIR(f"{PT_UPDATE}: loop header phi %{phi} is none of the model's loop variables")
        found[role] = phi
    if set(found) != set(LOOP_VARS):
        raise UnsupportedIR(f"{PT_UPDATE}: loop header phis {sorted(found)} (vfn, mfn, left expected)")
    setup._loop_phis = found
    return found


def loop_claims(c, post, halted: Bool, phis: dict, flags_param: str = "") -> list:
    """What a step ends in: ASSERT, return (rc) or back at the loop header (loop variables)."""
    claims = [Claim("assert", c.stopped.iff(halted)),
              Claim("returns", c.returned.iff(post.pc == PC_IDLE)),
              Claim("loops", c.cut.iff(post.pc == PC_LOOP)),
              Claim("rc", c.returned.implies(word_eq(c.ret, post.rc)) if c.ret is not None else ~c.returned)]
    for var in LOOP_VARS:
        claims.append(Claim(var, c.cut.implies(word_eq(c.cut_values[phis[var]], getattr(post, var)))
                            if phis[var] in c.cut_values else ~c.cut))
    if flags_param:
        v = c.cut_env.get(flags_param)
        claims.append(Claim("flags", c.cut.implies(word_eq(wide(v), post.flags)) if v is not None else ~c.cut))
    return claims


def state_claims(c, step, halted: Bool, at: tuple, flushed: Bool) -> list:
    """Memory, allocator, stale flag, memory safety; and the C fences then flushes the
    TLB exactly when the model's call ends after reaching its loop (`flushed`), with the
    model's flush_tlb_range_va arguments: the model's epilogue is RISCV_FENCE and the flush in one."""
    post = step.post
    fenced, flush = c_flushed(c)
    (c_va, c_size), (m_va, m_size) = c_flush_args(c), model_flush_args(step.flushes or [])
    return [Claim("memory", c.mem.read(*at) == post.mem.read(*at)),
            Claim("fence+flush", (~halted & ~c.stopped).implies(fenced.iff(flushed) & flush.iff(flushed))),
            Claim("flush-args", (~halted & ~c.stopped & flushed).implies((c_va == m_va) & (c_size == m_size))),
            Claim("allocator", c.ghost[NEXT_FREE] == post.next_free),
            Claim("tlb-stale", (~halted & ~c.stopped).implies(c_stale(c).iff(post.tlb_stale))),
            Claim("memory-safe", c.safety_holds())]


def flags_domain(setup: Setup, flags: Word) -> list:
    """pt_update's flags are `unsigned int` in v5 and v9: the model's 64-bit flags are taken below 2**32."""
    if setup.param_width(PT_UPDATE, 3) < 64:
        return [((flags >> 32) == 0, "flags < 2**32 (pt_update's flags are unsigned int in this C)")]
    return []


def iteration(setup: Setup) -> Obligation:
    header = loop_header(setup)
    fw = setup.param_width(PT_UPDATE, 3)

    def build(setup: Setup, inp: dict, mem: Memory) -> Built:
        phis = loop_phis(setup)
        s = pre_state(setup, inp, mem, pc=bv(PC_LOOP, 2), start=inp["start"], nr=inp["nr"],
                      vfn=inp["vfn"], mfn=inp["mfn"], flags=wide(inp["flags"]))
        stand_in = sym_word(f"refine.stand_in.flags.{fw}", fw)
        args = [sym_word(f"refine.stand_in.{n}", 64) for n in ("virt", "mfn", "nr")] + [stand_in]

        def restart(ex, path):
            return {"mem": s.mem, "ghost": {NEXT_FREE: s.next_free},
                    "phis": {phis["vfn"]: s.vfn, phis["mfn"]: s.mfn, phis["left"]: s.left},
                    "subst": {stand_in.node(): inp["flags"].node()}}
        c = run_c(setup, PT_UPDATE, args, s, cut=(PT_UPDATE, header), restart=restart)
        step = setup.model.step(s, Call(bv(0, 3), tuple(bv(0, 64) for _ in range(4))))
        post, halted = step.post, step.post.pc == PC_HALTED
        ended = post.pc == PC_IDLE
        claims = loop_claims(c, post, halted, phis) + state_claims(c, step, halted, cell(inp), ended)
        show = {"returns": (c.returned, post.pc == PC_IDLE), "loops": (c.cut, post.pc == PC_LOOP),
                "ASSERT stops": (c.stopped, halted), "rc": (c.ret, post.rc)}
        return Built(assumptions_of(c, []), claims, show)
    return Obligation("pt_update loop iteration",
                      "one iteration of pt_update's `while ( left )` from the loop state (vfn, mfn, left = "
                      "nr - (vfn - start), flags): ends the same way, same rc and next loop variables, memory, "
                      "allocator, stale flag", {**BASE_INPUTS, "start": 64, "nr": 64, "vfn": 64, "mfn": 64,
                                                "flags": fw}, build)


#: entry point -> (C function of the lift unit, its inputs -> (C args, model call args))
ENTRIES = {
    "map": ("map_pages_to_xen", ("virt", "mfn", "nr", "flags"), lambda i: (i["virt"], i["mfn"], i["nr"], wide(i["flags"]))),
    "destroy": ("ptprove_destroy", ("s", "e"), lambda i: (i["s"], i["e"], bv(0, 64), bv(0, 64))),
    "populate": ("ptprove_populate", ("virt", "nr"), lambda i: (i["virt"], i["nr"], bv(0, 64), bv(0, 64))),
    "modify": ("ptprove_modify", ("virt", "nr", "flags"), lambda i: (i["virt"], i["nr"], i["flags"], bv(0, 64))),
}


def prologue(setup: Setup, op: str) -> Obligation:
    fn, names, model_args = ENTRIES[op]
    header = loop_header(setup)
    widths = {n: setup.param_width(fn, k) for k, n in enumerate(names)}
    flags_param = setup.fn(PT_UPDATE).params[3].name

    def build(setup: Setup, inp: dict, mem: Memory) -> Built:
        phis = loop_phis(setup)
        s = pre_state(setup, inp, mem)
        c = run_c(setup, fn, [inp[n] for n in names], s, cut=(PT_UPDATE, header))
        step = setup.model.step(s, Call(bv(OP_IDS[op], 3), model_args(inp)))
        post, halted = step.post, step.post.pc == PC_HALTED
        # the prologue reaches the epilogue only for an empty request (rc 0, nothing to loop over)
        ended = (post.pc == PC_IDLE) & (post.rc == 0)
        claims = loop_claims(c, post, halted, phis, flags_param) + state_claims(c, step, halted, cell(inp), ended)
        assume = flags_domain(setup, inp["flags"]) if op == "modify" else []
        show = {"returns": (c.returned, post.pc == PC_IDLE), "loops": (c.cut, post.pc == PC_LOOP),
                "ASSERT stops": (c.stopped, halted), "rc": (c.ret, post.rc)}
        return Built(assumptions_of(c, assume), claims, show)
    return Obligation(f"{op} prologue", f"{fn}({', '.join(names)}) up to pt_update's loop: ASSERTs, early "
                      "return code, or the loop variables the loop starts from", {**BASE_INPUTS, **widths}, build,
                      call_of=lambda v: (op, [int(v[n]) for n in names]))


def step_obligations(setup: Setup) -> list:
    return [iteration(setup), *(prologue(setup, op) for op in ENTRIES)]

