"""The tree's own asm/page.h definitions, for the shim (`proofs/c/ptprove_shim.h`).

A pt.c that sits in a Xen tree (`.../xen/arch/riscv/pt.c`, its headers in
`.../xen/arch/riscv/include/asm/`) is compiled with the definitions that tree's
headers give, not the shim's hand-kept copy: every `PTE_*` and `PAGE_HYPERVISOR*`
macro, `mfn_from_pte`, and the functions `pte_is_valid`, `pte_is_table`,
`pte_is_mapping`, `pte_from_mfn`, `pte_to_paddr`, taken from `asm/page-bits.h`,
`asm/page.h` and `asm/mm.h` (in that order; a later header's definition of a name
wins) with the preprocessor conditionals around them, into one generated
`ptprove_page.h` the shim includes.  What the tree does not define the shim still
restates (its header comment lists it); `restated(found)` names those for a
report.  A pt.c with no such headers beside it (seed 000's, extracted alone) gets
the shim's copy of its version's, as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from proofs.errors import UsageError

GENERATED = "ptprove_page.h"
HEADERS = ("page-bits.h", "page.h", "mm.h")  # under include/asm/ beside pt.c
MACRO = re.compile(r"^(PTE_\w+|PAGE_HYPERVISOR\w*|mfn_from_pte|vmap_to_mfn)$")  # vmap_to_mfn: asm/mm.h's lookup
FUNCTIONS = ("pte_is_valid", "pte_is_table", "pte_is_mapping", "pte_from_mfn", "pte_to_paddr")
FUNCTION_DEF = re.compile(r"^(?:static\s+)?(?:inline\s+)(?:const\s+)?[\w\s\*]*?\b(" + "|".join(FUNCTIONS)
                          + r")\s*\(")
CONDITIONAL = re.compile(r"^#\s*(if|ifdef|ifndef|elif|else|endif)\b")
#: what the shim restates when the tree defines it not (the shim's `#ifndef` fallbacks)
SHIM_MACROS = ("PTE_VALID", "PTE_READABLE", "PTE_WRITABLE", "PTE_EXECUTABLE", "PTE_USER", "PTE_GLOBAL",
               "PTE_ACCESSED", "PTE_DIRTY", "PTE_RSW", "PTE_PPN_SHIFT", "PTE_TABLE", "PTE_LEAF_DEFAULT",
               "PTE_ACCESS_MASK", "PTE_PBMT_NOCACHE", "PTE_PBMT_IO", "PTE_PBMT_MASK", "PAGE_HYPERVISOR_RO",
               "PAGE_HYPERVISOR_RW", "PAGE_HYPERVISOR_RX", "PAGE_HYPERVISOR", "PAGE_HYPERVISOR_NOCACHE",
               "PAGE_HYPERVISOR_WC", "PTE_SMALL", "PTE_POPULATE", "PTE_R_MASK", "PTE_W_MASK", "PTE_X_MASK",
               "PTE_RWX_MASK", "mfn_from_pte")


@dataclass
class TreeHeader:
    """What was taken from a tree's headers: the generated text and the names in it."""

    files: list[Path]
    text: str
    macros: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)

    def restated(self) -> list[str]:
        """The shim's definitions still used beside this tree's (the tree lacks them)."""
        return [n for n in SHIM_MACROS if n not in self.macros] + \
               [n for n in FUNCTIONS if n not in self.functions]

    def describe(self) -> str:
        names = ", ".join(str(p) for p in self.files)
        kept = self.restated()
        return (f"PTE_*, PAGE_HYPERVISOR_*, pte_* from {names}"
                + (f"; the shim restates {', '.join(kept)}" if kept else ""))


def asm_dir(c_source: Path) -> Path:
    return Path(c_source).parent / "include" / "asm"


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line, text) with comments blanked and backslash continuations joined."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    out, buf, start = [], "", 0
    for n, ln in enumerate(text.split("\n"), 1):
        if not buf:
            start = n
        if ln.rstrip().endswith("\\"):
            buf += ln.rstrip()[:-1] + " "
            continue
        out.append((start, buf + ln))
        buf = ""
    return out


def extract(path: Path, macro: re.Pattern = MACRO,
            function_def: Optional[re.Pattern] = FUNCTION_DEF) -> tuple[str, list[str], list[str]]:
    """The conditionals, the selected macros (names `macro` matches) and functions
    (`function_def`; None: none) of one header, in its order."""
    lines = _logical_lines(path.read_text(encoding="utf-8", errors="replace"))
    out, macros, functions = [], [], []
    i = 0
    while i < len(lines):
        n, ln = lines[i]
        s = ln.strip()
        if CONDITIONAL.match(s):
            out.append(s)
        elif s.startswith("#"):
            m = re.match(r"#\s*define\s+(\w+)", s)
            if m and macro.match(m.group(1)):
                out += [f"#undef {m.group(1)}", f'#line {n} "{path}"', s]
                macros.append(m.group(1))
        elif function_def is not None:
            m = function_def.match(s)
            if m:
                body, j = [s], i
                depth = s.count("{") - s.count("}")
                while (depth > 0 or "{" not in "".join(body)) and j + 1 < len(lines):
                    j += 1
                    body.append(lines[j][1])
                    depth += lines[j][1].count("{") - lines[j][1].count("}")
                head = re.sub(r"^(?:static\s+)?inline\s+", "static inline ", body[0])
                out += [f'#line {n} "{path}"', head, *body[1:], f"#define PTPROVE_HDR_{m.group(1)} 1"]
                functions.append(m.group(1))
                i = j
        i += 1
    return "\n".join(out), macros, functions


def tree_header(c_source: Path) -> Optional[TreeHeader]:
    """The definitions the tree of `c_source` gives (None: no asm/page.h beside it)."""
    d = asm_dir(c_source)
    if not (d / "page.h").is_file():
        return None
    files = [d / h for h in HEADERS if (d / h).is_file()]
    parts, macros, functions = [], [], []
    for p in files:
        text, ms, fs = extract(p)
        parts.append(f"/* from {p} */\n{text}")
        macros += [m for m in ms if m not in macros]
        functions += [f for f in fs if f not in functions]
    for f in FUNCTIONS:  # a function defined twice (page.h and mm.h) would not compile
        if sum(t.count(f"#define PTPROVE_HDR_{f} 1") for t in parts) > 1:
            raise UsageError(f"{f} is defined in more than one of {', '.join(map(str, files))}")
    head = ("/* generated by ptprove (proofs/c_header.py): the tree's own definitions, "
            "included by ptprove_shim.h */\n")
    return TreeHeader(files, head + "\n".join(parts) + "\n", macros, functions)


def write(c_source: Path, include: Path) -> Optional[TreeHeader]:
    """Write `include/ptprove_page.h` from the tree of `c_source`, if it has one."""
    found = tree_header(c_source)
    if found is not None:
        (include / GENERATED).write_text(found.text, encoding="utf-8")
    return found


# ---------------------------------------------------------------------------
# Arm: mmu/pt.c takes the LPAE types of its tree's asm/lpae.h (the whole
# header, which needs nothing but the shim's basics) and the request flags and
# memory types of its asm/page.h (macros only: the rest of page.h needs the
# processor headers)

ARM_LPAE = "ptprove_lpae.h"
ARM_GENERATED = "ptprove_arm_page.h"
ARM_MACRO = re.compile(r"^(MT_\w+|_PAGE_\w+|PAGE_HYPERVISOR\w*|PAGE_(?:AI|RO|XN)_MASK|LPAE_SH_\w+)$")


def arm_asm_dir(c_source: Path) -> Path:
    """`xen/arch/arm/include/asm` of `xen/arch/arm/mmu/pt.c` (or `.../mmu/p2m.c`)."""
    return Path(c_source).resolve().parent.parent / "include" / "asm"


def write_arm(c_source: Path, include: Path) -> list[Path]:
    """Stage the tree's `asm/lpae.h` as `include/ptprove_lpae.h` and its `asm/page.h`
    macros as `include/ptprove_arm_page.h`; the files read.  A file with no tree
    around it is one UsageError line (the shim has no copy of Arm's definitions)."""
    d = arm_asm_dir(c_source)
    lpae, page = d / "lpae.h", d / "page.h"
    missing = [p.name for p in (lpae, page) if not p.is_file()]
    if missing:
        raise UsageError(f"{c_source}: no {' or '.join('asm/' + m for m in missing)} in its tree "
                         f"({d}): the Arm C harness takes the LPAE types and flags from there")
    (include / ARM_LPAE).write_text(lpae.read_text(encoding="utf-8", errors="replace"), encoding="utf-8")
    text, _, _ = extract(page, ARM_MACRO, None)
    head = f"/* generated by ptprove (proofs/c_header.py): the macros of {page} */\n"
    (include / ARM_GENERATED).write_text(head + text + "\n", encoding="utf-8")
    return [lpae, page]


# ---------------------------------------------------------------------------
# the RISC-V fixmap: the layout macros of the tree's asm/config.h and asm/fixmap.h

FIXMAP_GENERATED = "ptprove_fixmap_layout.h"
FIXMAP_HEADERS = ("config.h", "fixmap.h")
FIXMAP_MACRO = re.compile(r"^(XEN_VIRT_START|XEN_VIRT_SIZE|GAP_SIZE|BOOT_FDT_VIRT_\w+|FIXMAP_\w+|FIX_\w+"
                          r"|FIXADDR_\w+)$")


#: the slot rows of config.h (directmap, frametable, VMAP), for a layout vector's replay
LAYOUT_GENERATED = "ptprove_layout_rows.h"
LAYOUT_MACRO = re.compile(r"^(VPN_BITS|SLOTN\w*|DIRECTMAP_\w+|FRAMETABLE_\w+|VMAP_\w+)$")


def _write_macros(c_source: Path, include: Path, headers: tuple[str, ...], macro: re.Pattern,
                  generated: str, what: str) -> list[Path]:
    """Stage the `macro` definitions of the asm `headers` of the tree of RISC-V `c_source`
    as `include/<generated>`; the files read (a missing one: UsageError)."""
    d = asm_dir(c_source)
    files = [d / h for h in headers]
    missing = [p.name for p in files if not p.is_file()]
    if missing:
        raise UsageError(f"{c_source}: no {' or '.join('asm/' + m for m in missing)} in its tree ({d}): "
                         f"the fixmap harness takes {what} from there")
    parts = [f"/* from {p} */\n" + extract(p, macro, None)[0] for p in files]
    head = f"/* generated by ptprove (proofs/c_header.py): {what} of the tree */\n"
    (include / generated).write_text(head + "\n".join(parts) + "\n", encoding="utf-8")
    return files


def write_fixmap(c_source: Path, include: Path) -> list[Path]:
    """Stage the fixmap layout of the tree of RISC-V `c_source` (pt.c or mm.c) as
    `include/ptprove_fixmap_layout.h`; the files read (a missing one: UsageError)."""
    return _write_macros(c_source, include, FIXMAP_HEADERS, FIXMAP_MACRO, FIXMAP_GENERATED, "the layout")


def write_layout(c_source: Path, include: Path) -> list[Path]:
    """Stage config.h's slot rows (SLOTN, DIRECTMAP_*, FRAMETABLE_*, VMAP_*) of the tree of
    `c_source` as `include/ptprove_layout_rows.h`; the files read."""
    return _write_macros(c_source, include, ("config.h",), LAYOUT_MACRO, LAYOUT_GENERATED, "the slot rows")
