"""`ptprove show` for riscv-pt vectors: the calls step by step in Xen's words,
the tree after each, the breaking step (its loop variables, each entry it
changed before and after, the C statement that wrote it); as text, as a mail
to quote on xen-devel (`--format mail`), as DOT, and as pictures of the tables
before and after the breaking step (`--svg`, `--png`).

Everything shown is recomputed by replaying the vector on the concrete model
(`explain.py`), so what a reader sees is what the semantics does, not what
the file claims.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Optional

from model.riscv.machine import PC_LOOP, State
from model.riscv.pte import PTE_PPN_SHIFT, classify, fault_text, format_pte, pte_word
from model.riscv.walk import translate
from model.term import bv
from proofs import mail as m
from proofs import picture as pic
from proofs.systems.riscv_pt.explain import Change, Finding, finding, frame_levels
from proofs.systems.riscv_pt.vectors import calls_of, obligation_of, run, variant_for
from proofs.systems.xen_names import RISCV_FLAGS, arg_name

RED, BOLD, RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"
MARK = "<== breaks"


@dataclass
class Row:
    depth: int
    frame: int
    level: Optional[int]
    index: int
    value: int
    child: Optional[int]  # the table a pointer entry links


def _pointer(value: int, level: Optional[int], mode) -> bool:
    return level is not None and bool(classify(pte_word(value), level, mode).pointer)


def tree_rows(v, state: State) -> tuple[list[Row], list[int]]:
    """The tree the MMU sees from the root (depth-first), and the frames with
    entries it does not reach."""
    mode = v.geo.mode
    seen: set[int] = set()
    rows: list[Row] = []

    def visit(frame: int, level: int, depth: int) -> None:
        seen.add(frame)
        for i, x in state.mem.frame_entries(frame).items():
            child = x >> PTE_PPN_SHIFT & ((1 << 44) - 1) if level > 0 and _pointer(x, level, mode) else None
            rows.append(Row(depth, frame, level, i, x, child))
            if child is not None and child not in seen:
                visit(child, level - 1, depth + 1)

    visit(v.geo.root, v.geo.top, 0)
    others = sorted({f for (f, _), x in state.mem.cells.items() if x} - seen)
    return rows, others


def _decoded(v, value: int, level: Optional[int]) -> str:
    """The entry decoded at its level, with the fault reason of a reserved encoding."""
    lvl = min(level if level is not None else 0, v.geo.top)
    fault = fault_text(value, lvl, v.geo.mode) if value & 1 and level is not None else None
    return format_pte(value, v.geo.mode, lvl) + (f"  [{fault}]" if fault else "")


def _level(level: Optional[int]) -> str:
    return f"L{level}" if level is not None else "L?"


def _line(v, row: Row, marked: set, color: bool, inv_id: str) -> str:
    text = (f"{'  ' * row.depth}{row.frame:#x} {_level(row.level)} [{row.index:3}] {row.value:#018x}  "
            f"{_decoded(v, row.value, row.level)}")
    if (row.frame, row.index) in marked:
        text += f"   {MARK} {inv_id}"
        if color:
            text = f"{RED}{BOLD}{text}{RESET}"
    return text


def _tree_text(v, state: State, marked: set, color: bool, inv_id: str, levels: dict,
               indent: str = "    ") -> list[str]:
    rows, others = tree_rows(v, state)
    out = [indent + _line(v, r, marked, color, inv_id) for r in rows] or [indent + "(empty)"]
    for f in others:
        lvl = levels.get(f)
        handed_out = f == v.geo.root or 0 <= f - v.geo.pool_base < int(state.next_free)
        out.append(f"{indent}frame {f:#x}, not reachable from the root"
                   + ("" if handed_out else " and not a table page the allocator handed out") + ":")
        for i, x in state.mem.frame_entries(f).items():
            out.append(indent + _line(v, Row(1, f, lvl, i, x, None), marked, color, inv_id))
    return out


# ---------------------------------------------------------------------------
# the breaking step, as text

def change_lines(c: Change, indent: str = "    ") -> list[str]:
    """One entry the breaking step wrote: where, before, after, the C that wrote it."""
    same = "" if c.changed else "   (unchanged)"
    return [f"{indent}{c.place()}, written by {c.stmt.where()}:{same}",
            f"{indent}  before  {c.decoded(c.old)}  ({c.old:#x})",
            f"{indent}  after   {c.decoded(c.new)}  ({c.new:#x})",
            f"{indent}  C       {c.stmt.text}",
            f"{indent}          ({c.stmt.source})"]


def loop_text(f: Finding) -> str:
    return ", ".join(f"{k} {a} -> {b}" if a != b else f"{k} {a}" for k, a, b in f.loop)


def where_text(f: Finding) -> str:
    """Which step broke it, within its call: `loop iteration 1 of call 2`."""
    if f.break_call is None:
        return "a loop iteration of the call in progress"
    return f"{'its prologue' if f.iteration == 0 else f'loop iteration {f.iteration}'} of call {f.break_call}"


def breaking_lines(f: Finding, indent: str = "  ") -> list[str]:
    out = [f"{indent}{MARK} {f.obligation} at step {f.break_step} of {f.steps} ({where_text(f)}), "
           f"witness va {f.witness_text}:"]
    if f.loop:
        out.append(f"{indent}  loop variables: {loop_text(f)}")
    for c in f.changes:
        out += change_lines(c, indent + "  ")
    if not f.changes:
        out.append(f"{indent}  (the step writes no entry)")
    out.append(f"{indent}  translation of {f.witness_text}: before {f.translation[0]}; after {f.translation[1]}")
    return out


def _head(f: Finding, vector: dict) -> list[str]:
    b = f.bounds
    head = f"{f.version}: {f.obligation} {f.verdict.upper().replace('-', ' ')}"
    if f.verdict == "holds":
        head = f"{f.version}: regression vector {vector.get('name', '')}"
    if f.verdict == "not-inductive":
        head += " (a counterexample to the step only)"
    return [head, f"  {f.statement}",
            f"  ({f.where}; {b['mode']}, pool {b['pool']} table pages, {f.steps} steps replayed; solver {f.solver})",
            f"  model of {f.source}"]


def render_step(vector: dict, color: bool) -> str:
    """A not-inductive vector: the pre-state, the one step, the state after."""
    v = variant_for(vector)
    f = finding(vector)
    levels = frame_levels(v, f.pre, f) | frame_levels(v, f.post, f)
    marked = {(c.table, c.index) for c in f.changes}
    out = _head(f, vector) + ["", f"pre-state ({vector['initial_state']['from']}):"]
    out += _tree_text(v, f.pre, set(), color, f.obligation, levels)
    out += ["", f"step: {f.step_call}"] + breaking_lines(f)
    out += ["", "after the step:"] + _tree_text(v, f.post, marked, color, f.obligation, levels)
    return "\n".join(out) + "\n"


def render(vector: dict, color: bool = False) -> str:
    if vector["kind"] == "step":
        return render_step(vector, color)
    v = variant_for(vector)
    f = finding(vector)
    r = run(v, obligation_of(vector), calls_of(vector), f.witness, stop_at_break=False)
    levels = frame_levels(v, r.final, f)
    out = _head(f, vector) + ["", f"initial state: root table {v.geo.root:#x} allocated and empty"]
    marked = {(c.table, c.index) for c in f.changes}
    broke = f.break_step - 1 if f.break_step else None
    for c in f.calls:
        i = c.number - 1
        mine = [k for k, o in enumerate(r.call_of_step) if o == i]
        out += ["", f"call {c.number}: {c.text} -> {c.rc}   "
                    f"({c.steps} steps: the prologue, then one per loop iteration)"]
        if c.assert_failed:
            out.append(f"  ASSERT failed: {c.assert_failed}")
        if c.mapped:
            out.append(f"  returns with {c.mapped} table(s) still mapped (map_table without unmap_table; "
                       "in early boot a PMAP slot each, held for good)")
        if broke is not None and broke in mine:
            out += breaking_lines(f)
            out.append("  tree at the breaking step:")
            out += _tree_text(v, r.steps[broke].post, marked, color, f.obligation, levels)
        if mine and not (broke is not None and mine[-1] == broke):
            out.append("  tree after the call:" if int(r.steps[mine[-1]].post.pc) != PC_LOOP
                       else "  tree when the replay stopped (the call had not returned):")
            shown_marks = marked if broke is not None and mine[-1] > broke else set()
            out += _tree_text(v, r.steps[mine[-1]].post, shown_marks, color, f.obligation, levels)
    return "\n".join(out) + "\n"


def named_calls(vector: dict) -> list[dict]:
    """The vector's calls with their arguments in Xen's words (the findings of `prove`)."""
    v = variant_for(vector)
    return [{**c, "args": {k: arg_name(k, int(x, 16), RISCV_FLAGS, v.geo.mode.va_bits)
                           for k, x in c["args"].items()}} for c in vector["calls"]]


# ---------------------------------------------------------------------------
# --format mail: a finding to quote on xen-devel

def mail(vector: dict) -> str:
    """The finding in at most 72 ASCII columns: the version and the C it
    follows, the invariant in one sentence, the calls, the entry that broke
    (before and after, decoded) and the C statement that wrote it."""
    f = finding(vector)
    b = f.bounds
    verdict = {"violated": "violated, by a trace from the empty tree replayed on the model",
               "not-inductive": "not inductive: one step from a state that may be unreachable",
               "holds": "holds (a regression scenario)"}[f.verdict]
    blocks = [m.field("Version", f.version) + m.field("Follows", f.source)
              + (m.field("Scenario", f"{f.statement} ({f.where})") if f.verdict == "holds" else
                 m.field("Invariant", f"{f.obligation}: {f.statement} ({f.where})"))
              + m.field("Verdict", f"{verdict} ({b['mode']}, a pool of {b['pool']} table pages)")]
    start = ("Calls, from an empty tree:" if vector["kind"] == "trace"
             else f"From a pre-state the lemmas allow, {f.step_call}:")
    calls = m.para(start)
    for c in f.calls:
        returned = not c.rc.startswith("(")
        calls += m.call(f"  {c.number}. ", c.text, f" = {c.rc}" if returned else "")
        if not returned:
            calls += m.para(c.rc.strip("()"), 5, 2)
    blocks.append(calls)
    if f.break_step is None:
        blocks.append(["No step breaks an obligation (a regression vector)."])
        return m.compose(blocks)
    brk = m.para(f"Step {f.break_step} ({where_text(f)}) breaks it, at va {f.witness_text}:")
    if f.loop:
        brk += m.para(f"loop variables: {loop_text(f)}", 2, 2)
    for c in f.changes:
        brk += m.para(f"{c.place()}, written by {c.stmt.where()}" + ("" if c.changed else " (unchanged)")
                      + ":", 2, 2)
        brk += m.para(f"before: {c.decoded(c.old)} ({c.old:#x})", 4, 8)
        brk += m.para(f"after:  {c.decoded(c.new)} ({c.new:#x})", 4, 8)
        brk += m.para(f"C:      {c.stmt.text}", 4, 8)
        if c.stmt.source:  # a lifted C version records no statement text
            brk += m.para(f"        ({c.stmt.source})", 4, 8)
    if not f.changes:
        brk += m.para("(the step writes no entry)", 2)
    brk += m.para(f"va {f.witness_text}: before, {f.translation[0]}; after, {f.translation[1]}.", 2, 2)
    blocks.append(brk)
    return m.compose(blocks)


# ---------------------------------------------------------------------------
# pictures: the tables before and after the breaking step (or at the end)

def _frames(v, state: State, extra: set) -> list[int]:
    rows, others = tree_rows(v, state)
    return list(dict.fromkeys([r.frame for r in rows] + others + sorted(extra))) or [v.geo.root]


def _panel(v, title: str, state: State, f: Finding, path: set) -> pic.Panel:
    """One side: every table with an entry (and each entry the step wrote, even
    if it is 0 now), the changed entries and the witness's walk marked."""
    changed = {(c.table, c.index) for c in f.changes}
    levels = frame_levels(v, state, f)
    boxes = []
    for fr in _frames(v, state, {c.table for c in f.changes}):
        lvl = levels.get(fr)
        entries = dict(state.mem.frame_entries(fr))
        for t, i in changed:
            if t == fr:
                entries.setdefault(i, state.mem.cells.get((fr, i), 0))
        box = pic.Box(fr, f"table {fr:#x} {_level(lvl)}", v.geo.top - lvl if lvl is not None else v.geo.top + 1)
        for i, x in sorted(entries.items()):
            mark = pic.CHANGED if (fr, i) in changed else pic.WALK if (fr, i) in path else ""
            child = x >> PTE_PPN_SHIFT & ((1 << 44) - 1) if lvl and _pointer(x, lvl, v.geo.mode) else None
            box.rows.append(pic.Row(f"[{i:3}] {x:#018x} {_decoded(v, x, lvl)}", mark, child))
        boxes.append(box)
    return pic.Panel(title, boxes)


def _walk(v, state: State, va: int) -> set:
    t = translate(state.mem, bv(v.geo.root, 44), bv(va, 64), v.geo.mode)
    return {(int(x.frame), int(x.idx)) for x in t.visits if bool(x.on)}


def scene(vector: dict) -> pic.Scene:
    """What `--svg` and `--png` draw."""
    v = variant_for(vector)
    f = finding(vector)
    lines = [f"  {f.statement}"]
    lines += [f"call {c.number}: {c.text} -> {c.rc}" for c in f.calls]
    if f.break_step is None:
        return pic.Scene(f"{f.version}: regression vector {vector.get('name', '')}", lines,
                         [_panel(v, "after the last call", f.post, f, set())])
    lines.append(f"{MARK} {f.obligation} at step {f.break_step} ({where_text(f)}), "
                 f"witness va {f.witness_text}" + (f"; {loop_text(f)}" if f.loop else ""))
    lines += [f"{c.place()} by {c.stmt.where()}: {c.stmt.text}" for c in f.changes]
    lines.append(f"translation of {f.witness_text}: before {f.translation[0]}; after {f.translation[1]}")
    panels = [_panel(v, f"before step {f.break_step}", f.pre, f, _walk(v, f.pre, f.witness)),
              _panel(v, f"after step {f.break_step}", f.post, f, _walk(v, f.post, f.witness))]
    return pic.Scene(f"{f.version}: {f.obligation} {f.verdict.upper()}", lines, panels)


def svg(vector: dict) -> str:
    return pic.svg(scene(vector))


def png(vector: dict, path: str) -> None:
    pic.png(scene(vector), path)


def dot(vector: dict) -> str:
    """The tables after the breaking step as Graphviz DOT (red: the entries it changed)."""
    s = scene(vector)
    panel = s.panels[-1]
    name = f"{vector['version']} {vector['obligation']['id']}"
    out = [f'digraph "{name}" {{', "  rankdir=LR;", '  node [shape=plaintext, fontname="monospace"];',
           f'  label="{escape(s.panels[-1].title)}: red, the entries changed; blue, the witness walk";']
    edges = []
    for b in panel.boxes:
        rows = [f'<tr><td bgcolor="lightgrey">{escape(b.title)}</td></tr>']
        for n, r in enumerate(b.rows):
            text = escape(r.text)
            text = f"<b>{text}</b>" if r.mark == pic.CHANGED else text
            rows.append(f'<tr><td port="e{n}" align="left"><font color="{pic.COLORS[r.mark]}">{text}</font>'
                        f'</td></tr>')
            if r.link is not None:
                edges.append(f'  f{b.key:x}:e{n} -> f{r.link:x} [color={pic.COLORS[r.mark]}];')
        out.append(f'  f{b.key:x} [label=<<table border="1" cellborder="0">{"".join(rows)}</table>>];')
    return "\n".join(out + edges + ["}"]) + "\n"
