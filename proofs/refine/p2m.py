"""The refinement obligations of RISC-V p2m.c: each function run as lifted C and as the
p2m model (`model/riscv/p2m_upstream.py`) on the same inputs, compared output by output.

p2m.c is staged as its C harness stages it (`proofs/systems/p2m/c_harness.py`: the
shim `ptprove_p2m_shim.h`, PAGETABLE_ORDER = the model's index bits, so every loop
and P2M_* macro has the table width the result states) and compiled inside
`proofs/c/ptprove_p2m_lift.c`; its undefined functions are `model.c.p2m_env`'s.

The pre-state is one arbitrary C state (every frame's memory, each table page's
page_info fields, the pool, the watched frame's references) and the model's state is
read off it (`abstract`): a table page's entries are its frame, a metadata slot the
low 4 bits of byte 4 * index of the page's metadata page (`struct md_t`), the page
fields the model keeps are the ones of the C.  The post-states are compared the same
way: the table pages in use (a root page, or a pool page in use that is no metadata
page, as the harness compares them), the metadata slots of every page that has a
metadata page, each page's metadata page and used_entries, the pool, the references,
domain_crash, the allocation attempts, and whether the C maps a NULL metadata page
where the model flags it.
"""
from __future__ import annotations

import hashlib
import itertools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from model.c import p2m_env as E
from model.c.execute import Path as CPath
from model.c.execute import NOT_SUMMARISED, Executor, Ptr, Summary, execute
from model.c.ir import Function, UnsupportedIR, parse_module
from model.c.toolchain import compile_to_ir
from model.memory import FRAME_BITS, Memory
from model.riscv.p2m_state import (MAX_SUPPORTED_LEVEL, MFN_BITS, NO_MD, PT_FRAME_BASE, REF_BITS, ROOT_PAGES, TYPE_BITS, USED_BITS,
                                   USED_LIMIT,
                                   Oracle, P2MGeometry, P2MState)
from model.term import FALSE, TRUE, Bool, Word, all_of, any_of, bv, ite, sym_word
from proofs.c_harness import HERE as C_DIR
from proofs.c_harness import stage_headers
from proofs.errors import UsageError
from model.riscv.p2m_upstream import rc
from proofs.refine.obligations import Built, Claim, Obligation, slot_args, word_eq
from proofs.refine.sources import SHARED, LiftedC

UPSTREAM_P2M_C = SHARED / "xen" / "upstream" / "xen" / "arch" / "riscv" / "p2m.c"
SHIM = "ptprove_p2m_shim.h"
LIFT_UNIT = "ptprove_p2m_lift.c"
#: the versions whose p2m.c is at hand, and where (v5, v2: partial patches in seeds 003, 004)
VERSIONS = ("riscv-p2m-upstream",)
ATTEMPTS = 3  # allocation attempts a unit's inputs decide (p2m_set_type makes at most one)


def lift_p2m(c_source: Path, idx_bits: int, cc: Optional[str] = None) -> LiftedC:
    """Compile `c_source` (a p2m.c) with its harness's shim at `idx_bits` index bits and parse its IR."""
    c_source = Path(c_source)
    if not c_source.is_file():
        raise UsageError(f"{c_source}: no such C file")
    data = c_source.read_bytes()
    with tempfile.TemporaryDirectory(prefix="ptprove-lift-p2m-") as tmp:
        d = Path(tmp)
        stage_headers(data.decode("utf-8", errors="replace"), d / "include", SHIM)
        shutil.copy(c_source, d / "p2m.c")
        shutil.copy(C_DIR / LIFT_UNIT, d / LIFT_UNIT)
        build = compile_to_ir(d / LIFT_UNIT, include_dirs=[d, d / "include"],
                              defines=[f"PTPROVE_PAGETABLE_ORDER={idx_bits}"], pre_includes=[SHIM], cc=cc,
                              shown_as=str(c_source))
    return LiftedC(c_source, hashlib.sha256(data).hexdigest(), build, parse_module(build.text))


@dataclass
class P2MSetup:
    """One p2m version's lifted C and model, and the geometry both run in."""

    version: str
    lifted: LiftedC
    model: object
    geo: P2MGeometry

    def fn(self, name: str) -> Function:
        return self.lifted.function(name)

    def bounds(self) -> dict:
        return {**self.lifted.bounds(), **self.geo.bounds(), "index_bits": self.geo.idx_bits}

    def offset(self, name: str) -> int:
        """A field offset or size of LAYOUT, as the compiler laid the structure out."""
        return layout(self.lifted)[name]


#: `ptprove_layout` of proofs/c/ptprove_p2m_lift.c, in order
LAYOUT = ("p2m_domain.pages", "p2m_domain.mode", "p2m_domain.domain", "p2m_domain.need_flush",
          "p2m_domain.clean_dcache", "sizeof p2m_domain", "domain.dirty_cpumask", "sizeof domain",
          "gstage_mode_desc.paging_levels", "sizeof gstage_mode_desc", "p2m_pte_ctx.p2m",
          "p2m_pte_ctx.pt_page", "p2m_pte_ctx.index", "p2m_pte_ctx.level", "sizeof p2m_pte_ctx",
          "sizeof page_info", "page_info.mfn", "page_info.listed", "page_info.used_entries",
          "page_info.md_pg", "p2m_domain.lock.writers", "p2m_domain.root",
          "p2m_domain.max_mapped_gfn", "p2m_domain.lowest_mapped_gfn", "domain.is_dying")


def layout(lifted: LiftedC) -> dict[str, int]:
    """name -> bytes, read from the initialiser of `ptprove_layout` in the IR."""
    import re
    m = re.search(r"^@ptprove_layout = .*?\[((?:i64 \d+(?:, )?)+)\]", lifted.build.text, re.M)
    values = [int(x) for x in re.findall(r"i64 (\d+)", m.group(1))] if m else []
    if len(values) != len(LAYOUT):
        raise UnsupportedIR(f"{lifted.path}: the structure layout (ptprove_layout) is not in the IR")
    return dict(zip(LAYOUT, values))


# ---------------------------------------------------------------------------
# the state: inputs, the model's view of the C's, the environment


def state_inputs(geo: P2MGeometry, attempts: int = ATTEMPTS) -> dict:
    out: dict = {}
    for p in range(geo.pages):
        out[f"md_pg{p}"], out[f"used{p}"] = 16, USED_BITS
    for q in geo.pool_pages():
        out[f"free{q}"] = 0
    out.update({"refs": REF_BITS, "watch": MFN_BITS, "need_flush": 0})
    out.update({f"allocfail{k + 1}": 0 for k in range(attempts)})
    out.update(cell_page=16, cell_idx=16)  # the table cell and metadata slot compared (any one)
    return out


class InputOracle(Oracle):
    """The model's allocation oracle reading the unit's inputs (the C's stub reads the same)."""

    def __init__(self, fails: list):
        super().__init__()
        self.inputs = fails

    def next(self, g: Bool) -> Bool:
        k = self.made
        self.made = ite(g, k + 1, k)
        return any_of((k == i) & f for i, f in enumerate(self.inputs))


def fails(inp: dict) -> list:
    """The unit's allocation outcomes, one per attempt it decides (allocfail1, ...)."""
    return [inp[f"allocfail{k + 1}"] for k in itertools.takewhile(lambda k: f"allocfail{k + 1}" in inp,
                                                                  itertools.count())]


def md_slot(mem: Memory, md_pg: Word, idx) -> Word:
    """struct md_t md[idx] of the metadata page md_pg: byte 4 * idx, its low 4 bits."""
    byte = (bv(idx, 16) if isinstance(idx, int) else idx).zext(64) * 4
    word = mem.read(E.frame_of(md_pg).trunc(FRAME_BITS), (byte >> 3).trunc(9))
    return ite(md_pg == NO_MD, bv(0, TYPE_BITS), (word >> ((byte & 7) * 8)).trunc(TYPE_BITS))


def table_cells(geo: P2MGeometry, mem: Memory) -> tuple:
    return tuple(mem.read(bv(PT_FRAME_BASE + p, FRAME_BITS), bv(i, 9))
                 for p in range(geo.pages) for i in range(geo.entries))


def abstract(geo: P2MGeometry, mem: Memory, inp: dict) -> P2MState:
    """The model's pre-state, read off the C's."""
    md_pg = tuple(inp[f"md_pg{p}"] for p in range(geo.pages))
    md = tuple(md_slot(mem, md_pg[p], i) for p in range(geo.pages) for i in range(geo.entries))
    n = geo.cells
    return P2MState(geo, table_cells(geo, mem), md, tuple(inp[f"free{q}"] for q in geo.pool_pages()),
                    (FALSE,) * n, (FALSE,) * geo.pool, inp["refs"], inp["watch"], inp["need_flush"],
                    md_page=md_pg, used=tuple(inp[f"used{p}"] for p in range(geo.pages)))


#: what p2m_set_type's unit assumes of every used_entries: twice the step queries' bound, so a
#: caller's unit (a split counting 512 slots) meets it at each call from below the step bound
SET_TYPE_USED_LIMIT = 2 * USED_LIMIT


#: what p2m_free_subtree's unit assumes of every used_entries: nothing (it reads and writes
#: none), so a caller's counts, moved by its own p2m_set_type calls, need meet no bound there
FREE_USED_LIMIT = None


def consistent(geo: P2MGeometry, st: P2MState, used_limit: Optional[int] = USED_LIMIT) -> list:
    """What p2m.c's pages are between calls (p2m_set_type takes a metadata page from the
    pool and it is no other page's), as assumptions; `used_limit` None: no bound on the
    used_entries counts."""
    out = [] if used_limit is None else [
        (all_of(u < used_limit for u in st.used),
         f"every used_entries below 2^{used_limit.bit_length() - 1} (the step queries assume 2^62: "
         "nothing resets it, it only grows)")]
    for p, md in enumerate(st.md_page):
        pool = any_of((md == q) & ~st.free[q - ROOT_PAGES] for q in geo.pool_pages())
        out.append((((md == NO_MD) | pool) & (md != p),
                    "a table page's metadata page is none or a pool page in use, not the page itself"))
        if p >= ROOT_PAGES:
            out.append((st.free[p - ROOT_PAGES].implies(md == NO_MD),
                        "a free pool page has no metadata page (p2m_free_table frees it first)"))
        for r in range(p + 1, geo.pages):
            out.append(((md == NO_MD) | (md != st.md_page[r]), "no two table pages share a metadata page"))
        for q in geo.pool_pages():
            out.append((((md == q) & (p != q)).implies(st.md_page[q] == NO_MD),
                        "a metadata page has none itself (it is no table page: it came free from the pool)"))
    return out


def not_md_page(st: P2MState, page: Word) -> Bool:
    return all_of(md != page for md in st.md_page)


def environment(setup: P2MSetup, inp: dict) -> E.P2MEnv:
    """The stubs of one run (a unit without the pool's inputs: every allocation succeeds)."""
    o = setup.offset
    fields = {o("page_info.mfn"): "mfn", o("page_info.listed"): "listed",
              o("page_info.used_entries"): "used_entries", o("page_info.md_pg"): "md_pg"}
    return E.P2MEnv(setup.geo.pages, inp.get("watch", bv(0, MFN_BITS)).zext(64),
                    fails(inp) if "allocfail1" in inp else [], o("sizeof page_info"), fields)


def ghost_of(setup: P2MSetup, inp: dict) -> dict:
    """The page fields from the inputs (a unit that reads none has none: no metadata page
    anywhere, the pool free)."""
    geo = setup.geo
    return E.initial_ghost(geo.pages, [inp.get(f"md_pg{p}", bv(NO_MD, 16)) for p in range(geo.pages)],
                           [inp.get(f"used{p}", bv(0, USED_BITS)) for p in range(geo.pages)],
                           [inp.get(f"free{q}", TRUE) for q in geo.pool_pages()], inp.get("refs", bv(0, REF_BITS)))


def p2m_objects(setup: P2MSetup, inp: dict, page: Optional[Word] = None, idx: Optional[Word] = None,
                level: int = 0) -> Callable:
    """The C's `struct p2m_domain` (its domain, G-stage mode, need_flush, clean_dcache 0) and,
    with `page`, a `struct p2m_pte_ctx` for the entry at (page, idx) of a level-`level` table."""
    def make(ex, path) -> dict:
        o = setup.offset
        mode = ex.new_object(path, "struct gstage_mode_desc", {
            o("gstage_mode_desc.paging_levels"): bv(setup.geo.root_level, 32)}, size=o("sizeof gstage_mode_desc"))
        mask = ex.new_object(path, "cpumask_t d->dirty_cpumask", {0: bv(1, 64)})
        dom = ex.new_object(path, "struct domain", {
            o("domain.dirty_cpumask"): mask,
            o("domain.is_dying"): ite(inp.get("is_dying", FALSE), bv(1, 8), bv(0, 8))}, size=o("sizeof domain"))
        p2m = ex.new_object(path, "struct p2m_domain", {
            o("p2m_domain.lock.writers"): bv(1, 32),  # the caller holds the write lock
            o("p2m_domain.root"): Ptr("record", E.frame_of(bv(0, 16)), bv(0, 64)),  # table pages 0-3
            o("p2m_domain.max_mapped_gfn"): bv(0, 64), o("p2m_domain.lowest_mapped_gfn"): bv(0, 64),
            o("p2m_domain.pages"): bv(0, 32), o("p2m_domain.mode"): mode, o("p2m_domain.domain"): dom,
            o("p2m_domain.need_flush"): ite(inp["need_flush"], bv(1, 8), bv(0, 8)),
            o("p2m_domain.clean_dcache"): bv(0, 8)}, size=o("sizeof p2m_domain"))
        out = {"p2m": p2m}
        if page is not None:
            out["ctx"] = ex.new_object(path, "struct p2m_pte_ctx", {
                o("p2m_pte_ctx.p2m"): p2m,
                o("p2m_pte_ctx.pt_page"): Ptr("record", E.frame_of(page), bv(0, 64)),
                o("p2m_pte_ctx.index"): idx.zext(32) if idx.width < 32 else idx.trunc(32),
                o("p2m_pte_ctx.level"): bv(level, 32)}, size=o("sizeof p2m_pte_ctx"))
        return out
    return make


def run_c(setup: P2MSetup, fn: str, args, mem: Memory, inp: dict, pc: Bool = TRUE,
          summaries: Optional[dict] = None) -> Summary:
    """The lifted C from the C pre-state (`mem`, the inputs' page fields); `pc`: what the
    path assumes from the start (so a branch it excludes is not explored); `summaries`:
    callees a proved unit stands for."""
    path = CPath(pc, pc, mem, {}, ghost_of(setup, inp), conds=() if pc.is_concrete else (pc,))
    return execute(setup.lifted.module, fn, args, path, environment(setup, inp),
                   globals_init={"ptprove_stale": bv(0, 8), "ptprove_messages": bv(0, 64)},
                   summaries=summaries, observer=E.TableBounds(setup.geo.entries))


# ---------------------------------------------------------------------------
# summaries: a unit proved already stands for its function's call (assume-guarantee:
# the call site must meet the unit's assumptions, a memory-safety condition of the caller)


def state_at(setup: P2MSetup, path: CPath, p2m: Ptr, inp: dict) -> P2MState:
    """The model's view of the C's state in the middle of a run (at a call)."""
    geo, g = setup.geo, path.ghost
    view = {f"md_pg{p}": g[E.md_key(p)] for p in range(geo.pages)}
    view.update({f"used{p}": g[E.used_key(p)] for p in range(geo.pages)})
    view.update({f"free{q}": g[E.free_key(q)] for q in geo.pool_pages()})
    flush = path.objs[p2m.base][setup.offset("p2m_domain.need_flush")]
    view.update(refs=g[E.REFS], watch=inp["watch"], need_flush=flush.any())
    return abstract(geo, path.mem, view)


def ctx_fields(setup: P2MSetup, ex: Executor, path: CPath, ctx: Ptr, what: str) -> tuple:
    """(p2m, table page, index, level) of a struct p2m_pte_ctx."""
    o = setup.offset
    at = lambda name, ty: ex.load(path, ctx.plus(bv(o(f"p2m_pte_ctx.{name}"), 64)), ty, what)  # noqa: E731
    p2m, pt = at("p2m", "ptr"), at("pt_page", "ptr")
    if not (isinstance(pt, Ptr) and pt.region == "record" and isinstance(p2m, Ptr)):
        raise UnsupportedIR(f"{what}: a p2m_pte_ctx without a page_info or p2m")
    off = pt.base - PT_FRAME_BASE
    ex.require(path, ~pt.null & (pt.off == 0) & (off < setup.geo.pages),
               f"ctx->pt_page is a modelled table page ({what})")
    return p2m, off.trunc(16), at("index", "i32").zext(32).trunc(16), at("level", "i32")


def require_all(ex: Executor, path: CPath, conds: list, unit: str) -> None:
    for c, why in conds:
        ex.require(path, c, f"{unit}'s assumption at its call: {why}")


def write_back(setup: P2MSetup, path: CPath, p2m: Ptr, post: P2MState) -> None:
    """The page fields, pool, references and events of the model's post-state, into the C's."""
    g = path.ghost
    for p in range(setup.geo.pages):
        g[E.md_key(p)], g[E.used_key(p)] = post.md_page[p], post.used[p]
    for k, q in enumerate(setup.geo.pool_pages()):
        g[E.free_key(q)] = post.free[k]
    g[E.REFS] = post.refs
    g[E.MD_NULL] = g[E.MD_NULL] | post.ev_md_missing
    g[E.OOB] = g[E.OOB] | post.ev_oob
    g[E.CRASH] = g[E.CRASH] | post.ev_crash
    # copy on write, as the executor's stores: a forked path shares its objects' cells
    cells = dict(path.objs[p2m.base])
    cells[setup.offset("p2m_domain.need_flush")] = ite(post.need_flush, bv(1, 8), bv(0, 8))
    path.objs[p2m.base] = cells


def free_subtree_summary(setup: P2MSetup, inp: dict, only: Optional[int] = None) -> Callable:
    """p2m_free_subtree at level `only` (None: at any level, p2m_set_entry's calls), as its
    proved unit (the model's p2m_free_subtree)."""

    def summary(ex: Executor, path: CPath, args: list, what: str):
        _, entry, ctx = args
        p2m, page, idx, lv = ctx_fields(setup, ex, path, ctx, what)
        if not lv.is_concrete or (only is not None and lv.v != only):
            if only is None:
                raise UnsupportedIR(f"{what}: p2m_free_subtree at a level that is not one number on the path")
            return NOT_SUMMARISED
        level = lv.v
        unit = f"p2m_free_subtree level {level}"
        st = state_at(setup, path, p2m, inp)
        # an invalid entry returns at once (`if ( !pte_is_valid(entry) ) return;`), reading
        # nothing of ctx but the level: the unit's assumptions are asked of a valid one
        valid = setup.model.pte_is_valid(entry)
        require_all(ex, path, [(valid.implies(c), w) for c, w in
                               in_tables(setup, page, idx) + consistent(setup.geo, st, FREE_USED_LIMIT)
                               + well_formed_below(setup, st, entry, level, page)
                               + [(not_md_page(st, page), "the entry's table page is no metadata page")]], unit)
        post = setup.model.p2m_free_subtree(st, TRUE, entry, level, page, idx)
        write_back(setup, path, p2m, post)
        path.ghost[E.HFENCES] = path.ghost[E.HFENCES] + ite(post.flushed, bv(1, 8), bv(0, 8))
        return None
    return summary


def set_type_summary(setup: P2MSetup, inp: dict) -> Callable:
    """p2m_set_type as its proved unit (the model's p2m_set_type), metadata page writes included."""
    geo = setup.geo

    def summary(ex: Executor, path: CPath, args: list, what: str):
        pte, t, ctx = args
        p2m, page, idx, _ = ctx_fields(setup, ex, path, ctx, what)
        st = state_at(setup, path, p2m, inp)
        require_all(ex, path, in_tables(setup, page, idx) + p2m_type(t) + consistent(geo, st, SET_TYPE_USED_LIMIT)
                    + [(not_md_page(st, page), "the entry's table page is no metadata page")], "p2m_set_type")
        oracle = InputOracle(fails(inp))
        oracle.made = path.ghost[E.ATTEMPTS]
        post, e = setup.model.p2m_set_type(st, TRUE, ex.load(path, pte, "i64", what), t.trunc(TYPE_BITS),
                                           page, idx, oracle)
        ex.store(path, pte, e, "i64", what)
        # only the entry's table page's metadata page is written: cleared when it is new
        # (clear_and_clean_page), then its slots (a page freed at used_entries 0 got its slot first)
        before, after = st.md_of(page), post.md_of(page)
        mem = path.mem.clear((before == NO_MD) & (after != NO_MD), E.frame_of(after).trunc(FRAME_BITS))
        held = ite(after != NO_MD, after, before)
        for i in range(geo.entries):
            word_at = (E.frame_of(held).trunc(FRAME_BITS), bv((4 * i) // 8, 9))
            shift = (4 * i) % 8 * 8
            new = (mem.read(*word_at) & ~bv(0xF << shift, 64)) | (post.read_md(page, bv(i, 16)).zext(64) << shift)
            mem = mem.write(held != NO_MD, *word_at, new)
        path.mem = mem
        write_back(setup, path, p2m, post)
        path.ghost[E.ATTEMPTS] = oracle.made
        return None
    return summary


#: the p2m_split_superpage calls a proved unit stands for: (level, target)
SPLIT_UNITS = ((1, 0), (2, 1))


def write_tables(setup: P2MSetup, path: CPath, st: P2MState, post: P2MState) -> None:
    """The model's post-state tables into the C's memory: a page newly taken from the pool
    cleared (clear_and_clean_page), every table page's entries, and every metadata page's
    slots (struct md_t: the low 4 bits of byte 4 * index, the rest of the word kept)."""
    geo, mem = setup.geo, path.mem
    for k, q in enumerate(geo.pool_pages()):
        mem = mem.clear(st.free[k] & ~post.free[k], E.frame_of(bv(q, 16)).trunc(FRAME_BITS))
    for p in range(geo.pages):
        table = not_md_page(post, bv(p, 16))
        for i in range(geo.entries):
            mem = mem.write(table, E.frame_of(bv(p, 16)).trunc(FRAME_BITS), bv(i, 9), post.cells[post.cell(p, i)])
    for p in range(geo.pages):
        md = post.md_page[p]
        for i in range(geo.entries):
            word_at = (E.frame_of(md).trunc(FRAME_BITS), bv((4 * i) // 8, 9))
            shift = (4 * i) % 8 * 8
            new = (mem.read(*word_at) & ~bv(0xF << shift, 64)) | (post.read_md(bv(p, 16), bv(i, 16)).zext(64) << shift)
            mem = mem.write(md != NO_MD, *word_at, new)
    path.mem = mem


def split_summary(setup: P2MSetup, inp: dict) -> Callable:
    """p2m_split_superpage at a (level, target) of SPLIT_UNITS as its proved unit (the model's
    p2m_split_superpage); any other (level 2 to 0: the outer call) is inlined."""
    geo, m = setup.geo, setup.model

    def summary(ex: Executor, path: CPath, args: list, what: str):
        p2m, entry, level, target, offsets, tbl = args
        if not (level.is_concrete and target.is_concrete) or (level.v, target.v) not in SPLIT_UNITS:
            return NOT_SUMMARISED
        lv, tg = level.v, target.v
        if not (isinstance(tbl, Ptr) and tbl.region == "record"):
            raise UnsupportedIR(f"{what}: p2m_split_superpage's tbl_pg is not a page_info")
        page_w = tbl.base - PT_FRAME_BASE
        ex.require(path, ~tbl.null & (tbl.off == 0) & (page_w < geo.pages), f"tbl_pg is a modelled table page ({what})")
        tbl_page = page_w.trunc(16)
        # the gfn whose offsets the C passes (calc_offset: each below PAGETABLE_ENTRIES)
        gfn = bv(0, 64)
        for x in range(geo.root_level + 1):
            off = ex.load(path, offsets.plus(bv(4 * x, 64)), "i32", what)
            gfn = gfn | ((off.zext(64) & (geo.entries - 1)) << (geo.idx_bits * x))
        st = state_at(setup, path, p2m, inp)
        e = ex.load(path, entry, "i64", what)
        unit = f"p2m_split_superpage level {lv} to {tg}"
        require_all(ex, path, in_tables(setup, tbl_page, m.offset(gfn, lv)) + consistent(geo, st) + [
            (not_md_page(st, tbl_page), "the entry's table page is no metadata page"),
            (m.pte_is_mapping(e, lv), f"*entry is a superpage at level {lv} (p2m_set_entry's ASSERT)")], unit)
        oracle = InputOracle(fails(inp))
        oracle.made = path.ghost[E.ATTEMPTS]
        post, ok, new = m.p2m_split_superpage(st, TRUE, e, lv, tg, gfn, tbl_page, oracle)
        write_tables(setup, path, st, post)
        write_back(setup, path, p2m, post)
        path.ghost[E.ATTEMPTS] = oracle.made
        ex.store(path, entry, new, "i64", what)
        return ok
    return summary


def c_post(setup: P2MSetup, c: Summary) -> tuple[tuple, tuple, tuple, tuple]:
    """(md_pg per page, used per page, free per pool page, table cells) after the C."""
    geo = setup.geo
    return (tuple(c.ghost[E.md_key(p)] for p in range(geo.pages)),
            tuple(c.ghost[E.used_key(p)] for p in range(geo.pages)),
            tuple(c.ghost[E.free_key(q)] for q in geo.pool_pages()), table_cells(geo, c.mem))


def state_claims(setup: P2MSetup, c: Summary, post: P2MState, oracle: Oracle, cell: tuple,
                 unless: Bool = FALSE, past: Bool = FALSE, bounds_unless: Bool = FALSE) -> list:
    """Every output the model keeps of the C's state: the table entry and metadata slot at
    `cell` (any in-use table page, any index: a free input), every page field; `unless`:
    when the C has stopped (the harness stops at __map_domain_page(NULL)) and only md-null
    is compared; `past`: when the C's reads past a table page read what the model does not
    keep (the model flags ev_oob): then only that is compared (in-bounds); `bounds_unless`:
    when in-bounds is not compared either (a run that went on past a NULL metadata page,
    where the harness stops, reads what it finds there)."""
    md_pg, used, free, _ = c_post(setup, c)
    page, idx = cell
    in_use = (page < ROOT_PAGES) | any_of((page == q) & ~post.free[q - ROOT_PAGES] for q in setup.geo.pool_pages())
    shown = in_use & not_md_page(post, page)
    c_entry = c.mem.read(E.frame_of(page).trunc(FRAME_BITS), idx.trunc(9))
    c_md = bv(NO_MD, 16)
    for p in reversed(range(setup.geo.pages)):
        c_md = ite(page == p, md_pg[p], c_md)
    ran = ~unless & ~past
    return [Claim("in-bounds", (~bounds_unless).implies(c.ghost[E.OOB].iff(post.ev_oob))),
            Claim("tables", ran.implies(shown.implies(c_entry == post.read(page, idx)))),
            Claim("md-slots", ran.implies((post.md_of(page) != NO_MD).implies(
                md_slot(c.mem, c_md, idx) == post.read_md(page, idx)))),
            Claim("md-pages", ran.implies(all_of(a == b for a, b in zip(md_pg, post.md_page)))),
            Claim("used-entries", ran.implies(all_of(a == b for a, b in zip(used, post.used)))),
            Claim("pool", ran.implies(all_of(a.iff(b) for a, b in zip(free, post.free)))),
            Claim("refs", ran.implies(c.ghost[E.REFS] == post.refs)),
            Claim("domain-crash", ran.implies(c.ghost[E.CRASH].iff(post.ev_crash))),
            Claim("allocator", ran.implies(c.ghost[E.ATTEMPTS] == oracle.made)),
            Claim("md-null", (~past).implies(c.ghost[E.MD_NULL].iff(post.ev_md_missing))),
            Claim("stops", ~c.stopped),
            Claim("memory-safe", ran.implies(c.safety_holds()))]


def assumptions(c: Summary, extra: list) -> list:
    return list(extra) + list(c.assumptions)


def chosen(setup: P2MSetup, inp: dict) -> tuple:
    return inp["cell_page"], inp["cell_idx"]


def chosen_cell(setup: P2MSetup, inp: dict) -> list:
    return [(inp["cell_page"] < setup.geo.pages, "the compared cell is in a modelled table page"),
            (inp["cell_idx"] < setup.geo.entries, "the compared cell's index is below PAGETABLE_ENTRIES")]


def in_tables(setup: P2MSetup, page: Word, idx: Word) -> list:
    return [(page < setup.geo.pages, "the entry's table is a modelled table page (a root or pool page)"),
            (idx < setup.geo.entries, "the entry's index is below PAGETABLE_ENTRIES (calc_offset)")]


def p2m_type(t: Word) -> list:
    return [(t < 16, "t is a p2m_type_t: it fits struct md_t's 4-bit field")]


# ---------------------------------------------------------------------------
# the units


def set_permission(setup: P2MSetup) -> Obligation:
    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        slot: dict = {}
        c = run_c(setup, "p2m_set_permission", slot_args([("slot", inp["e"]), inp["t"]], slot), mem, inp)
        after = c.objs[slot["id"]][0]
        m = setup.model.p2m_set_permission(inp["e"], inp["t"])
        return Built(assumptions(c, []), [Claim("pte", word_eq(after, m)), Claim("stops", ~c.stopped),
                                          Claim("memory-safe", c.safety_holds())], {"*e": (after, m)})
    return Obligation("p2m_set_permission", "p2m_set_permission(&e, t): the same permission bits, "
                      "A/D (Svade), V cleared for p2m_invalid", {"e": 64, "t": 32}, build,
                      where="proofs/refine/p2m.py")


def page_to_table(setup: P2MSetup) -> Obligation:
    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        page = inp["page"]
        c = run_c(setup, "page_to_p2m_table", [Ptr("record", E.frame_of(page), bv(0, 64))], mem, inp)
        m = setup.model.page_to_p2m_table(page)
        return Built(assumptions(c, []), [Claim("result", word_eq(c.ret, m)), Claim("stops", ~c.stopped),
                                          Claim("memory-safe", c.safety_holds())], {"result": (c.ret, m)})
    return Obligation("page_to_p2m_table", "page_to_p2m_table(page) (p2m_pte_from_mfn with no ctx): "
                      "the table entry the model links", {"page": 16}, build, where="proofs/refine/p2m.py")


def get_type(setup: P2MSetup) -> Obligation:
    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        st = abstract(setup.geo, mem, inp)
        e, page, idx = inp["e"], inp["page"], inp["idx"]
        objs = p2m_objects(setup, inp, page, idx)
        c = run_c(setup, "p2m_get_type", lambda ex, path: [e, objs(ex, path)["ctx"]], mem, inp)
        m = setup.model.p2m_get_type(st, e, page, idx)
        missing = setup.model.md_missing(st, e, page)
        claims = [Claim("md-null", c.ghost[E.MD_NULL].iff(missing)),
                  Claim("result", (~missing).implies(word_eq(c.ret, m))),
                  Claim("stops", ~c.stopped), Claim("memory-safe", (~missing).implies(c.safety_holds()))]
        return Built(assumptions(c, in_tables(setup, page, idx) + consistent(setup.geo, st)), claims,
                     {"type": (c.ret, m), "maps NULL": (c.ghost[E.MD_NULL], missing)})
    return Obligation("p2m_get_type", "p2m_get_type(pte, ctx): the type (bits 8-9, or the metadata "
                      "slot for p2m_ext_storage); the C maps a NULL metadata page where the model flags it",
                      {**state_inputs(setup.geo), "e": 64, "page": 16, "idx": 16}, build,
                      where="proofs/refine/p2m.py")


def set_type(setup: P2MSetup) -> Obligation:
    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        st = abstract(setup.geo, mem, inp)
        e, t, page, idx = inp["e"], inp["t"], inp["page"], inp["idx"]
        objs = p2m_objects(setup, inp, page, idx)
        slot: dict = {}

        def args(ex, path):
            return slot_args([("slot", e), t, objs(ex, path)["ctx"]], slot)(ex, path)
        c = run_c(setup, "p2m_set_type", args, mem, inp)
        oracle = InputOracle(fails(inp))
        post, m = setup.model.p2m_set_type(st, TRUE, e, t.trunc(TYPE_BITS), page, idx, oracle)
        after = c.objs[slot["id"]][0]
        claims = [Claim("pte", word_eq(after, m))] + state_claims(setup, c, post, oracle, chosen(setup, inp))
        assume = (in_tables(setup, page, idx) + chosen_cell(setup, inp) + p2m_type(t)
                  + consistent(setup.geo, st, SET_TYPE_USED_LIMIT)
                  + [(not_md_page(st, page), "the entry's table page is no metadata page")])
        return Built(assumptions(c, assume), claims, {"*pte": (after, m), "crash": (c.ghost[E.CRASH], post.ev_crash)})
    return Obligation("p2m_set_type", "p2m_set_type(&pte, t, ctx): the type bits, the metadata page "
                      "(allocated on first external type, freed at used_entries 0), its slot and count, "
                      "the pool, domain_crash", {**state_inputs(setup.geo), "e": 64, "t": 32, "page": 16,
                                                 "idx": 16}, build, where="proofs/refine/p2m.py")


def put_page(setup: P2MSetup, level: int) -> Obligation:
    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        st = abstract(setup.geo, mem, inp)
        e, t = inp["e"], inp["t"]
        c = run_c(setup, "p2m_put_page", [e, bv(level, 32), t], mem, inp)
        post = setup.model.p2m_put_page(st, TRUE, e, level, t.trunc(TYPE_BITS))
        claims = [Claim("refs", c.ghost[E.REFS] == post.refs), Claim("stops", ~c.stopped),
                  Claim("memory-safe", c.safety_holds())]
        return Built(assumptions(c, p2m_type(t)), claims, {"refs on the watched frame": (c.ghost[E.REFS], post.refs)})
    return Obligation(f"p2m_put_page level {level}", f"p2m_put_page(pte, {level}, t): the references "
                      "put on the watched frame (p2m_put_4k_page, p2m_put_2m_superpage, nothing at level 2)",
                      {**state_inputs(setup.geo), "e": 64, "t": 32}, build, where="proofs/refine/p2m.py")


def pte_from_mfn(setup: P2MSetup) -> Obligation:
    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        st = abstract(setup.geo, mem, inp)
        mfn, t, page, idx = inp["mfn"], inp["t"], inp["page"], inp["idx"]
        objs = p2m_objects(setup, inp, page, idx)
        c = run_c(setup, "p2m_pte_from_mfn", lambda ex, path: [mfn, t, objs(ex, path)["ctx"]], mem, inp,
                  summaries={"p2m_set_type": set_type_summary(setup, inp)})
        oracle = InputOracle(fails(inp))
        post, m = setup.model.p2m_pte_from_mfn(st, TRUE, setup.model.mfn_arg(mfn), t.trunc(TYPE_BITS), 0,
                                               page, idx, oracle)
        claims = [Claim("pte", word_eq(c.ret, m))] + state_claims(setup, c, post, oracle, chosen(setup, inp))
        assume = in_tables(setup, page, idx) + chosen_cell(setup, inp) + p2m_type(t) + consistent(setup.geo, st) + [
            (not_md_page(st, page), "the entry's table page is no metadata page")]
        return Built(assumptions(c, assume), claims, {"pte": (c.ret, m)})
    return Obligation("p2m_pte_from_mfn", "p2m_pte_from_mfn(mfn, t, ctx) for a leaf: the entry (PPN, "
                      "PBMT_IO for MMIO, permissions, type bits) and p2m_set_type's metadata (its call "
                      "summarised by the p2m_set_type unit)",
                      {**state_inputs(setup.geo), "mfn": 64, "t": 32, "page": 16, "idx": 16}, build,
                      where="proofs/refine/p2m.py")


def well_formed_below(setup: P2MSetup, st: P2MState, e: Word, level: int, page: Word) -> list:
    """What p2m_free_subtree may assume of the tree below `e` (the well-formed invariant):
    a table entry names an in-use pool page that is no metadata page, and no level-0
    entry is a table pointer (a reserved encoding the model does not walk)."""
    m = setup.model
    if level == 0:
        return [(~m.pte_is_table(e, 0), "no level-0 entry is a table pointer (well-formed)")]
    child = m.pte_page(e)
    named = any_of((child == q) & ~st.free[q - ROOT_PAGES] for q in setup.geo.pool_pages())
    out = [(m.pte_is_table(e, level).implies(named & not_md_page(st, child) & (child != page)),
            "a table entry names an in-use pool page that is no metadata page (well-formed)")]
    subs = [st.read(child, bv(i, 16)) for i in range(setup.geo.entries)]
    for sub in subs:
        out += [(m.pte_is_table(e, level).implies(c), w)
                for c, w in well_formed_below(setup, st, sub, level - 1, child)]
    if level > 1:
        for i, a in enumerate(subs):
            for b in subs[i + 1:]:
                both = m.pte_is_table(e, level) & m.pte_is_table(a, level - 1) & m.pte_is_table(b, level - 1)
                out.append((both.implies(m.pte_page(a) != m.pte_page(b)),
                            "no pool page is linked twice (well-formed)"))
    return out


def free_subtree(setup: P2MSetup, level: int) -> Obligation:
    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        st = abstract(setup.geo, mem, inp)
        e, page, idx = inp["e"], inp["page"], inp["idx"]
        made: dict = {}

        def args(ex, path):
            made.update(p2m_objects(setup, inp, page, idx, level)(ex, path))
            return [made["p2m"], e, made["ctx"]]
        shape = well_formed_below(setup, st, e, level, page)
        below = {"p2m_free_subtree": free_subtree_summary(setup, inp, level - 1)} if level > 1 else None
        c = run_c(setup, "p2m_free_subtree", args, mem, inp, pc=all_of(x for x, _ in shape), summaries=below)
        oracle = InputOracle(fails(inp))
        post = setup.model.p2m_free_subtree(st, TRUE, e, level, page, idx)
        flush = c.objs[made["p2m"].base][setup.offset("p2m_domain.need_flush")]
        past = post.ev_oob
        ran = ~post.ev_md_missing & ~past
        claims = state_claims(setup, c, post, oracle, chosen(setup, inp), unless=post.ev_md_missing,
                              past=past) + flush_claims(c, flush, post, ran)
        assume = in_tables(setup, page, idx) + chosen_cell(setup, inp) + consistent(setup.geo, st, FREE_USED_LIMIT) + shape + [
            (not_md_page(st, page), "the entry's table page is no metadata page")]
        return Built(assumptions(c, assume), claims,
                     {"refs": (c.ghost[E.REFS], post.refs), "maps NULL": (c.ghost[E.MD_NULL], post.ev_md_missing)})
    return Obligation(f"p2m_free_subtree level {level}",
                      f"p2m_free_subtree(p2m, entry, ctx) at level {level}: the references put, every "
                      "table below freed with its metadata page after a flush (if need_flush), "
                      "the NULL metadata page mapped where the model flags it"
                      + (f" (each call at level {level - 1} summarised by its unit)" if level > 1 else ""),
                      {**state_inputs(setup.geo), "e": 64, "page": 16, "idx": 16}, build,
                      where="proofs/refine/p2m.py")


def flush_claims(c: Summary, flush: Word, post: P2MState, ran: Bool) -> list:
    """p2m->need_flush after the call, and whether the C issued an hfence.gvma exactly when
    the model flushed (p2m_tlb_flush)."""
    fenced = c.ghost[E.HFENCES] != 0
    return [Claim("need_flush", ran.implies(flush.any().iff(post.need_flush))),
            Claim("hfence", ran.implies(fenced.iff(post.flushed)))]


def monotone_failures(inp: dict) -> list:
    return [(inp[f"allocfail{k}"].implies(inp[f"allocfail{k + 1}"]),
             "once an allocation of the call fails, every later one does (the pool is empty: "
             "the model's one metadata attempt a split, p2m_upstream.split_metadata)")
            for k in range(1, len(fails(inp)))]


def split_superpage(setup: P2MSetup, level: int, target: int) -> Obligation:
    geo = setup.geo

    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        st = abstract(geo, mem, inp)
        m = setup.model
        e, gfn, tbl = inp["e"], inp["gfn"], inp["tbl_page"]
        slot: dict = {}

        def args(ex, path):
            p2m = p2m_objects(setup, inp)(ex, path)["p2m"]
            offsets = ex.new_object(path, "unsigned int offsets[P2M_MAX_ROOT_LEVEL]", {
                4 * lv: m.offset(gfn, lv).zext(32) for lv in range(geo.root_level + 1)}, size=4 * 5)
            rest = [bv(level, 32), bv(target, 32), offsets, Ptr("record", E.frame_of(tbl), bv(0, 64))]
            return [p2m, *slot_args([("slot", e)], slot)(ex, path), *rest]
        c = run_c(setup, "p2m_split_superpage", args, mem, inp,
                  summaries={"p2m_set_type": set_type_summary(setup, inp)})
        oracle = InputOracle(fails(inp))
        post, ok, new = m.p2m_split_superpage(st, TRUE, e, level, target, gfn, tbl, oracle)
        after = c.objs[slot["id"]][0]
        pidx = m.offset(gfn, level)
        claims = [Claim("result", word_eq(c.ret, ok)), Claim("entry", word_eq(after, new))]
        claims += state_claims(setup, c, post, oracle, chosen(setup, inp), unless=post.ev_md_missing)
        assume = in_tables(setup, tbl, pidx) + chosen_cell(setup, inp) + consistent(geo, st) + monotone_failures(inp) + [
            (not_md_page(st, tbl), "the entry's table page is no metadata page"),
            (m.pte_is_mapping(e, level), f"*entry is a superpage at level {level} (p2m_set_entry's ASSERT)"),
            (gfn < (1 << geo.gfn_bits), "the gfn is inside the G-stage address space")]
        return Built(assumptions(c, assume), claims, {"result": (c.ret, ok), "*entry": (after, new)})
    return Obligation(f"p2m_split_superpage level {level} to {target}",
                      f"p2m_split_superpage(p2m, entry, {level}, {target}, offsets, tbl_pg): the result, *entry, "
                      "the new table's entries and metadata (each child's p2m_set_type summarised by its unit), "
                      "the pool, domain_crash", {**state_inputs(geo), "e": 64, "gfn": 64, "tbl_page": 16},
                      build, where="proofs/refine/p2m.py")


#: allocation attempts p2m_set_entry's inputs decide: two new tables, a split of a 1G leaf to
#: 4K (two pages, each with a metadata page and its retry), the leaf's metadata page
SET_ENTRY_ATTEMPTS = 8


def walk_shape(setup: P2MSetup, st: P2MState, gfn: Word) -> list:
    """What p2m_set_entry may assume of the tree under the gfn's root entry (the
    well-formed invariant; nothing when the gfn has no root entry)."""
    m, geo = setup.model, setup.geo
    inside = m.root_index(gfn) < ROOT_PAGES * geo.entries
    page = (m.root_index(gfn) >> geo.idx_bits).trunc(16)
    e = st.read(page, m.offset(gfn, geo.root_level))
    return [(inside.implies(c), w) for c, w in well_formed_below(setup, st, e, geo.root_level, page)]


def set_entry(setup: P2MSetup, target: int) -> Obligation:
    geo = setup.geo

    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        st = abstract(geo, mem, inp)
        m = setup.model
        gfn, mfn, t = inp["gfn"], inp["mfn"], inp["t"]
        made: dict = {}

        def args(ex, path):
            made.update(p2m_objects(setup, inp)(ex, path))
            return [made["p2m"], gfn, bv(target * geo.idx_bits, 64), mfn, t]
        shape = walk_shape(setup, st, gfn)
        c = run_c(setup, "p2m_set_entry", args, mem, inp, pc=all_of(x for x, _ in shape),
                  summaries={"p2m_set_type": set_type_summary(setup, inp),
                             "p2m_free_subtree": free_subtree_summary(setup, inp),
                             "p2m_split_superpage": split_summary(setup, inp)})
        oracle = InputOracle(fails(inp))
        post, r = m.p2m_set_entry(st, TRUE, gfn, target, mfn, t.trunc(TYPE_BITS), oracle)
        flush = c.objs[made["p2m"].base][setup.offset("p2m_domain.need_flush")]
        past = post.ev_oob
        ran = ~post.ev_md_missing & ~past
        # the rc is compared past a read beyond a table page too (it is set before the free)
        claims = [Claim("result", (~post.ev_md_missing).implies(word_eq(c.ret, r)))]
        # p2m_set_entry goes on after a split or free that mapped a NULL metadata page (the
        # harness stops there): a read past a table after it is no behaviour of the C's
        claims += state_claims(setup, c, post, oracle, chosen(setup, inp), unless=post.ev_md_missing, past=past,
                               bounds_unless=post.ev_md_missing)
        claims += flush_claims(c, flush, post, ran)
        assume = chosen_cell(setup, inp) + p2m_type(t) + consistent(geo, st) + monotone_failures(inp) + shape
        return Built(assumptions(c, assume), claims, {"rc": (c.ret, r), "need_flush": (flush, post.need_flush)})
    order = target * geo.idx_bits
    return Obligation(f"p2m_set_entry level {target}",
                      f"p2m_set_entry(p2m, gfn, {order}, mfn, t) (a level-{target} leaf): the walk, the "
                      "tables it creates, a superpage split on the way, the entry written or cleared, the old "
                      "subtree freed, need_flush, the rc (p2m_set_type and p2m_free_subtree summarised by their "
                      "units)", {**state_inputs(geo, SET_ENTRY_ATTEMPTS), "gfn": 64, "mfn": 64, "t": 32},
                      build, where="proofs/refine/p2m.py", together=False)


# -- p2m_set_range: the loop cut at its header (induction over the iterations; every nr) --

SET_RANGE = "p2m_set_range"
RANGE_VARS = ("gfn", "mfn", "left")  # sgfn, smfn, left
SET_ENTRY_CALL = "set_entry_call"  # ghost: the p2m_set_entry call of the iteration, (gfn, order, mfn, t)


def range_header(setup: P2MSetup) -> str:
    headers = setup.fn(SET_RANGE).loop_headers()
    if len(headers) != 1:
        raise UnsupportedIR(f"{SET_RANGE}: {len(headers)} loop headers in the IR (one `while ( left )` expected)")
    return headers[0]


def set_entry_stub(setup: P2MSetup, rc_in: Word) -> Callable:
    """p2m_set_entry as the set_range units see it: it returns `rc_in` (any int: its own
    units prove what it does) and the call is noted, to be compared with the model's."""
    def summary(ex: Executor, path: CPath, args: list, what: str):
        _, gfn, order, mfn, t = args
        if SET_ENTRY_CALL in path.ghost:
            raise UnsupportedIR(f"{what}: two p2m_set_entry calls in one iteration")
        path.ghost[SET_ENTRY_CALL] = (gfn, order, mfn, t)
        return rc_in
    return summary


def range_phis(setup: P2MSetup) -> dict[str, str]:
    """loop variable -> the header phi holding it, from the values they take on entry
    (none: the loop does not change it, e.g. a C whose smfn never advances)."""
    from proofs.engine.solver import UNSAT, check

    cached = getattr(setup, "_range_phis", None)
    if cached is not None:
        return cached
    inp = {"gfn": sym_word("refine.range.gfn", 64), "mfn": sym_word("refine.range.mfn", 64),
           "nr": sym_word("refine.range.nr", 64), "need_flush": FALSE}
    c = run_range(setup, inp, Memory.zero(), bv(0, 32))
    on_entry = {"gfn": inp["gfn"], "mfn": inp["mfn"], "left": inp["nr"]}
    found: dict[str, str] = {}
    for phi, v in c.cut_values.items():
        role = next((r for r, want in on_entry.items() if isinstance(v, Word) and v.width == 64
                     and check((v != want).node()).status == UNSAT), None)
        if role is None:
            raise UnsupportedIR(f"{SET_RANGE}: loop header phi %{phi} is none of sgfn, smfn, left")
        found[role] = phi
    if len(set(found)) != len(found):
        raise UnsupportedIR(f"{SET_RANGE}: two loop header phis hold one loop variable")
    setup._range_phis = found  # a variable with no phi is loop-invariant: the argument itself
    return found


def run_range(setup: P2MSetup, inp: dict, mem: Memory, rc_in: Word, restart: Optional[Callable] = None) -> Summary:
    """p2m_set_range(p2m, gfn, nr, mfn, t) up to its loop header (`restart`: one iteration from it)."""
    objs = p2m_objects(setup, inp)
    t = inp.get("t", bv(0, 32))
    args = lambda ex, path: [objs(ex, path)["p2m"], inp["gfn"], inp["nr"], inp["mfn"], t]  # noqa: E731
    path = CPath(TRUE, TRUE, mem, {}, ghost_of(setup, inp))
    return execute(setup.lifted.module, SET_RANGE, args, path, environment(setup, inp),
                   globals_init={"ptprove_stale": bv(0, 8), "ptprove_messages": bv(0, 64)},
                   summaries={"p2m_set_entry": set_entry_stub(setup, rc_in)},
                   cut=(SET_RANGE, range_header(setup)), restart=restart)


def set_range_prologue(setup: P2MSetup) -> Obligation:
    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        phis = range_phis(setup)
        c = run_range(setup, {**inp, "need_flush": FALSE}, mem, bv(0, 32))
        m = setup.model
        loops = inp["nr"] != 0  # `while ( left )` with left = nr
        ret = m.set_range_result(inp["nr"], rc(0))
        claims = [Claim("loops", c.cut.iff(loops)), Claim("returns", c.returned.iff(~loops)),
                  Claim("result", c.returned.implies(word_eq(c.ret, ret))),
                  Claim("stops", ~c.stopped), Claim("memory-safe", c.safety_holds())]
        for var, want in (("gfn", inp["gfn"]), ("mfn", inp["mfn"]), ("left", inp["nr"])):
            if var in phis:
                claims.append(Claim(var, c.cut.implies(word_eq(c.cut_values.get(phis[var]), want))))
        assume = [(~inp["is_dying"], "the domain is not dying (p2m_set_range's -EACCES: not modelled)")]
        return Built(assumptions(c, assume), claims, {"returns": (c.returned, ~loops), "result": (c.ret, ret)})
    return Obligation("p2m_set_range prologue", "p2m_set_range(p2m, gfn, nr, mfn, t) up to its loop: "
                      "nr == 0 returns 0, else the loop starts with sgfn = gfn, smfn = mfn, left = nr",
                      {"gfn": 64, "mfn": 64, "nr": 64, "t": 32, "is_dying": 0}, build, where="proofs/refine/p2m.py")


def set_range_iteration(setup: P2MSetup) -> Obligation:
    def build(setup: P2MSetup, inp: dict, mem: Memory) -> Built:
        phis = range_phis(setup)
        m = setup.model
        gfn, mfn, left, t, r = inp["gfn"], inp["mfn"], inp["left"], inp["t"], inp["rc"]
        stand_in = {"gfn": sym_word("refine.range.stand_in.gfn", 64), "mfn": sym_word("refine.range.stand_in.mfn", 64),
                    "nr": sym_word("refine.range.stand_in.nr", 64), "t": t, "need_flush": FALSE}

        state = {"gfn": gfn, "mfn": mfn, "left": left}
        arg = {"gfn": "gfn", "mfn": "mfn", "left": "nr"}

        def restart(ex, path):
            # a loop-invariant variable (no phi) is its argument: the stand-in is the loop state's
            return {"mem": mem, "ghost": ghost_of(setup, stand_in),
                    "phis": {phis[v]: state[v] for v in RANGE_VARS if v in phis},
                    "subst": {stand_in[arg[v]].node(): state[v].node() for v in RANGE_VARS if v not in phis}}
        c = run_range(setup, stand_in, mem, r, restart=restart)
        order = m.mapping_order(gfn, mfn, left)
        call = c.ghost.get(SET_ENTRY_CALL)
        g2, m2, l2 = m.set_range_advance(gfn, mfn, left, order)
        stops = (r != 0) | (l2 == 0)
        ret = ite(r != 0, m.set_range_result(left, r), m.set_range_result(l2, r))
        claims = [Claim("loops", c.cut.iff(~stops)), Claim("returns", c.returned.iff(stops)),
                  Claim("result", c.returned.implies(word_eq(c.ret, ret))),
                  Claim("stops", ~c.stopped), Claim("memory-safe", c.safety_holds())]
        if call is None:
            claims.append(Claim("set_entry call", FALSE))
        else:
            for name, a, b in zip(("call gfn", "call order", "call mfn", "call t"), call, (gfn, order, mfn, t)):
                claims.append(Claim(name, word_eq(a, b)))
        for var, want in (("gfn", g2), ("mfn", m2), ("left", l2)):
            now = c.cut_values.get(phis[var]) if var in phis else state[var]
            claims.append(Claim(var, c.cut.implies(word_eq(now, want))))
        assume = [(left != 0, "left != 0 at the loop header (`while ( left )`)")]
        show = {"returns": (c.returned, stops), "result": (c.ret, ret),
                "order": (call[1] if call else None, order)}
        return Built(assumptions(c, assume), claims, show)
    return Obligation("p2m_set_range loop iteration",
                      "one iteration of p2m_set_range's `while ( left )` from any loop state (sgfn, smfn, left "
                      "!= 0) and any rc of its p2m_set_entry call (whose units prove it): the call's gfn, order "
                      "(p2m_mapping_order), mfn and t, the next sgfn, smfn, left, and on leaving the loop the "
                      "return value (`if ( left > INT_MAX ) rc = -EOVERFLOW; return !left ? rc : left;` as an int)",
                      {"gfn": 64, "mfn": 64, "left": 64, "t": 32, "rc": 32}, build, where="proofs/refine/p2m.py")


def obligations(setup: P2MSetup) -> list[Obligation]:
    return [set_permission(setup), page_to_table(setup), get_type(setup), set_type(setup),
            pte_from_mfn(setup), *(put_page(setup, lv) for lv in (0, 1, 2)),
            *(free_subtree(setup, lv) for lv in (0, 1, 2)), split_superpage(setup, 1, 0),
            split_superpage(setup, 2, 1), set_entry(setup, MAX_SUPPORTED_LEVEL),
            set_range_prologue(setup), set_range_iteration(setup)]


#: p2m_set_entry's units below a 1G leaf: a superpage split on the way, too slow for the
#: `refines` obligation (measured at the bounded width, claim by claim, load average 7:
#: level 1 with z3, the refs claim unknown at 120 s; with bitwuzla all 16 claims unsat,
#: 1.6-52 s each, 262 s in all; level 0: the lift 270-600 s, result, in-bounds and md-null
#: unsat with bitwuzla in 10-20 s each, the other claims not measured yet)
SLOW_LEVELS = tuple(range(MAX_SUPPORTED_LEVEL))


def slow_obligations(setup: P2MSetup) -> list[Obligation]:
    """The units `obligations` leaves out for their time (tests marked slow run them)."""
    return [set_entry(setup, t) for t in SLOW_LEVELS]


def setup_for(version: str, c_source: Path, geo: Optional[P2MGeometry] = None,
              cc: Optional[str] = None) -> P2MSetup:
    from proofs.systems.p2m.machine import METADATA_GEOMETRY
    from proofs.systems.p2m.versions import VERSIONS as MODELS

    geo = geo or METADATA_GEOMETRY
    return P2MSetup(version, lift_p2m(c_source, geo.idx_bits, cc), MODELS[version](geo), geo)
