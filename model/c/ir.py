"""LLVM IR as plain data: functions, blocks, instructions with resolved operands.

`llvmlite.binding` parses and verifies the module and gives each instruction's
opcode and operands; what its API lacks (the icmp predicate, a GEP's source
element type, switch cases, phi pairs, parameter range attributes, struct
layouts) is read from the instruction's or the module's text.  Values are named
by their IR name (`%7`), as clang numbers them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from proofs.errors import UsageError

LOCAL = re.compile(r"^\s*%([-\w.$]+)\s*=")
LABEL = re.compile(r"^\s*([-\w.$]+):")
INT_TYPE = re.compile(r"^i(\d+)$")
ARRAY_TYPE = re.compile(r"^\[(\d+) x (.+)\]$")
PHI_PAIR = re.compile(r"\[\s*([^,\[\]]+?)\s*,\s*%([-\w.$]+)\s*\]")
GEP_FLAGS = ("inbounds", "nuw", "nusw")
RANGE_ATTR = re.compile(r"range\(i(\d+) (-?\d+), (-?\d+)\)")


class UnsupportedIR(UsageError):
    """IR the lifter does not model: one line naming the function and instruction."""


@dataclass(frozen=True)
class Ref:
    """An operand: a local value, a constant, a global, a function or a block."""

    kind: str  # "local" | "int" | "null" | "undef" | "global" | "func" | "block" | "unsupported"
    type: str = ""
    name: str = ""
    value: int = 0


@dataclass
class Instr:
    opcode: str
    result: Optional[str]
    type: str
    ops: list
    text: str
    pred: str = ""  # icmp
    gep_type: str = ""  # getelementptr source element type
    cases: list = field(default_factory=list)  # switch: (value, block)
    incoming: list = field(default_factory=list)  # phi: (Ref, block)
    alloc_type: str = ""  # alloca

    def where(self, fn: str) -> str:
        return f"in {fn}: `{self.text.strip()}`"


@dataclass
class Block:
    name: str
    instrs: list

    @property
    def terminator(self) -> Instr:
        return self.instrs[-1]

    def successors(self) -> list[str]:
        t = self.terminator
        if t.opcode == "br":
            return [o.name for o in t.ops if o.kind == "block"]
        if t.opcode == "switch":
            return [t.ops[1].name] + [b for _, b in t.cases]
        return []


@dataclass
class Param:
    name: str
    type: str
    range: Optional[tuple[int, int]] = None  # [lo, hi) as the IR states it (wrapping)


@dataclass
class Function:
    name: str
    params: list
    ret_type: str
    blocks: dict  # name -> Block, in IR order
    declaration: bool

    @property
    def entry(self) -> str:
        return next(iter(self.blocks))

    def preds(self) -> dict[str, list[str]]:
        p: dict[str, list[str]] = {b: [] for b in self.blocks}
        for b in self.blocks.values():
            for s in b.successors():
                p[s].append(b.name)
        return p

    def dominators(self) -> dict[str, set]:
        """Each block's dominators (the iterative data-flow algorithm)."""
        preds, names = self.preds(), list(self.blocks)
        dom = {b: set(names) for b in names}
        dom[self.entry] = {self.entry}
        changed = True
        while changed:
            changed = False
            for b in names[1:]:
                ps = [dom[p] for p in preds[b]]
                new = {b} | (set.intersection(*ps) if ps else set())
                if new != dom[b]:
                    dom[b], changed = new, True
        return dom

    def loop_headers(self) -> list[str]:
        """Targets of back edges (an edge to a block that dominates its source)."""
        dom = self.dominators()
        return [h for h in self.blocks
                if any(h in dom[b.name] and h in b.successors() for b in self.blocks.values())]

    def latches(self, header: str) -> list[str]:
        dom = self.dominators()
        return [b.name for b in self.blocks.values() if header in b.successors() and header in dom[b.name]]


@dataclass
class Module:
    functions: dict
    structs: dict  # name -> [field types]
    globals: dict  # name -> value type
    strings: dict  # global name -> C string constant (for stop messages)
    triple: str

    # -- layout -------------------------------------------------------------
    def size_align(self, ty: str) -> tuple[int, int]:
        ty = ty.strip()
        m = INT_TYPE.match(ty)
        if m:
            n = max(1, (int(m.group(1)) + 7) // 8)
            return n, n
        if ty == "ptr":
            return 8, 8
        m = ARRAY_TYPE.match(ty)
        if m:
            s, a = self.size_align(m.group(2))
            return int(m.group(1)) * s, a
        fields = self.struct_fields(ty)
        off, align = 0, 1
        for f in fields:
            s, a = self.size_align(f)
            off = (off + a - 1) // a * a + s
            align = max(align, a)
        return (off + align - 1) // align * align, align

    def struct_fields(self, ty: str) -> list[str]:
        if ty.startswith("%"):
            if ty[1:] not in self.structs:
                raise UnsupportedIR(f"unknown type {ty}")
            return self.structs[ty[1:]]
        if ty.startswith("{"):
            return split_types(ty.strip("{} "))
        raise UnsupportedIR(f"type {ty} has no layout here")

    def field_offset(self, ty: str, index: int) -> tuple[int, str]:
        fields = self.struct_fields(ty)
        off = 0
        for i, f in enumerate(fields):
            s, a = self.size_align(f)
            off = (off + a - 1) // a * a
            if i == index:
                return off, f
            off += s
        raise UnsupportedIR(f"field {index} of {ty}")


def split_types(body: str) -> list[str]:
    """Split a struct body `i64, [3 x i32], { i8 }` at top-level commas."""
    out, depth, cur = [], 0, ""
    for ch in body:
        if ch in "[{(<":
            depth += 1
        elif ch in "]})>":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def int_width(ty: str) -> int:
    m = INT_TYPE.match(ty)
    if not m:
        raise UnsupportedIR(f"not an integer type: {ty}")
    return int(m.group(1))


# ---------------------------------------------------------------------------
# reading llvmlite values


def _constant(text: str, fn: str) -> Ref:
    ty, _, val = text.strip().partition(" ")
    val = val.strip()
    if ty == "ptr" and val == "null":
        return Ref("null", "ptr")
    if val in ("undef", "poison"):
        return Ref("undef", ty)
    if val.startswith("@"):
        return Ref("global", ty, val[1:])
    if INT_TYPE.match(ty):
        if val in ("true", "false"):
            return Ref("int", ty, value=int(val == "true"))
        try:
            return Ref("int", ty, value=int(val))
        except ValueError:
            pass
    return Ref("unsupported", ty, f"constant `{text.strip()}`")  # an error only if executed


def _ref(v, fn: str, entry: str) -> Ref:
    kind = v.value_kind.name
    text = str(v)
    if kind == "argument":
        return Ref("local", str(v.type), text.split()[-1].lstrip("%"))
    if kind == "instruction":
        m = LOCAL.match(text)
        if not m:
            return Ref("unsupported", str(v.type), f"unnamed operand `{text.strip()[:40]}`")
        return Ref("local", str(v.type), m.group(1))
    if kind == "basic_block":
        m = LABEL.match(text.lstrip("\n"))
        return Ref("block", "label", m.group(1) if m else entry)
    if kind == "function":
        return Ref("func", "ptr", v.name)
    if kind == "global_variable":
        return Ref("global", "ptr", v.name)
    if kind == "inline_asm":
        return Ref("unsupported", "ptr", "inline asm")
    return _constant(text, fn)


def _phi_ref(text: str, ty: str, fn: str) -> Ref:
    text = text.strip()
    if text.startswith("%"):
        return Ref("local", ty, text[1:])
    return _constant(f"{ty} {text}", fn)


def _read_instr(i, fn: str, entry: str) -> Instr:
    text = str(i)
    m = LOCAL.match(text)
    op = i.opcode
    ins = Instr(op, m.group(1) if m else None, str(i.type), [], text)
    if op == "phi":
        body = text.split("phi", 1)[1]
        ty = body.split("[", 1)[0].split()[-1]
        ins.incoming = [(_phi_ref(v, ty, fn), b) for v, b in PHI_PAIR.findall(body)]
        return ins
    ins.ops = [_ref(o, fn, entry) for o in i.operands]
    rhs = text.split("=", 1)[1] if m else text
    if op in ("icmp", "fcmp"):
        ins.pred = next(w for w in rhs.split()[1:] if w != "samesign")
    elif op == "getelementptr":
        words = rhs.split("getelementptr", 1)[1].split(",", 1)[0].split()
        ins.gep_type = " ".join(w for w in words if w not in GEP_FLAGS)
    elif op == "alloca":
        ins.alloc_type = rhs.split("alloca", 1)[1].split(",", 1)[0].strip()
    elif op == "switch":
        table = rhs.split("[", 1)[1].rsplit("]", 1)[0]
        ins.cases = [(int(v), b) for v, b in re.findall(r"i\d+\s+(-?\d+)\s*,\s*label\s+%([-\w.$]+)", table)]
    return ins


def _param_ranges(fn_text: str, nparams: int) -> list[Optional[tuple[int, int]]]:
    header = fn_text.split("{", 1)[0]
    args = header[header.index("(", header.index("@")) + 1: header.rindex(")")]
    out = []
    for a in split_types(args)[:nparams]:
        m = RANGE_ATTR.search(a)
        out.append((int(m.group(2)), int(m.group(3))) if m else None)
    return out


def _type_name(t) -> str:
    """A field's type as the IR names it (a named struct by its name, not its definition)."""
    return f"%{t.name}" if t.is_struct and t.name else str(t)


def parse_module(text: str) -> Module:
    """Parse and verify IR text (llvmlite) into a `Module`."""
    import llvmlite.binding as llvm

    try:
        mod = llvm.parse_assembly(text)
        mod.verify()
    except RuntimeError as e:
        raise UsageError(f"LLVM IR does not parse: {str(e).splitlines()[0]}") from None
    functions = {}
    for f in mod.functions:
        params = [Param(str(a).split()[-1].lstrip("%"), str(a.type)) for a in f.arguments]
        blocks: dict = {}
        if not f.is_declaration:
            for p, r in zip(params, _param_ranges(str(f), len(params))):
                p.range = r
            entry = str(len(params))
            for b in f.blocks:
                m = LABEL.match(str(b).lstrip("\n"))
                name = m.group(1) if m and not str(b).lstrip("\n").startswith(" ") else entry
                blocks[name] = Block(name, [_read_instr(i, f.name, entry) for i in b.instructions])
        ret = str(f.global_value_type).split("(", 1)[0].strip()
        functions[f.name] = Function(f.name, params, ret, blocks, f.is_declaration)
    # from the parsed module, not the text: LLVM renames a struct (pte_t.1) it has seen before
    structs = {t.name: [_type_name(e) for e in t.elements] for t in mod.struct_types}
    globs, strings = {}, {}
    for g in mod.global_variables:
        globs[g.name] = str(g.global_value_type)
        m = re.search(r'c"((?:[^"\\]|\\.)*)\\00"', str(g))
        if m:
            strings[g.name] = m.group(1)
    return Module(functions, structs, globs, strings, mod.triple)
