"""The state of the RISC-V hypervisor page-table machine and one step's execution.

A `State` is what persists between steps: page-table memory, the frame
allocator, the call in progress (pt_update's loop variables are state, so one
loop iteration is one atomic step) and ghost state (TLB staleness, the level
and parent of each table page handed out).

An `Exec` is one step in progress: the code under a *guard* (`Bool`) reads and
writes through it, so the same model code runs concretely and symbolically.
It records what the step did (writes with their level and old value, descents
of Xen's walker) for the transition invariants in `proofs/systems/riscv_pt/theorem.py`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from model.memory import FRAME_BITS, Memory
from model.riscv.pte import PAGETABLE_ORDER, Mode
from model.term import FALSE, TRUE, Bool, Word, bv, ite

# pc: where the machine is between steps
PC_IDLE, PC_LOOP, PC_HALTED = 0, 1, 2

# The public entry points (`op`), in the order reports list them.
OP_MAP, OP_DESTROY, OP_POPULATE, OP_MODIFY = 0, 1, 2, 3
OPS = {
    OP_MAP: "map_pages_to_xen",
    OP_DESTROY: "destroy_xen_mappings",
    OP_POPULATE: "populate_pt_range",
    OP_MODIFY: "modify (pt_update, INVALID_MFN, V set: no wrapper calls it)",
}
OP_IDS = {"map": OP_MAP, "destroy": OP_DESTROY, "populate": OP_POPULATE, "modify": OP_MODIFY}
OP_NAMES = {v: k for k, v in OP_IDS.items()}

# errno values as the C code returns them (negated)
EINVAL, ENOMEM, ENOENT, EOPNOTSUPP = 22, 12, 2, 95
ERRNO_NAMES = {0: "0", -EINVAL: "-EINVAL", -ENOMEM: "-ENOMEM", -ENOENT: "-ENOENT",
               -EOPNOTSUPP: "-EOPNOTSUPP"}
RC_BITS = 32

INVALID_MFN = (1 << 64) - 1
W64 = 64
LEVEL_BITS = 3
#: width of a step's count of tables mapped and not yet unmapped (map_table /
#: unmap_table); a step maps at most a handful, so the count never wraps
MAPPED_BITS = 4
#: xen/include/xen/pmap.h: the PMAP slots map_table uses in early boot
NUM_FIX_PMAP = 8


def level_pages(level: Word, levels: int) -> Word:
    """1 << (9 * level) as a 64-bit Word, for a level below `levels` (no multiplier)."""
    pages = bv(1, 64)
    for lvl in range(1, levels):
        pages = ite(level == lvl, bv(1 << (PAGETABLE_ORDER * lvl), 64), pages)
    return pages


#: a stale span that only a flush of the whole address space covers
ALL_PAGES = (bv(0, W64), bv((1 << 64) - 1, W64))


def entry_span(vfn: Word, pages: Word) -> tuple[Word, Word]:
    """(first, last) page of the `pages`-page entry (a power of two) that translates `vfn`."""
    lo = vfn & ~(pages - 1)
    return lo, lo + (pages - 1)


def flush_covers(lo: Word, hi: Word, va: Word, size: Word) -> Bool:
    """A flush of the bytes [va, va + size) reaches every page of [lo, hi] (vfns); a range
    that wraps (va + size <= va) reaches none."""
    end = va + size
    return (va < end) & ((va >> 12) <= lo) & (hi <= ((end - 1) >> 12))


def rc_word(v: int) -> Word:
    return bv(v, RC_BITS)


def rc_value(w: Word) -> int:
    """Signed value of a concrete return code."""
    v = int(w)
    return v - (1 << RC_BITS) if v >> (RC_BITS - 1) else v


@dataclass(frozen=True)
class Geometry:
    """The bounds of a model instance; printed in every result."""

    mode: Mode
    pool: int = 4  # table pages the allocator can hand out (then allocation fails)
    root: int = 0x1000  # the root table's frame (from satp)
    pool_base: int = 0x1001  # frames handed out in order from here

    @property
    def levels(self) -> int:
        return self.mode.levels

    @property
    def top(self) -> int:  # HYP_PT_ROOT_LEVEL
        return self.mode.levels - 1

    def bounds(self) -> dict:
        return {"mode": self.mode.name, "levels": self.levels, "pool": self.pool,
                "entry_bits": 64, "index_bits": PAGETABLE_ORDER}


@dataclass(frozen=True)
class Call:
    """One API call's arguments (meaning depends on op; see model OPS)."""

    op: Word  # 3 bits
    a: tuple  # four 64-bit Words


@dataclass(frozen=True)
class State:
    mem: Memory
    next_free: Word  # 8 bits: pool pages handed out so far
    pool_level: tuple  # ghost: level of each pool page (3-bit Words)
    pool_parent: tuple  # ghost: (frame, index) of the entry that links each pool page
    pc: Word  # 2 bits
    op: Word  # the call in progress (or last call)
    start: Word  # first vfn of the requested range
    nr: Word  # pages requested
    vfn: Word
    mfn: Word
    flags: Word
    rc: Word
    tlb_stale: Bool  # ghost: an entry changed since the last fence or flush that covers it
    applied: Bool  # ghost: this call has changed a leaf-level entry
    stale_lo: Word  # ghost: the first stale page (vfn) since the last flush, when tlb_stale
    stale_hi: Word  # ghost: the last stale page (vfn, inclusive)

    @property
    def left(self) -> Word:
        """pt_update's `left`.  The C code keeps it in a variable updated by the
        same amount as `vfn`, so it always equals nr - (vfn - start) modulo 2**64;
        deriving it states that fact once instead of leaving it to the solver."""
        return self.nr - (self.vfn - self.start)

    def allocated(self, geo: Geometry, frame: Word) -> Bool:
        """frame is the root or a pool page the allocator has handed out."""
        k = frame - geo.pool_base
        in_pool = (frame >= geo.pool_base) & (k < self.next_free.zext(FRAME_BITS))
        return (frame == geo.root) | in_pool

    def level_of(self, geo: Geometry, frame: Word) -> Word:
        lvl = bv(geo.top, LEVEL_BITS)
        for k in range(geo.pool):
            lvl = ite(frame == geo.pool_base + k, self.pool_level[k], lvl)
        return lvl

    def parent_of(self, geo: Geometry, frame: Word) -> tuple:
        p = (bv(0, FRAME_BITS), bv(0, 9))
        for k in range(geo.pool):
            p = ite(frame == geo.pool_base + k, self.pool_parent[k], p)
        return p


def initial_state(geo: Geometry) -> State:
    """The root allocated and empty, nothing else: where every real trace starts."""
    z64 = bv(0, W64)
    return State(
        mem=Memory.zero(),
        next_free=bv(0, 8),
        pool_level=tuple(bv(0, LEVEL_BITS) for _ in range(geo.pool)),
        pool_parent=tuple((bv(0, FRAME_BITS), bv(0, 9)) for _ in range(geo.pool)),
        pc=bv(PC_IDLE, 2), op=bv(0, 3), start=z64, nr=z64, vfn=z64, mfn=z64,
        flags=z64, rc=rc_word(0), tlb_stale=FALSE, applied=FALSE, stale_lo=z64, stale_hi=z64,
    )


@dataclass
class WriteRec:
    guard: Bool
    frame: Word
    idx: Word
    level: Word  # the level of the table the entry is in
    old: Word
    new: Word
    why: str  # "create_table" or "pt_update_entry"


@dataclass
class DescentRec:
    """Xen's walker followed `entry` (at `level`) as a pointer to a table."""

    guard: Bool
    frame: Word
    idx: Word
    level: int
    entry: Word


@dataclass
class Exec:
    """One step in progress over a copy of the pre-state."""

    geo: Geometry
    state: State
    halted: Bool = field(default_factory=lambda: FALSE)
    asserts: list = field(default_factory=list)  # (guard & ~cond, what)
    writes: list = field(default_factory=list)
    descents: list = field(default_factory=list)
    #: tables this step mapped (map_table) and has not unmapped (unmap_table)
    mapped: Word = field(default_factory=lambda: bv(0, MAPPED_BITS))
    #: the TLB flushes this step issued: (guard, va, size) each
    flushes: list = field(default_factory=list)

    @property
    def root(self) -> Word:
        return bv(self.geo.root, FRAME_BITS)

    def read(self, frame: Word, idx: Word) -> Word:
        return self.state.mem.read(frame, idx)

    def write(self, g: Bool, frame: Word, idx: Word, level, value: Word, why: str,
              span: Optional[tuple] = None, stale: Optional[Bool] = None) -> None:
        """`span`: (first, last) page the entry translates (None: every page, which only a
        flush of the whole address space covers); `stale`: whether a change of this entry
        can be cached stale (None: any change can, RISC-V's rule)."""
        g = g & ~self.halted
        level = level if isinstance(level, Word) else bv(level, LEVEL_BITS)
        old = self.read(frame, idx)
        self.writes.append(WriteRec(g, frame, idx, level, old, value, why))
        s = self.state
        self.state = replace(s, mem=s.mem.write(g, frame, idx, value))
        changed = g & (old != value) & (TRUE if stale is None else stale)
        self.mark_stale(changed, *(span or ALL_PAGES))

    def mark_stale(self, changed: Bool, lo: Word, hi: Word) -> None:
        """Add the pages [lo, hi] to the stale hull when `changed`."""
        s = self.state
        new_lo = ite(s.tlb_stale & (s.stale_lo <= lo), s.stale_lo, lo)
        new_hi = ite(s.tlb_stale & (s.stale_hi >= hi), s.stale_hi, hi)
        self.state = replace(s, tlb_stale=s.tlb_stale | changed, stale_lo=ite(changed, new_lo, s.stale_lo),
                             stale_hi=ite(changed, new_hi, s.stale_hi))

    def flush(self, g: Bool, covered: Bool) -> None:
        """A flush under `g` that reaches every stale page when `covered`: the ghost is clean
        after it; one that misses some leaves the hull as it was (a stale page survives)."""
        s = self.state
        self.state = replace(s, tlb_stale=s.tlb_stale & ~(g & ~self.halted & covered))

    def clear(self, g: Bool, frame: Word) -> None:
        s = self.state
        self.state = replace(s, mem=s.mem.clear(g & ~self.halted, frame))

    def alloc(self, g: Bool, level: int, parent: tuple) -> tuple[Bool, Word]:
        """alloc_domheap_page(): a pool page for a table at `level`, or failure."""
        s = self.state
        ok = s.next_free < self.geo.pool
        frame = s.next_free.zext(FRAME_BITS) + self.geo.pool_base
        take = g & ok & ~self.halted
        lv = tuple(ite(take & (s.next_free == k), bv(level, LEVEL_BITS), s.pool_level[k])
                   for k in range(self.geo.pool))
        pp = tuple(ite(take & (s.next_free == k), parent, s.pool_parent[k])
                   for k in range(self.geo.pool))
        self.state = replace(s, next_free=ite(take, s.next_free + 1, s.next_free),
                             pool_level=lv, pool_parent=pp)
        return ok, frame

    def assert_(self, g: Bool, cond: Bool, what: str) -> None:
        """Xen's ASSERT(): a debug build stops here; the step halts the machine."""
        fail = g & ~self.halted & ~cond
        self.asserts.append((fail, what))
        self.halted = self.halted | fail

    def map_table(self, g: Bool) -> None:
        """map_table(): a table mapped (in early boot one of the NUM_FIX_PMAP PMAP
        slots, pmap_map; after it map_domain_page)."""
        self.mapped = ite(g & ~self.halted, self.mapped + 1, self.mapped)

    def unmap_table(self, g: Bool, null: Bool = FALSE) -> None:
        """unmap_table(table): releases a mapping, and does nothing for NULL."""
        self.mapped = ite(g & ~self.halted & ~null, self.mapped - 1, self.mapped)

    def descend(self, g: Bool, frame: Word, idx: Word, level: int, entry: Word) -> None:
        self.descents.append(DescentRec(g & ~self.halted, frame, idx, level, entry))

    def set(self, g: Bool, **fields) -> None:
        """Assign state fields under a guard."""
        s = self.state
        self.state = replace(s, **{k: ite(g, v, getattr(s, k)) for k, v in fields.items()})


@dataclass
class Step:
    """What one step did: the transition invariants read this."""

    pre: State
    post: State
    kind: Bool  # True: a call started (prologue); False: a loop iteration
    call: Optional[Call]
    writes: list
    descents: list
    asserts: list
    level: Word  # the level the iteration updated (iterations only)
    chunk_vfn: Word  # first vfn the iteration covered
    chunk_mfn: Word
    ended: Bool  # the call returned in this step
    #: tables the step left mapped (map_table without unmap_table); None: not
    #: modelled for this machine
    mapped: Optional[Word] = None
    #: the step's TLB flushes, (guard, va, size) each; None: not recorded for this machine
    flushes: Optional[list] = None
