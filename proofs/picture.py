"""Pictures of a finding (`ptprove show --svg FILE`, `--png FILE`): the tables
before and after the breaking step side by side, the call and the reason
above them, the entries the step changed in red and the witness's walk in blue.

A system describes what to draw as a `Scene` (panels of boxes of rows); this
module lays it out once and draws the layout as SVG (by hand: no Graphviz) or
PNG (matplotlib), so both pictures show the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Optional

CHANGED, WALK = "changed", "walk"  # how a row is marked
COLORS = {CHANGED: "red", WALK: "blue", "": "black"}
CHAR_W, LINE_H, PAD, GAP = 7.2, 16, 8, 24


@dataclass
class Row:
    text: str
    mark: str = ""  # "", CHANGED or WALK
    link: Optional[object] = None  # the key of the box this entry points to


@dataclass
class Box:
    key: object
    title: str
    column: int  # 0: the root's level, then one column per level down
    rows: list[Row] = field(default_factory=list)


@dataclass
class Panel:
    title: str
    boxes: list[Box]


@dataclass
class Scene:
    title: str
    lines: list[str]  # the call, the reason: printed above the panels
    panels: list[Panel]

    def labels(self) -> list[str]:
        """Every text the picture draws, in drawing order."""
        out = [self.title, *self.lines]
        for p in self.panels:
            out.append(p.title)
            for b in p.boxes:
                out += [b.title] + [r.text for r in b.rows]
        return out

    def marked(self, mark: str) -> list[tuple[str, str]]:
        """(panel title, row text) of every row marked `mark`."""
        return [(p.title, r.text) for p in self.panels for b in p.boxes for r in b.rows if r.mark == mark]


@dataclass
class _Layout:
    width: float
    height: float
    texts: list[tuple[float, float, str, str, bool]]  # x, y (baseline), text, colour, bold
    rects: list[tuple[float, float, float, float, str]]  # x, y, w, h, edge colour
    lines: list[tuple[float, float, float, float, str]]  # x1, y1, x2, y2, colour


def _layout(scene: Scene) -> _Layout:
    texts, rects, lines = [], [], []
    y = LINE_H + PAD
    texts.append((PAD, y, scene.title, "black", True))
    for line in scene.lines:
        y += LINE_H
        texts.append((PAD, y, line, "black", False))
    top = y + GAP
    x0, bottom = PAD, top
    for panel in scene.panels:
        width = max([len(r.text) for b in panel.boxes for r in b.rows] + [len(b.title) for b in panel.boxes]
                    + [20]) * CHAR_W + 2 * PAD
        cols = max([b.column for b in panel.boxes] + [0]) + 1
        texts.append((x0, top, panel.title, "black", True))
        col_y = [top + PAD] * cols
        where: dict = {}
        for b in panel.boxes:
            bx = x0 + b.column * (width + GAP)
            by = col_y[b.column]
            h = LINE_H * (len(b.rows) + 1) + PAD
            rects.append((bx, by, width, h, "black"))
            texts.append((bx + PAD / 2, by + LINE_H, b.title, "black", True))
            for n, r in enumerate(b.rows):
                texts.append((bx + PAD / 2, by + LINE_H * (n + 2), r.text, COLORS[r.mark], r.mark == CHANGED))
            where[b.key] = (bx, by, h)
            col_y[b.column] = by + h + GAP / 2
        for b in panel.boxes:
            bx, by, _ = where[b.key]
            for n, r in enumerate(b.rows):
                if r.link in where:
                    cx, cy, _ = where[r.link]
                    lines.append((bx + width, by + LINE_H * (n + 2) - 4, cx, cy + LINE_H / 2,
                                  COLORS[WALK] if r.mark == WALK else "black"))
        bottom = max([bottom] + col_y)
        x0 += cols * (width + GAP) + GAP
    width = max([x0] + [len(t) * CHAR_W + 2 * PAD for t in [scene.title, *scene.lines]])
    return _Layout(width, bottom + PAD, texts, rects, lines)


def svg(scene: Scene) -> str:
    """The scene as a self-contained SVG."""
    lay = _layout(scene)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" height="{lay.height:.0f}" '
           f'font-family="monospace" font-size="12">',
           f'<rect width="{lay.width:.0f}" height="{lay.height:.0f}" fill="white"/>']
    for x, y, w, h, c in lay.rects:
        out.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" fill="none" stroke="{c}"/>')
    for x1, y1, x2, y2, c in lay.lines:
        out.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{c}"/>')
    for x, y, text, c, bold in lay.texts:
        weight = ' font-weight="bold"' if bold else ""
        out.append(f'<text x="{x:.0f}" y="{y:.0f}" fill="{c}"{weight} xml:space="preserve">{escape(text)}</text>')
    return "\n".join(out + ["</svg>"]) + "\n"


def png(scene: Scene, path: str) -> None:
    """The scene drawn by matplotlib into `path` (PNG); the texts drawn are also
    in the file's Description, for a reader or a test that cannot see."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    lay = _layout(scene)
    dpi = 100
    fig = plt.figure(figsize=(lay.width / dpi, lay.height / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    for x, y, w, h, c in lay.rects:
        ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor=c, linewidth=1))
    for x1, y1, x2, y2, c in lay.lines:
        ax.plot([x1, x2], [y1, y2], color=c, linewidth=1)
    for x, y, text, c, bold in lay.texts:
        ax.text(x, y, text, color=c, fontfamily="monospace", fontsize=8.6,
                fontweight="bold" if bold else "normal", va="baseline")
    fig.savefig(path, format="png", dpi=dpi,
                metadata={"Title": scene.title, "Description": "\n".join(scene.labels())})
    plt.close(fig)
