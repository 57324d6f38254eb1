"""The refinement obligations: each pt.c function (and pt_update's loop, cut at its
header) run as lifted C and as the model, on the same inputs, compared output by output.

An obligation is built from a dict of inputs, symbolic for the proof and concrete to
replay a counterexample, so the same code states the claim and re-checks it.  Each
output is a claim of its own (return code, ASSERT stop, memory, allocator, stale TLB
flag, loop variables, memory safety): the solver proves them one at a time.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from model.c.execute import Path as CPath
from model.c.execute import Ptr, Summary, execute
from model.c.ir import Function, UnsupportedIR, int_width
from model.c.stubs import NEXT_FREE, XenEnv
from model.memory import FRAME_BITS, Memory
from model.riscv.machine import LEVEL_BITS, Exec, Geometry, State, initial_state
from model.riscv.pte import PAGETABLE_ORDER
from model.term import FALSE, TRUE, Bool, Word, any_of, bv, ite
from proofs.refine.sources import HEADER_PREFIX, LiftedC

SYS_STATE_ACTIVE = 2  # the shim's enum: the harness runs pt.c after early boot
STALE = "ptprove_stale"
FENCES, FLUSHES = "ptprove_fences", "ptprove_flushes"  # the shim's counters
FLUSH_VA, FLUSH_SIZE = "ptprove_flush_va", "ptprove_flush_size"  # the last flush's arguments
ENOMEM = 12

#: the assumption every frame access of the C makes (see model.c.stubs)
FRAME_WIDTH = "a frame the C maps has a 44-bit number (PTE bits 63:54 of a table pointer are 0)"


@dataclass
class Claim:
    name: str
    holds: Bool  # must be valid under the obligation's assumptions


@dataclass
class Built:
    assumptions: list  # (Bool, why)
    claims: list  # Claim
    show: dict = field(default_factory=dict)  # output -> (C value, model value), for a counterexample


@dataclass
class Setup:
    """One version's lifted C and model, and the geometry both run in."""

    version: str
    lifted: LiftedC
    model: object
    geo: Geometry
    c_version: str = ""  # the shim flavour the C was built with (default: `version`)
    header: Optional[LiftedC] = None  # the version's own asm/page.h predicates, when at hand

    @property
    def env(self) -> XenEnv:
        return XenEnv(self.geo.root, self.geo.pool_base, self.geo.pool)

    def fn(self, name: str) -> Function:
        return self.lifted.function(name)

    def bounds(self) -> dict:
        return {**self.lifted.bounds(), **self.geo.bounds()}

    def param_width(self, fn: str, k: int) -> int:
        t = self.fn(fn).params[k].type
        return 64 if t == "ptr" else int_width(t)


@dataclass
class Obligation:
    operation: str
    statement: str
    inputs: dict  # name -> width (0: a Bool)
    build: Callable  # (setup, inputs: dict, mem: Memory) -> Built
    invariant: str = "refines"
    where: str = "proofs/refine/obligations.py"
    call_of: Optional[Callable] = None  # inputs -> (op, args): a call the C harness can run
    bounds: dict = field(default_factory=dict)  # added to the setup's (e.g. the header's file)
    #: False: one query per claim from the start, for a unit whose claims z3 decides faster
    #: apart than all at once (p2m_set_entry level 2: 17 s apart, 56 s together)
    together: bool = True


# ---------------------------------------------------------------------------
# shared pieces


def pre_state(setup: Setup, inp: dict, mem: Memory, **fields) -> State:
    """The model's pre-state: the given memory, allocator fill and stale flag."""
    s = initial_state(setup.geo)
    return replace(s, mem=mem, next_free=inp["next_free"], tlb_stale=inp["stale"], **fields)


def run_c(setup: Setup, fn: str, args, s: State, module=None, ghost: Optional[dict] = None,
          stubs=None, **kw) -> Summary:
    """The lifted C (pt.c's, or `module`) from the model's pre-state `s` (its memory,
    allocator, stale flag); `ghost`: the path's initial ghost values (default: the
    allocator's), `stubs`: the environment (default: the setup's)."""
    path = CPath(TRUE, TRUE, s.mem, {}, ghost if ghost is not None else {NEXT_FREE: s.next_free})
    init = {"system_state": bv(SYS_STATE_ACTIVE, 32), STALE: ite(s.tlb_stale, bv(1, 8), bv(0, 8)),
            FENCES: bv(0, 64), FLUSHES: bv(0, 64), FLUSH_VA: bv(0, 64), FLUSH_SIZE: bv(0, 64)}
    return execute(module or setup.lifted.module, fn, args, path, stubs or setup.env, globals_init=init, **kw)


def c_flushed(c: Summary) -> tuple[Bool, Bool]:
    """(the C fenced, the C flushed the TLB) during the run."""
    return c.global_value(FENCES).any(), c.global_value(FLUSHES).any()


def c_flush_args(c: Summary) -> tuple[Word, Word]:
    """(va, size) of the C's last flush_tlb_range_va (0, 0 when it made none)."""
    return c.global_value(FLUSH_VA), c.global_value(FLUSH_SIZE)


def model_flush_args(flushes: list) -> tuple[Word, Word]:
    """(va, size) of the model step's flush (its flushes have exclusive guards; 0, 0: none)."""
    va, size = bv(0, 64), bv(0, 64)
    for g, v, n in flushes:
        va, size = ite(g, v, va), ite(g, n, size)
    return va, size


def c_stale(c: Summary) -> Bool:
    v = c.global_value(STALE)
    return v.any() if isinstance(v, Word) else FALSE


def word_eq(a, b) -> Bool:
    """C value == model value: Bools by iff, Words zero-extended to the wider width
    (no C value: no C path produced one, so no agreement)."""
    if a is None:
        return FALSE
    if isinstance(a, Bool):
        return a.iff(b)
    if a.width != b.width:
        a, b = (a.zext(b.width), b) if a.width < b.width else (a, b.zext(a.width))
    return a == b


def param_ranges(setup: Setup, fn: str, args: list) -> list:
    """The IR's `range(...)` attributes on `fn`'s parameters, as assumptions: clang
    derived them from every call site, so the function is only ever run inside them."""
    out = []
    for p, a in zip(setup.fn(fn).params, args):
        if p.range is None or not isinstance(a, Word):
            continue
        lo, hi = (x % (1 << a.width) for x in p.range)
        inside = (a >= lo) & (a < hi) if lo < hi else (a >= lo) | (a < hi)
        out.append((inside, f"{fn}'s parameter %{p.name} is in the IR's range [{p.range[0]}, {p.range[1]})"))
    return out


def common_claims(c: Summary, x: Exec, cell: tuple) -> list:
    """ASSERT outcome, memory, allocator, stale flag, no fence or flush, memory safety."""
    post = x.state
    return [Claim("assert", c.stopped.iff(x.halted)),
            Claim("memory", c.mem.read(*cell) == post.mem.read(*cell)),
            Claim("allocator", c.ghost[NEXT_FREE] == post.next_free),
            Claim("tlb-stale", c_stale(c).iff(post.tlb_stale)),
            Claim("fence+flush", ~any_of(c_flushed(c))),  # pt_update alone fences and flushes
            Claim("memory-safe", c.safety_holds())]


def assumptions_of(c: Summary, extra: list) -> list:
    return list(extra) + [(cond, why) for cond, why in c.assumptions]


def cell(inp: dict) -> tuple:
    return inp["cell_frame"], inp["cell_idx"]


BASE_INPUTS = {"next_free": 8, "stale": 0, "cell_frame": FRAME_BITS, "cell_idx": PAGETABLE_ORDER}


def wide(w: Word) -> Word:
    """A C argument as the model's 64-bit value (the C's unsigned int flags zero-extended)."""
    return w.zext(64) if w.width < 64 else w


def result_claims(c: Summary, x: Exec, c_value, m_value) -> list:
    both_ran = ~c.stopped & ~x.halted
    return [Claim("assert", c.stopped.iff(x.halted)),
            Claim("result", both_ran.implies(word_eq(c_value, m_value)))]


# ---------------------------------------------------------------------------
# the PTE predicates, pt_check_entry, pt_mapping_level: pure functions


def pte_predicate(name: str, setup: Optional[Setup] = None) -> Obligation:
    """`name` as the shim states it (in pt.c's build), or with `setup` as the version's
    own asm/page.h defines it (`setup.header`)."""
    header = setup.header if setup is not None else None

    def build(setup: Setup, inp: dict, mem: Memory) -> Built:
        pte = inp["pte"]
        s = pre_state(setup, inp, mem)
        if header is not None:
            c = run_c(setup, f"{HEADER_PREFIX}{name}", [pte], s, module=header.module)
        else:
            c = run_c(setup, f"ptprove_{name}", [pte], s)
        x = Exec(setup.geo, s)
        if name != "pte_is_valid":
            x.assert_(TRUE, setup.model.pte_assert(pte), "pte_is_table/pte_is_mapping ASSERT")
        m = getattr(setup.model, name)(pte)
        return Built(assumptions_of(c, []), result_claims(c, x, c.ret, m),
                     {"result": (c.ret, m), "ASSERT stops": (c.stopped, x.halted)})
    if header is None:
        return Obligation(name, f"{name}(pte) of the C (the shim's asm/page.h) is the model's",
                          {**BASE_INPUTS, "pte": 64}, build)
    return Obligation(f"{name} (asm/page.h)", f"{name}(pte) as {header.path} defines it is the model's",
                      {**BASE_INPUTS, "pte": 64}, build,
                      bounds={"header_file": str(header.path), "header_sha256": header.sha256})


def check_entry(setup: Setup) -> Obligation:
    fw = setup.param_width("pt_check_entry", 2)

    def build(setup: Setup, inp: dict, mem: Memory) -> Built:
        s = pre_state(setup, inp, mem)
        args = [inp["entry"], inp["mfn"], inp["flags"]]
        c = run_c(setup, "pt_check_entry", args, s)
        x = Exec(setup.geo, s)
        m = setup.model.pt_check_entry(x, TRUE, inp["entry"], inp["mfn"], wide(inp["flags"]))
        return Built(assumptions_of(c, param_ranges(setup, "pt_check_entry", args)),
                     result_claims(c, x, c.ret, m),
                     {"result": (c.ret, m), "ASSERT stops": (c.stopped, x.halted)})
    return Obligation("pt_check_entry", "pt_check_entry(entry, mfn, flags): same verdict, same ASSERTs",
                      {**BASE_INPUTS, "entry": 64, "mfn": 64, "flags": fw}, build)


def mapping_level(setup: Setup) -> Obligation:
    fw = setup.param_width("pt_mapping_level", 3)

    def build(setup: Setup, inp: dict, mem: Memory) -> Built:
        s = pre_state(setup, inp, mem)
        args = [inp["vfn"], inp["mfn"], inp["nr"], inp["flags"]]
        c = run_c(setup, "pt_mapping_level", args, s)
        x = Exec(setup.geo, s)
        m = setup.model.pt_mapping_level(inp["vfn"], inp["mfn"], inp["nr"], wide(inp["flags"]))
        return Built(assumptions_of(c, param_ranges(setup, "pt_mapping_level", args)),
                     result_claims(c, x, c.ret, m), {"level": (c.ret, m)})
    return Obligation("pt_mapping_level", "pt_mapping_level(vfn, mfn, nr, flags): the same level",
                      {**BASE_INPUTS, "vfn": 64, "mfn": 64, "nr": 64, "flags": fw}, build)


# ---------------------------------------------------------------------------
# the table walk: pt_next_level, create_table, pt_update_entry (memory, allocator)

MODEL_CODES = {"NONE": 0, "NOMEM": 1, "SUPER_PAGE": 2, "NORMAL": 3}
C_CODE_NAMES = {"MAP_NONE": "NONE", "MAP_NOMEM": "NOMEM", "MAP_FAILED": "NONE",
                "SUPER_PAGE": "SUPER_PAGE", "NORMAL": "NORMAL"}


def next_level_codes(setup: Setup) -> dict[int, int]:
    """model XEN_TABLE_* value -> the C's value of the same meaning, read from the C's
    #defines (v5 has one MAP_FAILED for "no table" and "no memory", as its model does)."""
    import re
    text = setup.lifted.path.read_text(encoding="utf-8", errors="replace")
    out = {}
    for name, val in re.findall(r"^#define XEN_TABLE_(\w+)\s+(\d+)", text, re.M):
        if name in C_CODE_NAMES:
            out.setdefault(MODEL_CODES[C_CODE_NAMES[name]], int(val))
    if MODEL_CODES["NOMEM"] not in out and MODEL_CODES["NONE"] in out:
        out[MODEL_CODES["NOMEM"]] = out[MODEL_CODES["NONE"]]
    if set(out) != set(MODEL_CODES.values()):
        raise UnsupportedIR(f"{setup.lifted.path}: XEN_TABLE_* return codes not found")
    return out


def frame_ptr_is(p, frame: Word) -> Bool:
    """`p` points at the start of page frame `frame`."""
    if not isinstance(p, Ptr) or p.region != "frame":
        return FALSE
    return ~p.null & (p.base == frame) & (p.off == 0)


def slot_args(values: list, slot: dict) -> Callable:
    """Arguments where a Ptr-valued entry ("slot", value) becomes a pointer to a fresh
    stack object holding `value`; `slot` receives the object id."""
    def make(ex, path):
        out = []
        for v in values:
            if isinstance(v, tuple) and v[0] == "slot":
                p = ex.new_object(path, "caller's slot", {0: v[1]})
                slot["id"] = p.base
                out.append(p)
            else:
                out.append(v)
        return out
    return make


def next_level(setup: Setup) -> Obligation:
    codes = next_level_codes(setup)

    def build(setup: Setup, inp: dict, mem: Memory) -> Built:
        s = pre_state(setup, inp, mem)
        table, offset = inp["table"], inp["offset"]
        slot: dict = {}
        args = slot_args([inp["alloc_tbl"], ("slot", Ptr("frame", table, bv(0, 64))), offset], slot)
        c = run_c(setup, "pt_next_level", args, s)
        x = Exec(setup.geo, s)
        ret, nxt = setup.model.pt_next_level(x, TRUE, inp["alloc_tbl"], table.trunc(FRAME_BITS),
                                             offset.trunc(PAGETABLE_ORDER), 1)
        want = bv(codes[3], 32)
        for k in (2, 1, 0):
            want = ite(ret == k, bv(codes[k], 32), want)
        after = c.objs[slot["id"]][0]
        normal = ret == MODEL_CODES["NORMAL"]
        table_ok = ite(normal, frame_ptr_is(after, nxt.zext(64)), frame_ptr_is(after, table))
        claims = result_claims(c, x, c.ret, want) + common_claims(c, x, cell(inp))[1:]
        claims.append(Claim("next-table", (~c.stopped & ~x.halted).implies(table_ok)))
        assume = [((table >> FRAME_BITS) == 0, FRAME_WIDTH), (offset < 512, "offset < PAGETABLE_ENTRIES (callers pass TABLE_OFFSET)")]
        return Built(assumptions_of(c, assume + param_ranges(setup, "pt_next_level", [inp["alloc_tbl"], None, offset])),
                     claims, {"return code": (c.ret, want), "ASSERT stops": (c.stopped, x.halted)})
    return Obligation("pt_next_level", "pt_next_level(alloc_tbl, &table, offset): code, next table, "
                      "memory, allocator, stale flag", {**BASE_INPUTS, "alloc_tbl": 0, "table": 64, "offset": 32},
                      build)


def create_table(setup: Setup) -> Obligation:
    ret_type = setup.fn("create_table").ret_type

    def build(setup: Setup, inp: dict, mem: Memory) -> Built:
        s = pre_state(setup, inp, mem)
        table, idx = inp["table"], inp["idx"]
        entry = Ptr("frame", table, idx.zext(64) * 8)
        c = run_c(setup, "create_table", [entry], s)
        x = Exec(setup.geo, s)
        ok = setup.model.create_table(x, TRUE, table.trunc(FRAME_BITS), idx, 1)
        # v5 returns 0 or -ENOMEM, the merged versions true or false
        want = ok if ret_type == "i1" else ite(ok, bv(0, 32), bv(-ENOMEM, 32))
        return Built(assumptions_of(c, [((table >> FRAME_BITS) == 0, FRAME_WIDTH)]),
                     result_claims(c, x, c.ret, want) + common_claims(c, x, cell(inp))[1:],
                     {"result": (c.ret, want)})
    return Obligation("create_table", "create_table(entry): result, the new table cleared and linked, "
                      "allocator, stale flag", {**BASE_INPUTS, "table": 64, "idx": PAGETABLE_ORDER}, build)


def update_entry(setup: Setup) -> Obligation:
    fn = "pt_update_entry"
    by_pointer = setup.fn(fn).params[3].type == "ptr"  # upstream: unsigned int *target
    fw = setup.param_width(fn, 4)
    levels = setup.geo.levels

    def build(setup: Setup, inp: dict, mem: Memory) -> Built:
        s = pre_state(setup, inp, mem)
        virt, mfn, target, flags = inp["virt"], inp["mfn"], inp["target"], inp["flags"]
        slot: dict = {}
        root = bv(setup.geo.root, 64)
        args = slot_args([root, virt, mfn, ("slot", target) if by_pointer else target, flags], slot)
        c = run_c(setup, fn, args, s)
        x = Exec(setup.geo, s)
        rc, level = setup.model.pt_update_entry(x, TRUE, virt, mfn, target.trunc(LEVEL_BITS), wide(flags))
        claims = [Claim("rc", (~c.stopped & ~x.halted).implies(word_eq(c.ret, rc)))]
        claims += common_claims(c, x, cell(inp))
        show = {"rc": (c.ret, rc), "ASSERT stops": (c.stopped, x.halted)}
        if by_pointer:
            after = c.objs[slot["id"]][0]
            claims.append(Claim("level", (~c.stopped & ~x.halted).implies(word_eq(after, level))))
            show["*target"] = (after, level)
        bound = (target <= levels, f"target <= CONFIG_PAGING_LEVELS ({levels}: walk to the leaf)") if by_pointer \
            else (target < levels, "target < CONFIG_PAGING_LEVELS (pt_update passes pt_mapping_level's level)")
        return Built(assumptions_of(c, [bound]), claims, show)
    return Obligation(fn, "pt_update_entry(root, virt, mfn, target, flags): rc, level, memory, allocator, "
                      "stale flag, ASSERTs (root = satp's, as pt_update passes it)",
                      {**BASE_INPUTS, "virt": 64, "mfn": 64, "target": 32, "flags": fw}, build)
