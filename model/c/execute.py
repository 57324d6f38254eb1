"""A symbolic executor over LLVM IR whose values are `model.term` Words and Bools.

Execution follows paths: a branch on a symbolic condition forks (each side kept only
if it is feasible: decided from the path's own branch facts, else by z3), phis are
taken simultaneously on block entry, defined callees are inlined and their returning
paths merged back into one with `ite` (so forks do not multiply across calls).

Pointers live in three regions: a page frame (a 64-bit frame number, an offset) read
and written through the model's `Memory`, an object (a stack slot, a global or a
stub's record: an id, an offset) whose cells hold values at concrete byte offsets,
and a record (a 64-bit number, a byte offset: e.g. p2m.c's `struct page_info` of a
frame) whose fields the environment (the stubs' `record_load`, `record_store`)
keeps as the model keeps them.  Every frame access records its memory-safety
condition (aligned to its size, inside the 4 KiB frame; an access narrower than an
entry reads or rewrites part of the entry's word) and the assumption that the
frame number fits the model's 44 bits.

What the executor does not model (an unknown opcode, an indirect call, inline asm,
a pointer merged from two objects) stops it with one `UnsupportedIR` line naming
the function and the instruction: never a silent approximation.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Protocol, Union

from pysmt import shortcuts as S
from pysmt.typing import BVType

from model.c.ir import Function, Instr, Module, Ref, UnsupportedIR, int_width
from model.memory import FRAME_BITS, Memory
from model.term import FALSE, TRUE, Bool, Word, all_of, any_of, bv, ite

PAGE_BYTES = 4096
ENTRY_BYTES = 8
MAX_BLOCK_VISITS = 64  # per path: a loop the executor cannot bound is an error


@dataclass(frozen=True)
class Ptr:
    """A pointer: region "frame" (base: 64-bit frame number), "obj" (base: object id),
    "record" (base: a 64-bit record number, see `record_load`) or "null".  `null` is when a frame or object pointer is NULL instead (a stub's
    failure, e.g. the allocator's), so a pointer that may be NULL needs no fork."""

    region: str
    base: Union[Word, int, None]
    off: Word
    null: Bool = field(default_factory=lambda: FALSE)

    def plus(self, n: Word) -> "Ptr":
        return replace(self, off=self.off + n)

    @property
    def is_null(self) -> Bool:
        return TRUE if self.region == "null" else self.null


NULL = Ptr("null", None, bv(0, 64), TRUE)
NUMBERED = ("frame", "record")  # regions whose base is a symbolic number
Value = Union[Word, Bool, Ptr]


@dataclass
class Path:
    """One execution path: its condition and its state."""

    pc: Bool  # from the start of the execution
    local: Bool  # since the innermost call began (what its return merge selects on)
    mem: Memory
    objs: dict  # object id -> {byte offset: value}
    ghost: dict  # stub state (e.g. the allocator's next free page), merged like values
    facts: dict = field(default_factory=dict)  # branch condition node -> truth on this path
    visits: dict = field(default_factory=dict)

    phase: int = 0  # 1: after a restart at the cut header (execute(restart=...))
    conds: tuple = ()  # the conjuncts of `pc`, in order (the feasibility solver's stack)

    def fork(self, cond: Bool) -> "Path":
        facts = dict(self.facts)
        if not cond.is_concrete:
            facts[cond.node()] = True
        return replace(self, pc=self.pc & cond, local=self.local & cond, facts=facts,
                       conds=self.conds + (cond,),
                       objs=dict(self.objs), ghost=dict(self.ghost), visits=dict(self.visits))


@dataclass
class Outcome:
    """A path that left the executed code: returned, stopped (ASSERT/BUG), or reached the cut."""

    kind: str  # "return" | "stop" | "cut"
    path: Path
    value: object  # the return value, the stop's message, or the phi values at the cut


@dataclass
class Summary:
    """All outcomes of one execution merged: what a refinement claim reads."""

    returned: Bool
    stopped: Bool
    cut: Bool
    ret: object
    mem: Memory
    objs: dict
    ghost: dict
    cut_values: dict  # header phi name -> value (under `cut`)
    cut_env: dict  # every value of the function holding the header, at the cut
    stops: list  # (condition, message)
    safety: list  # (condition that must hold, what)
    assumptions: list  # (condition assumed, what)
    paths: int
    object_names: dict  # id -> name
    global_ids: dict  # global name -> object id

    def safety_holds(self) -> Bool:
        """Every memory-safety condition the execution recorded."""
        return all_of(c for c, _ in self.safety)

    def global_value(self, name: str) -> Optional["Value"]:
        """A global's value (its cell 0) at the end."""
        return self.objs.get(self.global_ids.get(name, -1), {}).get(0)


class Stop(Exception):
    """Raised by a stub: the path ends here (longjmp from ASSERT/BUG)."""

    def __init__(self, message: str):
        self.message = message


def fresh_word(prefix: str, width: int) -> Word:
    return Word(S.FreshSymbol(BVType(width), prefix + "%d"), width)


def ite_value(c: Bool, a, b, what: str) -> "Value":
    """ite over executor values: Words, Bools, pointers into the same object or frames."""
    if a is None or b is None:
        return b if a is None else a
    if isinstance(a, Ptr) or isinstance(b, Ptr):
        if not (isinstance(a, Ptr) and isinstance(b, Ptr)):
            raise UnsupportedIR(f"{what}: a pointer merged with an integer")
        if c.is_concrete:
            return a if c.v else b
        if a.region == "null" or b.region == "null":
            real = b if a.region == "null" else a
            return replace(real, null=ite(c, a.is_null, b.is_null))
        if a.region != b.region:
            raise UnsupportedIR(f"{what}: a pointer merged from two regions ({a.region}, {b.region})")
        if a.region == "obj" and a.base != b.base:
            raise UnsupportedIR(f"{what}: a pointer merged from two objects")
        base = ite(c, a.base, b.base) if a.region in NUMBERED else a.base
        return Ptr(a.region, base, ite(c, a.off, b.off), ite(c, a.null, b.null))
    if isinstance(a, dict):
        return {k: ite_value(c, a[k], b.get(k, a[k]), what) for k in a}
    return ite(c, a, b)


@dataclass(frozen=True)
class Conflict:
    """A cell whose merged value cannot be represented (pointers into two objects,
    e.g. the failed ASSERT's text): an error only if the merged path reads it."""

    why: str


def merge_cell(c: Bool, a, b, what: str) -> object:
    if isinstance(a, Conflict) or isinstance(b, Conflict):
        return a if isinstance(a, Conflict) else b
    if isinstance(a, Word) and isinstance(b, Word) and a.width != b.width:
        # a cell written at one width on one path and another on the other (a stack slot
        # reused for two variables): an error only if the merged path reads it
        return Conflict(f"a cell of {a.width} bits on one path and {b.width} on another ({what})")
    try:
        return ite_value(c, a, b, what)
    except UnsupportedIR as e:
        return Conflict(str(e))


class Feasibility:
    """Is a path's condition plus one more satisfiable?  One incremental z3 whose
    assertion stack follows the path being explored (the paths are explored depth
    first, so consecutive checks share most of their conjuncts).  Answers are kept
    for the process (`ANSWERS`): a machine step of the lifted C is executed again for
    every obligation and operation, asking the same questions (pt.c's footprint: 13000
    questions, 524 different ones); pysmt's terms are hash-consed, so equal questions
    are equal keys."""

    ANSWERS: dict[tuple, bool] = {}
    KEPT = 200_000  # answers kept before the memo starts afresh

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.solver = S.Solver(name="z3") if enabled else None
        self.stack: list = []  # FNodes pushed, one level each
        self.queries = 0

    def __call__(self, conds: tuple, c: Bool) -> bool:
        if c.is_concrete:
            return c.v
        if not self.enabled:
            return True
        nodes = [x.node() for x in conds if not x.is_concrete]
        key = (tuple(nodes), c.node())
        if key not in self.ANSWERS:
            if len(self.ANSWERS) >= self.KEPT:
                self.ANSWERS.clear()
            self.ANSWERS[key] = self._ask(nodes, c)
        return self.ANSWERS[key]

    def _ask(self, nodes: list, c: Bool) -> bool:
        keep = 0
        while keep < min(len(nodes), len(self.stack)) and nodes[keep] is self.stack[keep]:
            keep += 1
        while len(self.stack) > keep:
            self.solver.pop()
            self.stack.pop()
        for n in nodes[keep:]:
            self.solver.push()
            self.solver.add_assertion(n)
            self.stack.append(n)
        self.queries += 1
        return self.solver.is_sat(c.node())

    def close(self) -> None:
        if self.solver is not None:
            self.solver.exit()


class Observer(Protocol):
    """What a caller may watch as the IR runs (`execute(observer=...)`): every page-frame
    access and every return, on the path it happens on (`path.pc`, `path.phase`,
    `ex.stack`).  It may keep its own values in `path.ghost` (merged like any value)."""

    def frame_load(self, ex: "Executor", path: Path, frame: Word, idx: Word, value: Word) -> None: ...
    def frame_store(self, ex: "Executor", path: Path, frame: Word, idx: Word, old: Word, new: Word) -> None: ...
    def returned(self, ex: "Executor", path: Path, fn: Function, env: dict) -> None: ...


class Executor:
    """Runs one function of a `Module` on symbolic arguments (see `execute`)."""

    def __init__(self, module: Module, stubs, *, globals_init: Optional[dict] = None,
                 feasibility: bool = True, observer: Optional["Observer"] = None):
        self.m = module
        self.stubs = stubs
        self.observer = observer
        self.stack: list[str] = []  # the functions being run, outermost first (inlined callees too)
        self.globals_init = globals_init or {}
        self.feasible = Feasibility(feasibility)
        self.outcomes: list[Outcome] = []
        self.safety: list = []
        self.assumptions: list = []
        self.objects: dict[int, str] = {}
        self.sizes: dict[int, Optional[int]] = {}  # object id -> bytes (None: not checked)
        self.global_ids: dict[str, int] = {}
        self._ids = itertools.count(1)
        self.cut: Optional[tuple[str, str]] = None  # (function, header block)
        self.restart: Optional[Callable] = None  # see execute(restart=...)
        self.restarted = False
        self.entry_fn = ""
        #: callee name -> summary(ex, path, args, what): the call's effect on the path and its
        #: value, used instead of inlining the callee (NOT_SUMMARISED: inline it after all)
        self.summaries: dict = {}

    # -- objects ------------------------------------------------------------
    def new_object(self, path: Path, name: str, cells: Optional[dict] = None, size: int = 8) -> Ptr:
        oid = next(self._ids)
        self.objects[oid] = name
        self.sizes[oid] = size
        path.objs[oid] = dict(cells or {})
        return Ptr("obj", oid, bv(0, 64))

    def global_ptr(self, path: Path, name: str) -> Ptr:
        if name not in self.global_ids:
            oid = next(self._ids)
            self.objects[oid] = "@" + name
            ty = self.m.globals.get(name)
            self.sizes[oid] = self.m.size_align(ty)[0] if ty and "x i8]" not in ty else None
            self.global_ids[name] = oid
        oid = self.global_ids[name]
        if oid not in path.objs:
            init = self.globals_init.get(name)
            path.objs[oid] = {0: init} if init is not None else {}
        return Ptr("obj", oid, bv(0, 64))

    def _record(self, path: Path, p: Ptr):
        """The environment that keeps records (struct page_info): the stubs."""
        if not hasattr(self.stubs, "record_load"):
            raise UnsupportedIR("a record pointer, but the environment keeps no records")
        return self.stubs

    # -- safety ---------------------------------------------------------------
    def require(self, path: Path, cond: Bool, what: str) -> None:
        if not (cond.is_concrete and cond.v):
            self.safety.append((path.phase, path.pc.implies(cond), what))

    def assume(self, path: Path, cond: Bool, what: str) -> None:
        if not (cond.is_concrete and cond.v):
            self.assumptions.append((path.phase, path.pc.implies(cond), what))

    def _restart(self, path: Path, env: dict) -> tuple[dict, dict]:
        """The first path into the cut header begins the loop body afresh from the
        state `restart` gives: condition TRUE, its memory, ghost state, globals and
        header phi values.  The prologue's values and stack objects stay, each with
        `subst` applied (the prologue ran on stand-in arguments; its condition is dropped)."""
        start = self.restart(self, path)
        sub = start.get("subst", {})
        path.pc, path.local, path.phase, path.facts, path.visits, path.conds = TRUE, TRUE, 1, {}, {}, ()
        path.mem, path.ghost = start["mem"], dict(start["ghost"])
        for name, oid in self.global_ids.items():
            init = self.globals_init.get(name)
            path.objs[oid] = {0: init} if init is not None else {}
        for oid, cells in list(path.objs.items()):
            path.objs[oid] = {o: substitute(v, sub) for o, v in cells.items()}
        return {k: substitute(v, sub) for k, v in env.items()}, start["phis"]

    # -- memory access --------------------------------------------------------
    def _frame_slot(self, path: Path, p: Ptr, size: int, what: str) -> tuple[Word, Word]:
        if size not in (1, 2, 4, ENTRY_BYTES):
            raise UnsupportedIR(f"{what}: a {size}-byte access to a page frame")
        self.require(path, ((p.off & (size - 1)) == 0) & (p.off < PAGE_BYTES),
                     f"frame access inside the 4 KiB frame, {size}-byte aligned ({what})")
        return p.base.trunc(FRAME_BITS), p.off.bits(11, 3)

    @staticmethod
    def _part(p: Ptr, size: int) -> tuple[Word, int]:
        """(bit shift, mask) of a `size`-byte access within its entry's word (little-endian)."""
        return (p.off & (ENTRY_BYTES - 1)) * 8, (1 << (8 * size)) - 1

    def _cells_at(self, path: Path, p: Ptr, size: int, what: str) -> list[int]:
        cells = path.objs.get(p.base)
        if cells is None:
            raise UnsupportedIR(f"{what}: access to {self.objects.get(p.base, '?')} after its lifetime")
        limit = self.sizes.get(p.base)
        if p.off.is_concrete:
            if limit is not None and not 0 <= p.off.v <= limit - size:
                self.require(path, FALSE, f"access inside {self.objects[p.base]} ({what})")
                return []  # out of bounds: the path is unsafe; nothing is read or written
            return [p.off.v]
        cands = sorted(cells)
        self.require(path, any_of(p.off == o for o in cands), f"object access at a stored offset ({what})")
        return cands

    def load(self, path: Path, p: Value, ty: str, what: str) -> Value:
        size = self.m.size_align(ty)[0]
        if not isinstance(p, Ptr) or p.region == "null":
            self.require(path, FALSE, f"load through a null or integer pointer ({what})")
            return self.zero(ty)  # the path is already unsafe; a fixed value keeps replays concrete
        self.require(path, ~p.null, f"load through a pointer that may be NULL ({what})")
        if p.region == "record":
            return self._record(path, p).record_load(self, path, p, ty, what)
        if p.region == "frame":
            if ty == "ptr" or int_width(ty) == 1:
                raise UnsupportedIR(f"{what}: a {ty} load from a page frame")
            frame, idx = self._frame_slot(path, p, size, what)
            try:
                value = path.mem.read(frame, idx)
            except ValueError as e:  # a symbolic location over a concrete replay's memory
                raise UnsupportedIR(f"{what}: {e}") from None
            if self.observer is not None:
                self.observer.frame_load(self, path, frame, idx, value)
            if size == ENTRY_BYTES:
                return value
            shift, mask = self._part(p, size)
            return (value >> shift).trunc(8 * size)
        offs = self._cells_at(path, p, size, what)
        if not offs:
            return self.zero(ty)
        cells = path.objs[p.base]
        vals = []
        for o in offs:
            if o not in cells:
                cells[o] = self.undef(ty)  # an uninitialised read: any value
            vals.append((o, cells[o]))
        for _, x in vals:
            if isinstance(x, Conflict):
                raise UnsupportedIR(f"{what}: reads {x.why}")
        v = vals[-1][1]
        for o, x in reversed(vals[:-1]):
            v = ite_value(p.off == o, x, v, what)
        return v

    def store(self, path: Path, p: Value, value: Value, ty: str, what: str) -> None:
        size = self.m.size_align(ty)[0]
        if not isinstance(p, Ptr) or p.region == "null":
            self.require(path, FALSE, f"store through a null or integer pointer ({what})")
            return
        self.require(path, ~p.null, f"store through a pointer that may be NULL ({what})")
        if p.region == "record":
            self._record(path, p).record_store(self, path, p, value, ty, what)
            return
        if p.region == "frame":
            if not isinstance(value, Word) or value.width != 8 * size:
                raise UnsupportedIR(f"{what}: a {ty} store to a page frame")
            frame, idx = self._frame_slot(path, p, size, what)
            old = path.mem.read(frame, idx) if size != ENTRY_BYTES or self.observer is not None else None
            if size != ENTRY_BYTES:
                shift, mask = self._part(p, size)
                value = (old & ~(bv(mask, 64) << shift)) | (value.zext(64) << shift)
            if self.observer is not None:
                self.observer.frame_store(self, path, frame, idx, old, value)
            path.mem = path.mem.write(path.pc, frame, idx, value)
            return
        offs = self._cells_at(path, p, size, what)
        if not offs:
            return
        cells = dict(path.objs[p.base])
        if p.off.is_concrete:
            cells[p.off.v] = value
        else:
            for o in offs:
                cells[o] = ite_value(p.off == o, value, cells.get(o, value), what)
        path.objs[p.base] = cells

    def zero(self, ty: str) -> Value:
        if ty == "ptr":
            return NULL
        w = int_width(ty)
        return FALSE if w == 1 else bv(0, w)

    def undef(self, ty: str) -> Value:
        if ty == "ptr":
            return NULL
        w = int_width(ty)
        return Bool(S.FreshSymbol()) if w == 1 else fresh_word("c.undef.", w)

    # -- operands ---------------------------------------------------------------
    def value(self, env: dict, path: Path, r: Ref, what: str) -> Value:
        if r.kind == "local":
            if r.name not in env:
                raise UnsupportedIR(f"{what}: %{r.name} used before it is defined")
            return env[r.name]
        if r.kind == "int":
            w = int_width(r.type)
            return Bool(bool(r.value)) if w == 1 else bv(r.value, w)
        if r.kind == "null":
            return NULL
        if r.kind == "undef":
            return self.undef(r.type)
        if r.kind == "global":
            return self.global_ptr(path, r.name)
        if r.kind == "unsupported":
            raise UnsupportedIR(f"{what}: {r.name} is not modelled")
        raise UnsupportedIR(f"{what}: operand {r.kind} {r.name} used as a value")

    # -- running ------------------------------------------------------------------
    def run(self, fn: Function, args: list, path: Path, start: Optional[tuple] = None) -> list:
        """Paths of `fn` that return, as (path, value).  Stops and cuts go to `outcomes`.
        `start`: (block, env) to begin at a block with a given environment."""
        if fn.declaration:
            raise UnsupportedIR(f"{fn.name} has no definition")
        if start is None:
            env = {p.name: a for p, a in zip(fn.params, args, strict=True)}
            work = [(fn.entry, None, env, path)]
        else:
            block, env = start
            work = [(block, "start", dict(env), path)]
        returned = []
        while work:
            bname, prev, env, path = work.pop()
            key = (fn.name, bname)
            path.visits[key] = path.visits.get(key, 0) + 1
            if path.visits[key] > MAX_BLOCK_VISITS:
                raise UnsupportedIR(f"in {fn.name}: block %{bname} entered {MAX_BLOCK_VISITS} times on one "
                                    "path (a loop the executor cannot bound; cut it)")
            block = fn.blocks[bname]
            instrs = block.instrs
            phis = [i for i in instrs if i.opcode == "phi"]
            if prev != "start":
                vals = {}
                for i in phis:
                    src = next((r for r, b in i.incoming if b == prev), None)
                    if src is None:
                        raise UnsupportedIR(f"{i.where(fn.name)}: no value for predecessor %{prev}")
                    vals[i.result] = self.value(env, path, src, i.where(fn.name))
                if self.cut == (fn.name, bname) and prev is not None:
                    if self.restart is None or path.phase == 1:
                        self.outcomes.append(Outcome("cut", path, {"phis": vals, "env": {**env, **vals}}))
                        continue
                    if self.restarted:
                        continue  # one restart stands for every prologue path
                    self.restarted = True
                    env, vals = self._restart(path, env)
                env = {**env, **vals}
            try:
                nxt = self._block(fn, instrs[len(phis):], env, path)
            except Stop as s:
                self.outcomes.append(Outcome("stop", path, s.message))
                continue
            except _Dead:
                continue
            kind, payload = nxt
            if kind == "ret":
                if self.observer is not None:
                    self.observer.returned(self, path, fn, env)
                returned.append((path, payload))
            elif kind == "goto":
                for succ, p in payload:
                    work.append((succ, bname, env if len(payload) == 1 else dict(env), p))
        return returned

    def _block(self, fn: Function, instrs: list, env: dict, path: Path):
        for ins in instrs:
            what = ins.where(fn.name)
            op = ins.opcode
            if op == "br":
                if len(ins.ops) == 1:
                    return "goto", [(ins.ops[0].name, path)]
                c = self.value(env, path, ins.ops[0], what)
                # llvmlite lists a conditional br's operands as (cond, false-label, true-label)
                return "goto", self._branch(path, [(c, ins.ops[2].name), (~c, ins.ops[1].name)])
            if op == "switch":
                x = self.value(env, path, ins.ops[0], what)
                arms = [(x == v, b) for v, b in ins.cases]
                arms.append((~any_of(c for c, _ in arms), ins.ops[1].name))
                return "goto", self._branch(path, arms)
            if op == "ret":
                return "ret", self.value(env, path, ins.ops[0], what) if ins.ops else None
            if op == "unreachable":
                self.require(path, FALSE, f"`unreachable` reached in {fn.name}")
                return "goto", []
            v = self._instr(fn, ins, env, path, what)
            if ins.result:
                env[ins.result] = v
        raise UnsupportedIR(f"in {fn.name}: a block without a terminator")

    def _branch(self, path: Path, arms: list) -> list:
        out = []
        for c, target in arms:
            c = self._decide(path, c)
            if c.is_concrete:
                if c.v:
                    return [(target, path)]
                continue
            if self.feasible(path.conds, c):
                out.append((target, path.fork(c)))
        return out

    def _decide(self, path: Path, c: Bool) -> Bool:
        """The path's own facts decide a repeated test without the solver."""
        if c.is_concrete:
            return c
        n = c.node()
        if n in path.facts:
            return Bool(path.facts[n])
        if n.is_not() and n.arg(0) in path.facts:
            return Bool(not path.facts[n.arg(0)])
        if S.Not(n) in path.facts:
            return Bool(not path.facts[S.Not(n)])
        return c

    # -- instructions ---------------------------------------------------------------
    def _instr(self, fn: Function, ins: Instr, env: dict, path: Path, what: str) -> Value:
        op = ins.opcode
        val = lambda k: self.value(env, path, ins.ops[k], what)  # noqa: E731
        if op in BINOPS:
            a, b = val(0), val(1)
            if isinstance(a, Bool):
                if op not in BOOL_OPS:
                    raise UnsupportedIR(f"{what}: {op} on i1")
                return BOOL_OPS[op](a, b)
            if isinstance(a, Ptr) or isinstance(b, Ptr):
                raise UnsupportedIR(f"{what}: arithmetic on a pointer")
            return BINOPS[op](a, b)
        if op == "icmp":
            return self._icmp(ins.pred, val(0), val(1), what)
        if op == "select":
            return ite_value(val(0), val(1), val(2), what)
        if op in ("zext", "sext", "trunc"):
            return self._cast(op, val(0), int_width(ins.type), what)
        if op == "freeze":
            return val(0)
        if op == "alloca":
            return self.new_object(path, f"%{ins.result} ({ins.alloc_type}) in {fn.name}",
                                   size=self.m.size_align(ins.alloc_type)[0])
        if op == "load":
            return self.load(path, val(0), ins.type, what)
        if op == "store":
            self.store(path, val(1), val(0), ins.ops[0].type, what)
            return None
        if op == "getelementptr":
            return self._gep(ins, [val(k) for k in range(len(ins.ops))], what)
        if op == "call":
            return self._call(fn, ins, env, path, what)
        raise UnsupportedIR(f"{what}: opcode {op} is not modelled")

    def _icmp(self, pred: str, a: Value, b: Value, what: str) -> Bool:
        if isinstance(a, Ptr) or isinstance(b, Ptr):
            if pred not in ("eq", "ne") or not (isinstance(a, Ptr) and isinstance(b, Ptr)):
                raise UnsupportedIR(f"{what}: pointer comparison {pred}")
            both_null = a.is_null & b.is_null
            if a.region != b.region or a.region == "null":
                eq = both_null
            else:
                same = (a.base == b.base) if a.region in NUMBERED else Bool(a.base == b.base)
                eq = both_null | (~a.is_null & ~b.is_null & same & (a.off == b.off))
            return eq if pred == "eq" else ~eq
        if isinstance(a, Bool):
            if pred == "eq":
                return a.iff(b)
            if pred == "ne":
                return a ^ b
            raise UnsupportedIR(f"{what}: {pred} on i1")
        if pred in UNSIGNED:
            return UNSIGNED[pred](a, b)
        if pred in SIGNED:
            return Bool(SIGNED[pred](a.node(), b.node())) if not (a.is_concrete and b.is_concrete) \
                else Bool(SIGNED_CONCRETE[pred](signed(a), signed(b)))
        raise UnsupportedIR(f"{what}: icmp {pred}")

    def _cast(self, op: str, x: Value, width: int, what: str) -> Value:
        if isinstance(x, Ptr):
            raise UnsupportedIR(f"{what}: a pointer cast to an integer")
        if isinstance(x, Bool):
            if op == "trunc":
                raise UnsupportedIR(what)
            one = bv(1, width) if op == "zext" else bv((1 << width) - 1, width)
            return ite(x, one, bv(0, width))
        if op == "trunc":
            return x.bit(0) if width == 1 else x.trunc(width)
        if op == "zext":
            return x.zext(width)
        if x.is_concrete:
            return bv(signed(x), width)
        return Word(S.BVSExt(x.node(), width - x.width), width)

    def _gep(self, ins: Instr, vals: list, what: str) -> Ptr:
        base = vals[0]
        if not isinstance(base, Ptr):
            raise UnsupportedIR(f"{what}: getelementptr on an integer")
        ty = ins.gep_type
        off = bv(0, 64)
        for k, idx in enumerate(vals[1:]):
            if isinstance(idx, Bool) or isinstance(idx, Ptr):
                raise UnsupportedIR(what)
            idx = idx.zext(64) if idx.width < 64 else idx
            if ins.ops[1 + k].type != "i64" and not idx.is_concrete:
                raise UnsupportedIR(f"{what}: a non-64-bit symbolic index")
            if k == 0:
                off = off + idx * self.m.size_align(ty)[0]
                continue
            if ty.startswith("[") :
                ty = ty[1:-1].split(" x ", 1)[1]
                off = off + idx * self.m.size_align(ty)[0]
            else:
                if not idx.is_concrete:
                    raise UnsupportedIR(f"{what}: a symbolic struct field index")
                foff, ty = self.m.field_offset(ty, idx.v)
                off = off + foff
        return base.plus(off)

    def _call(self, fn: Function, ins: Instr, env: dict, path: Path, what: str) -> Value:
        callee = ins.ops[-1]
        if callee.kind == "unsupported":
            raise UnsupportedIR(f"{what}: {callee.name} is not modelled")
        if callee.kind != "func":
            raise UnsupportedIR(f"{what}: an indirect call")
        name = callee.name
        args = [self.value(env, path, r, what) for r in ins.ops[:-1]]
        if name.startswith("llvm.lifetime.") or name.startswith("llvm.dbg."):
            return None
        if name.startswith("llvm.memset."):
            return self._memset(path, args, what)
        if name.split(".")[:2] in (["llvm", "umax"], ["llvm", "umin"]):  # gfn_max, gfn_min at -O1
            a, b = args
            if not (isinstance(a, Word) and isinstance(b, Word)):
                raise UnsupportedIR(f"{what}: {name} of something other than two integers")
            return ite(a > b, a, b) if name.startswith("llvm.umax") else ite(a < b, a, b)
        if name in self.summaries:
            v = self.summaries[name](self, path, args, what)
            if v is not NOT_SUMMARISED:
                return v
        target = self.m.functions.get(name)
        if target is not None and not target.declaration:
            return self.inline(target, args, path, what)
        return self.stubs.call(self, path, name, args, what)

    def _memset(self, path: Path, args: list, what: str) -> None:
        dest, byte, n = args[0], args[1], args[2]
        if not (byte.is_concrete and byte.v == 0 and n.is_concrete):
            raise UnsupportedIR(f"{what}: memset of a symbolic value or length")
        if isinstance(dest, Ptr) and dest.region == "frame" and n.v == PAGE_BYTES:
            self.require(path, dest.off == 0, f"clear_page of a whole frame ({what})")
            path.mem = path.mem.clear(path.pc, dest.base.trunc(FRAME_BITS))
            return None
        if isinstance(dest, Ptr) and dest.region == "obj" and dest.off.is_concrete and n.v % 8 == 0:
            cells = dict(path.objs[dest.base])
            for o in range(dest.off.v, dest.off.v + n.v, 8):
                cells[o] = bv(0, 64)
            path.objs[dest.base] = cells
            return None
        raise UnsupportedIR(f"{what}: memset of this shape")

    def inline(self, target: Function, args: list, path: Path, what: str) -> Value:
        """Run a defined callee and merge its returning paths into `path`."""
        before = len(self.outcomes)
        sub = replace(path, local=TRUE, visits={})  # loop bounds count per call
        self.stack.append(target.name)
        try:
            results = self.run(target, args, sub)
        finally:
            self.stack.pop()
        if not results:
            path.pc = FALSE  # every path stopped inside: the caller's path ends too
            raise _Dead()
        escaped = len(self.outcomes) > before
        merged, value = self.merge(results, what)
        cover = any_of(p.local for p, _ in results) if escaped else TRUE
        path.pc, path.local = path.pc & cover, path.local & cover
        if not cover.is_concrete:
            path.conds = path.conds + (cover,)
        path.mem, path.objs, path.ghost = merged.mem, merged.objs, merged.ghost
        return value

    def merge(self, results: list, what: str) -> tuple[Path, Value]:
        """One path for several, selected by their `local` conditions (exclusive)."""
        last, value = results[-1]
        objs, ghost = dict(last.objs), dict(last.ghost)
        mem = Memory.merge_all([(p.local, p.mem) for p, _ in results])
        for p, v in reversed(results[:-1]):
            c = p.local
            value = ite_value(c, v, value, what) if v is not None else None
            for oid in set(objs) | set(p.objs):
                a, b = p.objs.get(oid, {}), objs.get(oid, {})
                objs[oid] = {o: merge_cell(c, a.get(o, b.get(o)), b.get(o, a.get(o)), what)
                             for o in set(a) | set(b)}
            ghost = {k: ite_value(c, p.ghost[k], ghost[k], what) for k in ghost}
        return replace(last, mem=mem, objs=objs, ghost=ghost), value


def substitute(v, sub: dict) -> object:
    """An executor value with pysmt symbols replaced (folded to a constant when it becomes one)."""
    if not sub or v is None or isinstance(v, Conflict):
        return v
    if isinstance(v, Ptr):
        base = substitute(v.base, sub) if isinstance(v.base, Word) else v.base
        return replace(v, base=base, off=substitute(v.off, sub), null=substitute(v.null, sub))
    if v.is_concrete:
        return v
    n = S.simplify(S.substitute(v.node(), sub))
    if isinstance(v, Word):
        return Word(n.constant_value() if n.is_bv_constant() else n, v.width)
    return Bool(n.constant_value() if n.is_bool_constant() else n)


#: what a summary returns for a call it does not stand for (the callee is inlined)
NOT_SUMMARISED = object()


class _Dead(Exception):
    """Every path of an inlined callee stopped: the caller's path is over."""


def signed(w: Word) -> int:
    v = int(w)
    return v - (1 << w.width) if v >> (w.width - 1) else v


BINOPS: dict[str, Callable] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "shl": lambda a, b: a << b, "lshr": lambda a, b: a >> b,
    "ashr": lambda a, b: Word(S.BVAShr(a.node(), b.node()), a.width)
    if not (a.is_concrete and b.is_concrete) else bv(signed(a) >> min(b.v, a.width), a.width),
}
BOOL_OPS: dict[str, Callable] = {"and": lambda a, b: a & b, "or": lambda a, b: a | b,
                                 "xor": lambda a, b: a ^ b}
UNSIGNED: dict[str, Callable] = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
                                 "ult": lambda a, b: a < b, "ule": lambda a, b: a <= b,
                                 "ugt": lambda a, b: a > b, "uge": lambda a, b: a >= b}
SIGNED = {"slt": S.BVSLT, "sle": S.BVSLE, "sgt": S.BVSGT, "sge": S.BVSGE}
SIGNED_CONCRETE = {"slt": lambda a, b: a < b, "sle": lambda a, b: a <= b,
                   "sgt": lambda a, b: a > b, "sge": lambda a, b: a >= b}


def execute(module: Module, fn_name: str, args: list, path: Path, stubs, *,
            globals_init: Optional[dict] = None, cut: Optional[tuple[str, str]] = None,
            start: Optional[tuple] = None, restart: Optional[Callable] = None,
            feasibility: bool = True, observer: Optional["Observer"] = None,
            summaries: Optional[dict] = None) -> Summary:
    """Run `fn_name` to the end of every path and merge the outcomes.

    `cut`: (function, loop header block), wherever that function is inlined: a path entering
    the header ends there as a "cut" outcome with the header's phi values.  `start`:
    (block, env) to begin inside the function.  `restart(executor, path) -> {"mem",
    "ghost", "phis"}`: the first path to reach the cut header begins there again from
    that state (one loop iteration from a loop state, with the prologue's values); only
    what happens after the restart is summarised.  `summaries`: callee name ->
    summary(executor, path, args, what), run in place of the callee (a unit proved
    already standing for its call, e.g. the next level of a recursion).
    """
    fn = module.functions.get(fn_name)
    if fn is None or fn.declaration:
        raise UnsupportedIR(f"function {fn_name} is not defined in this C file")
    ex = Executor(module, stubs, globals_init=globals_init, feasibility=feasibility, observer=observer)
    ex.summaries = dict(summaries or {})
    ex.entry_fn = fn_name
    ex.stack.append(fn_name)
    ex.restart = restart
    ex.cut = cut
    for name in ex.globals_init:  # every initialised global is there from the start
        ex.global_ptr(path, name)
    if callable(args):  # arguments that need the executor (e.g. a stack slot to point at)
        args = args(ex, path)
    try:
        try:
            for p, v in ex.run(fn, args, path, start):
                ex.outcomes.append(Outcome("return", p, v))
        except _Dead:
            pass
        return summarize(ex, path)
    finally:
        ex.feasible.close()


def summarize(ex: Executor, start: Path) -> Summary:
    phase = 1 if ex.restart is not None else 0
    if phase and not ex.restarted:
        raise UnsupportedIR(f"{ex.entry_fn}: no path reaches the loop header to restart at")
    outs = [o for o in ex.outcomes if not (o.path.pc.is_concrete and not o.path.pc.v)
            and o.path.phase == phase]
    if not outs:
        raise UnsupportedIR(f"{ex.entry_fn}: no path leaves the function")
    paths = [replace(o.path, local=o.path.pc) for o in outs]
    merged, _ = ex.merge([(p, None) for p in paths], ex.entry_fn)
    kinds = {k: any_of(p.pc for p, o in zip(paths, outs) if o.kind == k) for k in ("return", "stop", "cut")}
    rets = [(p, o.value) for p, o in zip(paths, outs) if o.kind == "return" and o.value is not None]
    ret = ex.merge(rets, ex.entry_fn)[1] if rets else None
    cuts = [(p, o.value) for p, o in zip(paths, outs) if o.kind == "cut"]
    cut_values = ex.merge(cuts, ex.entry_fn)[1] if cuts else {"phis": {}, "env": {}}
    stops = [(p.pc, o.value) for p, o in zip(paths, outs) if o.kind == "stop"]
    return Summary(kinds["return"], kinds["stop"], kinds["cut"], ret, merged.mem, merged.objs,
                   merged.ghost, cut_values["phis"], cut_values["env"], stops,
                   [(c, w) for ph, c, w in ex.safety if ph == phase],
                   [(c, w) for ph, c, w in ex.assumptions if ph == phase],
                   len(outs), dict(ex.objects), dict(ex.global_ids))
