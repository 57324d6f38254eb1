"""Encoding obligations: do Xen's PTE predicates agree with the architecture?

For one variant at one (mode, level) the *subject* pairs Xen's predicates
(`pte_is_table`, `pte_is_mapping`, or Arm's `lpae_is_table/mapping`) with the
spec's classification (`model.riscv.pte.classify`, `model.arm.lpae.classify_desc`).
Each obligation is a (domain, claim) pair over one symbolic 64-bit entry; the
solver looks for a domain entry breaking the claim.

The domain "spec-accepted" means: V=1 and the spec says pointer or leaf (Arm:
table, block or page) at this level — every non-reserved, non-faulting
encoding.  Entries the walk rejects (reserved XWR, reserved bits, PBMT=3,
misaligned superpages, ...) are outside it: the predicates are not meant to
validate entries, and what they say about those is reported separately in
`extra["accepts_faulting"]`.

A counterexample is replayed on concrete values, shrunk by clearing bits while
it still fails, and decoded.  Then its encoding class (XWR for RISC-V, bits[1:0]
for Arm) is blocked and the solver asked again, so a violated result lists
every misclassified class, not just the first one found.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence

from model.arm import lpae
from model.riscv import pte as rv
from model.term import TRUE, Bool, Word, evaluate, sym_word
from proofs.systems.riscv_pt.versions import VERSIONS as VARIANTS
from proofs.engine import solver as smt
from proofs.errors import UsageError
from proofs.engine.obligation import Member, Query, where
from proofs.engine.result import PROVED, UNKNOWN, VIOLATED

ARM_VARIANT = "arm-lpae"
ARM_MODE = "vmsav8-64-4k"
DEFAULT_MODES = ("sv39", "sv39x4")
RISCV_EXT = rv.Extensions()  # Svpbmt on (mandatory for Xen), no Svnapot, no Zicfiss
MAX_CLASSES = 16  # more encoding classes than RISC-V's 8 XWR or Arm's 4 type codes


@dataclass(frozen=True)
class Subject:
    """One variant's predicates next to the spec, at one mode and level."""

    variant: str
    arch: str
    mode: str
    level: int
    names: dict  # how statements name the predicates and spec classes
    spec_table: Callable[[Word], Bool]
    spec_mapping: Callable[[Word], Bool]
    spec_reasons: Callable[[Word], dict]
    is_table: Callable[[Word], Bool]
    is_mapping: Callable[[Word], Bool]
    xen_assert: Callable[[Word], Bool]
    describe: Callable[[int], dict]
    class_of: Callable[[Word], Word]  # the encoding class blocked between counterexamples
    class_name: Callable[[int], str]

    def accepted(self, p: Word) -> Bool:
        """The spec accepts `p` at this level (pointer or leaf / table, block or page)."""
        return self.spec_table(p) | self.spec_mapping(p)


def riscv_subject(x: Any, mode: rv.Mode, level: int, ext: rv.Extensions = RISCV_EXT) -> Subject:
    """`x` is a variant instance (any object with Xen's pte_* predicates)."""
    spec = lambda p: rv.classify(p, level, mode, ext)  # noqa: E731
    return Subject(
        variant=x.name, arch="riscv", mode=mode.name, level=level,
        names={"table": "pte_is_table(p)", "mapping": "pte_is_mapping(p)",
               "spec_table": "pointer", "spec_mapping": "leaf", "assert": "pte_assert"},
        spec_table=lambda p: spec(p).pointer,
        spec_mapping=lambda p: spec(p).leaf,
        spec_reasons=lambda p: spec(p).reasons,
        is_table=x.pte_is_table,
        is_mapping=x.pte_is_mapping,
        xen_assert=x.pte_assert,
        describe=lambda v: rv.describe_pte(v, mode, level, ext),
        class_of=lambda p: p.bits(3, 1),
        class_name=lambda v: "xwr={:03b} ({})".format(
            (v >> 1) & 7, "".join(c for i, c in enumerate("rwx") if (v >> (1 + i)) & 1) or "none"),
    )


def arm_subject(level: int) -> Subject:
    x = lpae.ArmLpae()
    spec = lambda p: lpae.classify_desc(p, level)  # noqa: E731
    return Subject(
        variant=ARM_VARIANT, arch="arm", mode=ARM_MODE, level=level,
        names={"table": f"lpae_is_table(p, {level})", "mapping": f"lpae_is_mapping(p, {level})",
               "spec_table": "table", "spec_mapping": "block or page", "assert": "(no ASSERT)"},
        spec_table=lambda p: spec(p).table,
        spec_mapping=lambda p: spec(p).mapping,
        spec_reasons=lambda p: spec(p).reasons,
        is_table=lambda p: x.lpae_is_table(p, level),
        is_mapping=lambda p: x.lpae_is_mapping(p, level),
        xen_assert=lambda p: TRUE,
        describe=lambda v: lpae.describe_desc(v, level),
        class_of=lambda p: p.bits(1, 0),
        class_name=lambda v: f"bits[1:0]={v & 3:02b}",
    )


# ---------------------------------------------------------------------------
# the obligations

@dataclass(frozen=True)
class Obligation:
    id: str
    statement: str  # formatted with Subject.names
    formula: Callable[[Subject, Word], tuple[Bool, Bool]]  # (domain, claim)
    predicate: Optional[str]  # "table"/"mapping": the Xen predicate it is about
    where: str
    informative: bool = False


OBLIGATIONS: list[Obligation] = []


def obligation(oid: str, statement: str, predicate: Optional[str] = None):
    def deco(fn: Callable[[Subject, Word], tuple[Bool, Bool]]):
        OBLIGATIONS.append(Obligation(oid, statement, fn, predicate, where(fn)))
        return fn

    return deco


ACCEPTED = ("for every entry p the spec accepts at this level (V=1 and {spec_table} or "
            "{spec_mapping}: the non-reserved, non-faulting encodings)")


@obligation("enc-table", ACCEPTED + ": {table} <=> p is a {spec_table}", "table")
def enc_table(s: Subject, p: Word) -> tuple[Bool, Bool]:
    return s.accepted(p), s.is_table(p).iff(s.spec_table(p))


@obligation("enc-mapping", ACCEPTED + ": {mapping} <=> p is a {spec_mapping}", "mapping")
def enc_mapping(s: Subject, p: Word) -> tuple[Bool, Bool]:
    return s.accepted(p), s.is_mapping(p).iff(s.spec_mapping(p))


@obligation("enc-exclusive", "for every 64-bit value p (no assumption): not ({table} and {mapping})")
def enc_exclusive(s: Subject, p: Word) -> tuple[Bool, Bool]:
    return TRUE, ~(s.is_table(p) & s.is_mapping(p))


@obligation("enc-total", ACCEPTED + ": {table} or {mapping}")
def enc_total(s: Subject, p: Word) -> tuple[Bool, Bool]:
    return s.accepted(p), s.is_table(p) | s.is_mapping(p)


# ---------------------------------------------------------------------------
# checking

class ReplayMismatch(Exception):
    """The solver's entry does not break the claim when evaluated concretely."""


def _fails(ob: Obligation, s: Subject, value: int) -> bool:
    domain, claim = ob.formula(s, rv.pte_word(value))
    return bool(domain) and not bool(claim)


def _shrink(ob: Obligation, s: Subject, value: int) -> int:
    """Clear bits (high to low) while the entry still fails in the same class."""
    key = int(s.class_of(rv.pte_word(value)))
    for bit in reversed(range(rv.PTE_WIDTH)):
        cand = value & ~(1 << bit)
        if cand != value and int(s.class_of(rv.pte_word(cand))) == key and _fails(ob, s, cand):
            value = cand
    return value


def _entry(p: Word, model) -> int:
    """The entry a solver model gives (a symbol the query left free reads as 0)."""
    return int(evaluate(p, model))


def _report_entry(s: Subject, value: int) -> dict:
    w = rv.pte_word(value)
    out = s.describe(value)
    out["class"] = s.class_name(value)
    out["xen"] = {s.names["table"]: bool(s.is_table(w)), s.names["mapping"]: bool(s.is_mapping(w))}
    out["assert_holds"] = bool(s.xen_assert(w))
    return out


def _accepts_faulting(s: Subject, p: Word, predicate: Callable[[Word], Bool],
                      ask: Callable) -> list[str]:
    """Fault reasons some entry with that reason still passes `predicate` with.

    A reason is listed bare when such an entry also satisfies the debug-build
    ASSERT, and as "<reason> (ASSERT catches)" when only the ASSERT rejects it.
    """
    out = []
    for reason, holds in s.spec_reasons(p).items():
        if holds.is_concrete and not holds.v:
            continue
        accepted = holds & predicate(p)
        if ask(accepted & s.xen_assert(p)).status == smt.SAT:
            out.append(reason)
        elif ask(accepted).status == smt.SAT:
            out.append(f"{reason} (ASSERT catches)")
    return out


def decide_subject(ob: Obligation, s: Subject, ask: Callable) -> tuple:
    """(verdict, counterexample, detail, extra, vacuity) of one obligation at one
    subject; `ask(formula)` is the run's solver."""
    p = sym_word("encodings.pte", rv.PTE_WIDTH)
    domain, claim = ob.formula(s, p)
    extra: dict = {}
    witness = ask(domain)
    if witness.status != smt.SAT:
        vacuity = False if witness.status == smt.UNSAT else None
        return (UNKNOWN, None, f"domain {'is empty' if vacuity is False else 'undecided'}: nothing proved",
                extra, vacuity)
    extra["witness"] = s.describe(_entry(p, witness.model))

    classes: list[dict] = []
    blocked = TRUE
    for _ in range(MAX_CLASSES):
        ans = ask(domain & ~claim & blocked)
        if ans.status == smt.UNKNOWN:
            return UNKNOWN, None, "solver answered unknown", extra, True
        if ans.status == smt.UNSAT:
            break
        value = _entry(p, ans.model)
        if not _fails(ob, s, value):
            raise ReplayMismatch(f"{s.variant} {ob.id}: solver entry {value:#x} does not replay")
        value = _shrink(ob, s, value)
        classes.append(_report_entry(s, value))
        blocked = blocked & (s.class_of(p) != s.class_of(rv.pte_word(value)))

    assert_gap = ask(domain & ~s.xen_assert(p))
    if assert_gap.status == smt.SAT:
        e = _entry(p, assert_gap.model)
        extra["assert_excludes"] = s.describe(e)
        assert_note = f"{s.names['assert']} fails on some domain entries (e.g. {e:#x})"
    else:
        assert_note = f"{s.names['assert']} holds on every domain entry"
    if ob.predicate:
        pred = s.is_table if ob.predicate == "table" else s.is_mapping
        extra["accepts_faulting"] = _accepts_faulting(s, p, pred, ask)

    if not classes:
        return PROVED, None, assert_note, extra, True
    classes.sort(key=lambda c: c["class"])
    names = ", ".join(c["class"] for c in classes)
    return (VIOLATED, dict(classes[0], classes=classes),
            f"misclassified encoding classes: {names}; {assert_note}", extra, True)


def check_obligation(ob: Obligation, s: Subject, solver: str = "z3", timeout_ms: int = 60_000,
                     rlimit: Optional[int] = None) -> tuple:
    """`decide_subject` with a solver of its own (the mutation run and the bench)."""
    return decide_subject(ob, s, lambda f: smt.check(f.node(), solver, timeout_ms, rlimit))


def subject_bounds(s: Subject) -> dict:
    b = {"mode": s.mode, "level": s.level}
    if s.arch == "riscv":
        b["ext"] = ",".join(RISCV_EXT.names) or "none"
    return b


def members(ob: Obligation):
    """The engine's members of one encoding obligation: one per (mode, level) subject."""
    def of(cls, settings) -> list[Member]:
        out = []
        for s in subjects([cls.name]):
            p = sym_word("encodings.pte", rv.PTE_WIDTH)
            out.append(Member("-", subject_bounds(s), lambda s=s, p=p: ob.formula(s, p),
                              lambda ask, s=s: decide_subject(ob, s, ask),
                              statement=ob.statement.format(**s.names),
                              name=f"{s.mode}-l{s.level}"))
        return out
    return of


def subjects(variants: Optional[Iterable[str]] = None,
             modes: Sequence[str] = DEFAULT_MODES) -> list[Subject]:
    names = list(variants) if variants is not None else [*VARIANTS, ARM_VARIANT]
    out = []
    for name in names:
        if name == ARM_VARIANT:
            out += [arm_subject(level) for level in range(lpae.LPAE_LEVELS)]
            continue
        if name not in VARIANTS:
            raise UsageError(f"unknown variant {name!r} (known: {', '.join([*VARIANTS, ARM_VARIANT])})")
        for m in modes:
            if m not in rv.MODES:
                raise UsageError(f"unknown mode {m!r} (known: {', '.join(rv.MODES)})")
            mode = rv.MODES[m]
            out += [riscv_subject(VARIANTS[name](), mode, level) for level in range(mode.levels)]
    return out


# ---------------------------------------------------------------------------
# as the engine decides them

QUERIES: dict[str, Query] = {ob.id: Query(ob.id, ob.statement, members(ob), ob.informative,
                                          cites=ob.formula) for ob in OBLIGATIONS}
