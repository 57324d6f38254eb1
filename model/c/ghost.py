"""The ghost state of one step of lifted pt.c, reconstructed from its execution.

The invariants read, besides memory, what a step did: each entry written with the
level of its table and the function that wrote it, each entry Xen's walker
followed as a pointer (a descent) and its level, and each table page handed out
with the level and the entry it was linked from.  The C shows none of these as
values; `StepGhost` watches the lifted execution for them (it is the executor's
`Observer` and wraps the stubs, `model/c/stubs.py`):

* a **descent** is a frame mapped (`map_table` -> the shim's `ptprove_frame`) while
  `pt_next_level` runs (and `create_table`, which maps the page it clears, does
  not); the entry followed is the last page-table entry the path loaded;
* the **level** is the walk's depth: a frame mapped outside `pt_next_level` and
  `create_table` (the root, from satp) starts a walk at the root's level, each
  descent goes one level down; so a write's level is the level of the table the
  walk has reached, whatever the table page's own history;
* a **hand-out** is `alloc_domheap_page` succeeding: the page is for the level
  below the walk's, and its parent is the entry `create_table` writes next.

Each record carries the path condition it happened under (and the executor's
phase, so a run restarted at the loop header keeps only what followed the
restart), so the records are guarded exactly like the model's `Exec` records.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from model.c.execute import Executor, Path, Ptr
from model.c.ir import Function
from model.c.stubs import NEXT_FREE, XenEnv
from model.memory import FRAME_BITS
from model.riscv.machine import MAPPED_BITS
from model.term import FALSE, TRUE, Bool, Word, bv, ite

LEVEL_BITS = 3
DEPTH, LOADED_FRAME, LOADED_IDX, LOADED = "ghost.depth", "ghost.ld_frame", "ghost.ld_idx", "ghost.ld_val"
HANDED_OUT = "ghost.alloc_n"  # the pool index of the page the path allocated last
MAPPED = "ghost.mapped"  # tables mapped (map_table -> ptprove_frame) and not unmapped (ptprove_unmap)
EXITED = "exit.seen"  # the path returned with every watched value defined (through the loop's latch)
WALKER, CREATE = "pt_next_level", "create_table"


@dataclass
class Store:
    phase: int
    guard: Bool
    frame: Word
    idx: Word
    level: Word
    old: Word
    new: Word
    why: str  # the pt.c function that wrote it: create_table, pt_update_entry, ...
    handed_out: Word  # HANDED_OUT when it was written (the page a create_table write links)


@dataclass
class Descent:
    phase: int
    guard: Bool
    frame: Word
    idx: Word
    level: Word
    entry: Word


@dataclass
class HandOut:
    phase: int
    guard: Bool  # the allocation succeeded on this path
    index: Word  # the pool index handed out (8 bits)
    level: Word  # the level of the table it becomes


def initial_ghost(next_free: Word, watched: tuple = ()) -> dict:
    """The path's ghost values at the start of a step (`watched`: values kept at a return)."""
    g = {NEXT_FREE: next_free, DEPTH: bv(0, LEVEL_BITS), LOADED_FRAME: bv(0, FRAME_BITS),
         LOADED_IDX: bv(0, 9), LOADED: bv(0, 64), HANDED_OUT: bv(0, 8), MAPPED: bv(0, MAPPED_BITS)}
    g.update({f"exit.{name}": bv(0, 64) for name in watched})
    g[EXITED] = FALSE
    return g


@dataclass
class StepGhost:
    """Records a step's stores, descents and hand-outs; stubs as `env` gives them."""

    env: XenEnv
    top: int  # the root table's level (HYP_PT_ROOT_LEVEL)
    #: at a return from this function, ghost["exit.<name>"] := the value of SSA name `ssa`
    watch: tuple = ()  # (function, {name: ssa})
    stores: list = field(default_factory=list)
    descents: list = field(default_factory=list)
    handouts: list = field(default_factory=list)

    def level(self, path: Path) -> Word:
        return bv(self.top, LEVEL_BITS) - path.ghost[DEPTH]

    @staticmethod
    def why(ex: Executor) -> str:
        for name in (CREATE, "pt_update_entry"):
            if name in ex.stack:
                return name
        return ex.stack[-1]

    # -- the executor's Observer ------------------------------------------------
    def frame_load(self, ex: Executor, path: Path, frame: Word, idx: Word, value: Word) -> None:
        path.ghost.update({LOADED_FRAME: frame, LOADED_IDX: idx, LOADED: value})

    def frame_store(self, ex: Executor, path: Path, frame: Word, idx: Word, old: Word, new: Word) -> None:
        self.stores.append(Store(path.phase, path.pc, frame, idx, self.level(path), old, new, self.why(ex),
                                 path.ghost[HANDED_OUT]))

    def returned(self, ex: Executor, path: Path, fn: Function, env: dict) -> None:
        if self.watch and fn.name == self.watch[0]:
            values = {name: env.get(ssa) for name, ssa in self.watch[1].items()}
            if all(isinstance(v, Word) for v in values.values()):
                for name, v in values.items():
                    path.ghost[f"exit.{name}"] = v.zext(64) if v.width < 64 else v
                path.ghost[EXITED] = TRUE

    # -- the stubs, recorded ------------------------------------------------------
    def call(self, ex: Executor, path: Path, name: str, args: list, what: str) -> object:
        if name in ("ptprove_frame", "ptprove_unmap"):  # map_table / unmap_table of a table
            path.ghost[MAPPED] = path.ghost[MAPPED] + (1 if name == "ptprove_frame" else -1)
        if name == "ptprove_frame" and CREATE not in ex.stack:
            if WALKER in ex.stack:
                g = path.ghost
                self.descents.append(Descent(path.phase, path.pc, g[LOADED_FRAME], g[LOADED_IDX],
                                             self.level(path), g[LOADED]))
                g[DEPTH] = g[DEPTH] + 1
            else:
                path.ghost[DEPTH] = bv(0, LEVEL_BITS)  # a walk starts at the root
        before = path.ghost[NEXT_FREE] if name == "alloc_domheap_page" else None
        out = self.env.call(ex, path, name, args, what)
        if before is not None:
            ok = ~out.is_null if isinstance(out, Ptr) else Bool(False)
            self.handouts.append(HandOut(path.phase, path.pc & ok, before, self.level(path) - 1))
            path.ghost[HANDED_OUT] = ite(ok, before, path.ghost[HANDED_OUT])
        return out

    def of_phase(self, phase: int) -> tuple[list, list, list]:
        """(stores, descents, hand-outs) of one phase, in the order they happened."""
        pick = lambda xs: [x for x in xs if x.phase == phase]  # noqa: E731
        return pick(self.stores), pick(self.descents), pick(self.handouts)
