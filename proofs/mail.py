"""`ptprove show VECTOR --format mail`: a finding laid out to quote in a reply on
xen-devel: plain ASCII, no line over 72 columns, labelled fields with hanging
indents, calls wrapped at their arguments.

Each vector plugin builds its mail from these pieces (`mail(vector)`), so
every system's mail has the same shape.
"""
from __future__ import annotations

import textwrap
from typing import Iterable

WIDTH = 72
LABEL = 11  # "Invariant: " and the hanging indent under it


def field(label: str, text: str) -> list[str]:
    """`Label:     text`, continued under the text."""
    head = f"{label}:".ljust(LABEL)
    return textwrap.wrap(text, WIDTH, initial_indent=head, subsequent_indent=" " * LABEL,
                         break_on_hyphens=False) or [head.rstrip()]


def para(text: str, indent: int = 0, hang: int = 0) -> list[str]:
    """A paragraph wrapped at WIDTH, `indent` spaces in, continued `hang` further in."""
    pad = " " * indent
    return textwrap.wrap(text, WIDTH, initial_indent=pad, subsequent_indent=pad + " " * hang,
                         break_on_hyphens=False)


def call(prefix: str, text: str, suffix: str = "") -> list[str]:
    """`  1. f(a=1, b=2) = 0`, wrapped after a comma and continued under the
    first argument (an argument too long for a line of its own wraps at its spaces)."""
    name, _, rest = text.partition("(")
    head = f"{prefix}{name}("
    parts = rest.split(", ") if rest else [""]
    indent = len(head) if len(head) <= WIDTH // 2 else len(prefix) + 4
    lines = [head]
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else suffix)
        cur = lines[-1]
        sep = "" if cur.endswith("(") else " "
        if len(cur) + len(sep) + len(piece) <= WIDTH:
            lines[-1] = cur + sep + piece
        elif indent + len(piece) <= WIDTH:
            lines.append(" " * indent + piece)
        else:
            lines += textwrap.wrap(piece, WIDTH, initial_indent=" " * indent,
                                   subsequent_indent=" " * (indent + 2), break_on_hyphens=False)
    return lines


def ascii_text(text: str) -> str:
    """`text` with anything outside printable ASCII replaced (a mail must survive any client)."""
    return "".join(c if c == "\n" or 32 <= ord(c) < 127 else "?" for c in text)


def compose(blocks: Iterable[list[str]]) -> str:
    """Blocks of lines separated by a blank line; ASCII, each line at most WIDTH
    (a line that would not fit, an unbreakable token, is cut with a `\\`)."""
    out: list[str] = []
    for block in blocks:
        if not block:
            continue
        if out:
            out.append("")
        for line in block:
            line = ascii_text(line.rstrip())
            while len(line) > WIDTH:
                out.append(line[:WIDTH - 1] + "\\")
                line = "  " + line[WIDTH - 1:]
            out.append(line)
    return "\n".join(out) + "\n"
