"""Named top-level items of a big C file, for a harness that cannot compile all of it.

Arm's mmu/p2m.c pulls in the VMID allocator, the IOMMU, memaccess's radix tree,
virtual-paging set-up and CPU notifiers; the p2m_set_entry path needs none of
them.  `extract` cuts the file into its top-level items (a function definition,
a declaration, a preprocessor line with its continuations) and keeps, in the
file's order, those whose name is asked for, and every object-like `#define` and
`#undef` (GUEST_TABLE_*: the functions use them).  The text is the file's own,
never rewritten; the staged copy lives only in the harness's temporary directory.
"""
from __future__ import annotations

import re
from typing import Iterable

_NAME = re.compile(r"([A-Za-z_]\w*)\s*(?:\(|\[|=|;|$)")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def items(text: str) -> list[tuple[str, str]]:
    """(name, text) of each top-level item: a function or declaration is named by the
    identifier before its first `(`, `[`, `=` or `;`; a `#define` by its macro."""
    out: list[tuple[str, str]] = []
    code = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)  # same offsets
    i, n, start, depth = 0, len(code), 0, 0
    while i < n:
        c = code[i]
        if depth == 0 and c == "#" and code[start:i].strip() == "":
            j = i
            while True:  # the directive and its continuation lines
                e = code.find("\n", j)
                e = n if e < 0 else e
                if code[e - 1:e] != "\\":
                    break
                j = e + 1
            m = re.match(r"#\s*(define|undef)\s+(\w+)", code[i:e])
            out.append((f"#{m.group(2)}" if m else "#", text[i:e + 1]))
            i = start = e + 1
            continue
        if c in "\"'":  # a literal: skip it whole
            j = i + 1
            while j < n and code[j] != c:
                j += 2 if code[j] == "\\" else 1
            i = j + 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                e = code.find("\n", i)
                if code[i + 1:n if e < 0 else e].strip():  # `} name;`, `};`: a declaration goes on
                    pass
                else:
                    out.append((_name(code[start:i]), text[start:i + 1]))
                    i = start = i + 1
                    continue
        elif c == ";" and depth == 0:
            out.append((_name(code[start:i + 1]), text[start:i + 1]))
            start = i + 1
        i += 1
    return out


def _name(code: str) -> str:
    if code.lstrip().startswith("typedef"):  # `typedef enum { ... } name;`
        names = re.findall(r"[A-Za-z_]\w*", code.rsplit("}", 1)[-1])
        return names[-1] if names else ""
    head = code.split("{", 1)[0].split("(", 1)[0] if "(" in code.split("{", 1)[0] else code.split("{", 1)[0]
    names = re.findall(r"[A-Za-z_]\w*", head.split("=", 1)[0].split("[", 1)[0])
    return names[-1] if names else ""


def extract(text: str, names: Iterable[str], defines: bool = True) -> tuple[str, list[str]]:
    """The items named `names` (definitions and prototypes; `#NAME` a macro) and, with
    `defines`, every object-like `#define`, in the file's order; and the names not found."""
    want = set(names)
    kept, found = [], set()
    for name, body in items(text):
        if name in want:
            found.add(name)
            kept.append(body)
        elif defines and name.startswith("#") and name != "#" and not re.match(r"#\s*define\s+\w+\(", body.lstrip()):
            kept.append(body)
    return "\n".join(b.strip("\n") + "\n" for b in kept), sorted(want - found)
