"""A seed's versions of a file's functions, spliced into a whole upstream file.

A seed that is a patch series (or a reply quoting one) shows only the functions
it changes; the model of its version is upstream's model with cited overrides of
those functions, and its C is built the same way: the upstream file with each
function the seed's diff defines whole (taken from the new side of a hunk, its
`+` and context lines; a reply's own text between quoted lines is dropped)
replacing upstream's definition of the same name.  Where a seed function's
signature or the names it calls no longer match upstream's surroundings, a
`Seed` lists the minimal adaptation (a rename of a name in the seed's text, an
adapter with upstream's signature, a `#define` of the seed's era): each is
written into the generated file as a comment, so the file says what it is.
The result is generated at run time into a scratch directory (never committed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from proofs.errors import UsageError

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)


def _blank(text: str) -> str:
    """`text` with comments and literals blanked (same offsets)."""
    return _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def definition(text: str, name: str) -> tuple[int, int] | None:
    """(start, end) of the definition of function `name` in `text` (from the start of
    its first line to the newline after its closing brace), or None."""
    code = _blank(text)
    head = re.compile(rf"^[A-Za-z_][\w \t*]*?\b{re.escape(name)}\s*\([^;{{}}]*\)\s*\{{", re.M)
    for m in head.finditer(code):
        depth, i = 1, m.end()
        while depth and i < len(code):
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            i += 1
        if depth == 0:
            e = text.find("\n", i)
            return m.start(), (len(text) if e < 0 else e + 1)
    return None


def hunks(seed_text: str, target: str) -> list[str]:
    """The new side of each hunk the seed's diff (or a quoted one) makes to `target`
    (a path such as xen/arch/riscv/p2m.c): its context and `+` lines, unprefixed."""
    out: list[str] = []
    cur: list[str] | None = None
    in_file = False
    for line in seed_text.splitlines():
        if line.startswith("diff --git") or line.startswith("+++ ") or line == "-- ":
            if cur is not None:
                out.append("\n".join(cur) + "\n")
            cur = None
            in_file = line == f"+++ b/{target}"
            continue
        if not in_file:
            continue
        if line.startswith("@@"):
            if cur is not None:
                out.append("\n".join(cur) + "\n")
            cur = []
        elif cur is not None and line[:1] in ("+", " "):
            cur.append(line[1:])
        elif cur is not None and line == "":
            cur.append("")  # a context blank line whose space the mail dropped
        # '-' lines (the old side) and a reply's own text are not the seed's version
    if cur is not None:
        out.append("\n".join(cur) + "\n")
    return out


def seed_function(seed: Path, seed_text: str, target: str, name: str, tail: str = "") -> str:
    """The seed's definition of `name` (whole within one hunk of `target`; with `tail`,
    a hunk a reply cut short inside the function ends with `tail`)."""
    for h in hunks(seed_text, target):
        span = definition(h, name)
        if span:
            return h[span[0]:span[1]]
    if tail:
        for h in hunks(seed_text, target):
            start = definition(h + tail, name)
            if start and start[1] > len(h):
                return (h + tail)[start[0]:start[1]]
    raise UsageError(f"{seed.name}: no whole definition of {name}() in its diff of {target}")


def seed_defines(seed_text: str, target: str) -> list[str]:
    """The object-like `#define`s the seed's diff adds to `target`."""
    lines = []
    for h in hunks(seed_text, target):
        lines += [ln for ln in h.splitlines() if re.match(r"\s*#\s*define\s+\w+(\s|$)", ln)]
    return lines


@dataclass(frozen=True)
class Seed:
    """What one seed contributes to a spliced file, and how it is adapted."""

    path: Path
    label: str                      # "seed 003"
    target: str                     # xen/arch/riscv/p2m.c
    functions: tuple[str, ...]      # each replaces upstream's definition of the same name
    #: name -> the seed's own name for it: a function whose signature differs from upstream's
    #: is spliced in under this name and upstream's name becomes `adapters[name]`
    renamed: dict[str, str] = field(default_factory=dict)
    #: upstream's name -> an adapter with upstream's signature calling the seed's renamed one
    adapters: dict[str, str] = field(default_factory=dict)
    #: (old, new, why): a name or call in the seed's text that upstream spells otherwise
    rewrites: tuple[tuple[str, str, str], ...] = ()
    #: C written before the seed's functions (its era's macros), each with why
    preamble: tuple[tuple[str, str], ...] = ()
    #: (function, old line, new line, why): a line of a hunk the seed makes to a
    #: function it does not show whole, put in place of upstream's line
    lines: tuple[tuple[str, str, str, str], ...] = ()
    #: name -> how many last lines of upstream's definition end the seed's, where the
    #: seed (a reply quoting the patch) cuts the function short
    tails: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            raise UsageError(f"{self.path}: the seed is not there") from None


def _rename(code: str, names: dict[str, str]) -> str:
    """`code` with each identifier in `names` renamed where it is code (not in a comment)."""
    for old, new in names.items():
        hits = [m.start() for m in re.finditer(rf"\b{re.escape(old)}\b", _blank(code))]
        for at in reversed(hits):
            code = code[:at] + new + code[at + len(old):]
    return code


def splice(upstream: Path, seeds: list[Seed]) -> tuple[str, str]:
    """(the C text, a one-line name of it): `upstream` with each seed's functions in
    place of upstream's, in order (a later seed's function replaces an earlier one's)."""
    try:
        text = upstream.read_text(encoding="utf-8", errors="replace")
    except OSError:
        raise UsageError(f"{upstream}: not there (the base of the splice)") from None
    names = []
    for s in seeds:
        seed_text = s.text()
        for name in s.functions:
            tail = ""
            if name in s.tails:
                up = definition(text, name)
                if up is None:
                    raise UsageError(f"{upstream}: no definition of {name}() to take {s.label}'s cut tail from")
                kept = text[up[0]:up[1]].splitlines(keepends=True)[-s.tails[name]:]
                tail = f"/* ptprove splice: {s.label} quotes no further: upstream's last lines */\n" + "".join(kept)
            code = seed_function(s.path, seed_text, s.target, name, tail)
            for old, new, _why in s.rewrites:
                code = code.replace(old, new)
            code = _rename(code, s.renamed)
            span = definition(text, name)
            if span is None:
                raise UsageError(f"{upstream}: no definition of {name}() to put {s.label}'s in place of")
            new = f"/* ptprove splice: {name}() as {s.label} defines it ({s.path.name}) */\n{code}"
            if name in s.adapters:
                new += (f"/* ptprove splice: {name}() with upstream's signature, calling "
                        f"{s.label}'s {s.renamed[name]}() */\n{s.adapters[name]}")
            text = text[:span[0]] + new + text[span[1]:]
            names.append(f"{s.label}'s {name}")
        for fn, old, new_line, why in s.lines:
            if not any(new_line in h for h in hunks(seed_text, s.target)):
                raise UsageError(f"{s.path.name}: no line `{new_line.strip()}` in its diff of {s.target}")
            span = definition(text, fn)
            body = text[span[0]:span[1]] if span else ""
            if old not in body:
                raise UsageError(f"{upstream}: {fn}() has no line `{old.strip()}` for {s.label}'s `{new_line.strip()}`")
            body = body.replace(old, f"{new_line} /* ptprove splice: {s.label}'s line ({why}) */", 1)
            text = text[:span[0]] + body + text[span[1]:]
            names.append(f"{s.label}'s `{new_line.strip()}` in {fn}")
        pre = [f"/* ptprove splice: {why} */\n{c}\n" for c, why in s.preamble]
        pre += [f"/* ptprove splice: {s.label} adds to {Path(s.target).name} */\n{d}\n"
                for d in seed_defines(seed_text, s.target)]
        pre += [f"/* ptprove splice: {s.label}'s `{old}` is `{new}` here: {why} */\n" for old, new, why in s.rewrites]
        marks = [text.find(f"/* ptprove splice: {n}() as {s.label} ") for n in s.functions]
        first = min((m for m in marks if m >= 0), default=None)
        if first is not None and pre:
            text = text[:first] + "".join(pre) + "\n" + text[first:]
    title = f"upstream {upstream.name} with {', '.join(names)} spliced in"
    return f"/* ptprove splice, generated at run time: {title} */\n{text}", title


def write_splice(upstream: Path, seeds: list[Seed], dest: Path) -> tuple[Path, str]:
    """Write the splice to dest/<upstream's name> (atomically: forked workers share dest)."""
    import os

    text, title = splice(upstream, seeds)
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / upstream.name
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        tmp = dest / f".{upstream.name}.{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    return out, title
