"""`ptprove show` for riscv-pt vectors: the calls step by step, the tree after
each, the entries that break the obligation marked; DOT and SVG drawings.

Everything shown is recomputed by replaying the vector on the concrete model,
so what a reader sees is what the semantics does, not what the file claims.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Optional

from model.riscv.machine import PC_LOOP
from model.riscv.pte import PTE_PPN_SHIFT, classify, format_pte, pte_word
from model.riscv.walk import translate
from model.term import bv
from proofs.systems.riscv_pt.vectors import (_one_step, calls_of, obligation_of, run, step_machine, table_level,
                                    variant_for)

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


def tree_rows(v, state) -> tuple[list[Row], list[int]]:
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


def _line(v, row: Row, marked: set, color: bool, inv_id: str) -> str:
    lvl = row.level if row.level is not None else 0
    text = (f"{'  ' * row.depth}{row.frame:#x} L{lvl} [{row.index:3}] {row.value:#018x}  "
            f"{format_pte(row.value, v.geo.mode, min(lvl, v.geo.top))}")
    if (row.frame, row.index) in marked:
        text += f"   {MARK} {inv_id}"
        if color:
            text = f"{RED}{BOLD}{text}{RESET}"
    return text


def _tree_text(v, state, marked: set, color: bool, inv_id: str, indent: str = "    ") -> list[str]:
    rows, others = tree_rows(v, state)
    out = [indent + _line(v, r, marked, color, inv_id) for r in rows] or [indent + "(empty)"]
    for f in others:
        lvl = table_level(v, state, f)
        out.append(f"{indent}frame {f:#x}, not reachable from the root"
                   + ("" if lvl is not None else " and not a table page the allocator handed out") + ":")
        for i, x in state.mem.frame_entries(f).items():
            row = Row(1, f, lvl, i, x, None)
            out.append(indent + _line(v, row, marked, color, inv_id))
    return out


def render_step(vector: dict, color: bool) -> str:
    """A not-inductive vector: the pre-state, the one step, the state after."""
    v = variant_for(vector)
    inv = obligation_of(vector)
    va = int(vector["violation"]["witness_va"], 16)
    pre, st, _ = _one_step(v, inv, step_machine(vector), va)
    ob = vector["obligation"]
    m = vector["initial_state"]["machine"]
    marked = {(int(w.frame), int(w.idx)) for w in st.writes if bool(w.guard)}
    what = (f"call {vector['calls'][0]['function']}({', '.join(f'{k}={x}' for k, x in vector['calls'][0]['args'].items())})"
            if vector["calls"] else
            f"one loop iteration (start={m['start']} nr={m['nr']} vfn={m['vfn']} mfn={m['mfn']} flags={m['flags']})")
    out = [f"{vector['version']}: {ob['id']} NOT INDUCTIVE (a counterexample to the step only)",
           f"  {ob['statement']}", f"  ({ob['where']}; solver {vector['solver']})", "",
           f"pre-state ({vector['initial_state']['from']}):"]
    out += _tree_text(v, pre, set(), color, ob["id"])
    out += ["", f"step: {what}", f"  {MARK} {ob['id']}, witness va {va:#x}"]
    out += ["", "after the step:"] + _tree_text(v, st.post, marked, color, ob["id"])
    return "\n".join(out) + "\n"


def render(vector: dict, color: bool = False) -> str:
    if vector["kind"] == "step":
        return render_step(vector, color)
    v = variant_for(vector)
    inv = obligation_of(vector)
    calls = calls_of(vector)
    viol = vector.get("violation")
    va = int(viol["witness_va"], 16) if viol else 0
    r = run(v, inv, calls, va, stop_at_break=False)
    ob = vector["obligation"]
    b = vector["bounds"]
    head = f"{vector['version']}: {ob['id']} {vector['verdict'].upper()}"
    if vector["verdict"] == "holds":
        head = f"{vector['version']}: regression vector {vector.get('name', '')}"
    out = [head, f"  {ob['statement']}",
           f"  ({ob['where']}; {b['mode']}, pool {b['pool']} table pages, "
           f"{len(r.steps)} steps replayed; solver {vector['solver']})", "",
           f"initial state: root table {v.geo.root:#x} allocated and empty"]
    marked: set = set()
    if r.broke is not None:
        marked = {(int(w.frame), int(w.idx)) for w in r.steps[r.broke].writes if bool(w.guard)}
    inv_id = ob["id"]
    for i, (c, shown) in enumerate(zip(calls, vector["calls"])):
        args = ", ".join(f"{k}={x}" for k, x in shown["args"].items())
        mine = [k for k, o in enumerate(r.call_of_step) if o == i]
        out += ["", f"call {i + 1}: {shown['function']}({args}) -> {shown['rc']}   "
                    f"({len(mine)} steps: the prologue, then one per loop iteration)"]
        if shown.get("assert_failed"):
            out.append(f"  ASSERT failed: {shown['assert_failed']}")
        if r.broke is not None and r.broke in mine:
            st = r.steps[r.broke]
            out.append(f"  {MARK} {inv_id} at step {r.broke} (iteration {mine.index(r.broke)} of this call), "
                       f"witness va {va:#x}:")
            for w in vector["violation"]["entries"]:
                out.append(f"    {w['table']} L{w['level']} [{w['index']:3}] {w['old_decoded']}  ->  "
                           f"{w['new_decoded']}   ({w.get('by', '')})")
            tb, ta = vector["violation"]["translation_before"], vector["violation"]["translation_after"]
            out.append(f"    translation of {va:#x}: before {_tr_text(tb)}; after {_tr_text(ta)}")
            out.append("  tree at the breaking step:")
            out += _tree_text(v, st.post, marked, color, inv_id)
        if mine and not (r.broke is not None and mine[-1] == r.broke):
            out.append("  tree after the call:" if int(r.steps[mine[-1]].post.pc) != PC_LOOP
                       else "  tree when the replay stopped (the call had not returned):")
            shown_marks = marked if r.broke is not None and mine[-1] > r.broke else set()
            out += _tree_text(v, r.steps[mine[-1]].post, shown_marks, color, inv_id)
    return "\n".join(out) + "\n"


def _tr_text(t: dict) -> str:
    if not t.get("ok"):
        return "no leaf"
    return f"{t['perms'] or '-'} leaf at level {t['level']}, ppn {t['ppn']}"


# ---------------------------------------------------------------------------
# drawings of the tree at the breaking step (or at the end), the witness walk in red

def _drawn_state(vector: dict):
    v = variant_for(vector)
    inv = obligation_of(vector)
    viol = vector.get("violation")
    va = int(viol["witness_va"], 16) if viol else 0
    if vector["kind"] == "step":
        st = _one_step(v, inv, step_machine(vector), va)[1]
    else:
        r = run(v, inv, calls_of(vector), va, stop_at_break=False)
        if r.broke is None:
            return v, r.final, set(), set(), va
        st = r.steps[r.broke]
    marked = {(int(w.frame), int(w.idx)) for w in st.writes if bool(w.guard)}
    t = translate(st.post.mem, bv(v.geo.root, 44), bv(va, 64), v.geo.mode)
    path = {(int(x.frame), int(x.idx)) for x in t.visits if bool(x.on)}
    return v, st.post, marked, path, va


def _frames(v, state) -> list[tuple[int, Optional[int], dict]]:
    rows, others = tree_rows(v, state)
    frames = list(dict.fromkeys([r.frame for r in rows] + others)) or [v.geo.root]
    return [(f, table_level(v, state, f), state.mem.frame_entries(f)) for f in frames]


def dot(vector: dict) -> str:
    v, state, marked, path, va = _drawn_state(vector)
    name = f"{vector['version']} {vector['obligation']['id']}"
    out = [f'digraph "{name}" {{', "  rankdir=LR;", '  node [shape=plaintext, fontname="monospace"];',
           f'  label="{name}: witness va {va:#x} (red: its walk; bold red: entries that break it)";']
    edges = []
    for f, lvl, entries in _frames(v, state):
        rows = [f'<tr><td bgcolor="lightgrey">{f:#x} level {lvl if lvl is not None else "?"}</td></tr>']
        for i, x in entries.items():
            text = escape(f"[{i}] {x:#x} {format_pte(x, v.geo.mode, min(lvl or 0, v.geo.top))}")
            color = "red" if (f, i) in marked or (f, i) in path else "black"
            text = f"<b>{text}</b>" if (f, i) in marked else text
            rows.append(f'<tr><td port="e{i}" align="left"><font color="{color}">{text}</font></td></tr>')
            if lvl and _pointer(x, lvl, v.geo.mode):
                child = x >> PTE_PPN_SHIFT & ((1 << 44) - 1)
                edges.append(f'  f{f:x}:e{i} -> f{child:x} [color={"red" if (f, i) in path else "black"}];')
        out.append(f'  f{f:x} [label=<<table border="1" cellborder="0">{"".join(rows)}</table>>];')
    return "\n".join(out + edges + ["}"]) + "\n"


def svg(vector: dict) -> str:
    """A self-contained SVG (no Graphviz needed): one column per level, root left."""
    v, state, marked, path, va = _drawn_state(vector)
    frames = _frames(v, state)
    cw, lh, width = 520, 16, 500
    cols: dict[int, int] = {}
    pos: dict[int, tuple[int, int, int]] = {}  # frame -> x, y, height
    for f, lvl, entries in frames:
        col = v.geo.top - lvl if lvl is not None else v.geo.top + 1
        y = cols.get(col, 40)
        h = lh * (len(entries) + 1) + 8
        pos[f] = (10 + col * cw, y, h)
        cols[col] = y + h + 20
    body, lines = [], []
    for f, lvl, entries in frames:
        x, y, h = pos[f]
        body.append(f'<rect x="{x}" y="{y}" width="{width}" height="{h}" fill="white" stroke="black"/>')
        body.append(f'<text x="{x + 4}" y="{y + lh}" font-weight="bold">{f:#x} level '
                    f'{lvl if lvl is not None else "? (not a table page)"}</text>')
        for n, (i, e) in enumerate(entries.items()):
            ty = y + lh * (n + 2)
            red = (f, i) in marked or (f, i) in path
            weight = ' font-weight="bold"' if (f, i) in marked else ""
            label = escape(f"[{i}] {format_pte(e, v.geo.mode, min(lvl or 0, v.geo.top))}")
            body.append(f'<text x="{x + 4}" y="{ty}" fill="{"red" if red else "black"}"{weight}>{label}</text>')
            child = e >> PTE_PPN_SHIFT & ((1 << 44) - 1)
            if lvl and _pointer(e, lvl, v.geo.mode) and child in pos:
                cx, cy, _ = pos[child]
                lines.append(f'<line x1="{x + width}" y1="{ty - 4}" x2="{cx}" y2="{cy + 8}" '
                             f'stroke="{"red" if (f, i) in path else "black"}"/>')
    w = 20 + cw * (max(cols) + 1)
    h = max(cols.values()) + 20
    title = escape(f"{vector['version']} {vector['obligation']['id']}: witness va {va:#x}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="monospace" '
            f'font-size="12">\n<text x="10" y="20" font-weight="bold">{title}</text>\n'
            + "\n".join(body + lines) + "\n</svg>\n")
