"""The proof engine: every (version x invariant x operation) obligation, decided.

1. A one-step check (`induction.step_check`) assuming the lemmas the
   obligation needs.  unsat, with a vacuity witness: provisionally proved.
2. A provisional proof stands only if every lemma it assumed is itself proved
   for the version (for the call-frame lemmas: for the same operation), computed as a
   greatest fixpoint.  A proof that loses its lemmas is not reported as proved.
3. Anything not proved goes to bounded model checking from the initial state:
   a trace makes it `violated`; none within the bound leaves `not-inductive`
   (with the counterexample to the step, when there is one).
4. Solver unknowns are `unknown`, never proved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

from model.riscv.machine import OP_IDS, OPS, Geometry
from model.riscv.pte import MODES
from model.variants import VARIANTS
from proofs.bmc import bmc
from proofs.errors import require_known
from proofs.fixpoint import standing
from proofs.induction import step_check
from proofs.invariants import INVARIANTS, Invariant
from proofs.lemmas import LEMMA_INVARIANTS, NEEDS, PER_OPERATION, PROVED_BY
from proofs.result import NOT_INDUCTIVE, PROVED, UNKNOWN, VIOLATED, Result
from proofs.workers import executor, job_count

#: every obligation id the state machine checks, in report order
OBLIGATIONS: dict[str, Invariant] = {**INVARIANTS, **LEMMA_INVARIANTS}
STATE_MACHINE_VARIANTS = tuple(n for n, c in VARIANTS.items() if hasattr(c, "step"))
# the system interface (proofs/systems.py)
VARIANT_CLASSES: dict[str, type] = {n: VARIANTS[n] for n in STATE_MACHINE_VARIANTS}
SYSTEM_OBLIGATIONS = OBLIGATIONS
VECTORS = "proofs.vector_riscv_pt"  # counterexample vectors (proofs/vector.py)


@dataclass(frozen=True)
class Settings:
    solver: str = "z3"
    timeout_ms: int = 300_000
    depth: int = 6  # BMC bound, in atomic steps (a call's prologue or one loop iteration)
    mode: str = "sv39"
    pool: int = 4
    jobs: int = 0  # 0: one per core; 1: in this process (no pool)
    rlimit: Optional[int] = None  # z3's deterministic resource limit per query

    def geometry(self) -> Geometry:
        return Geometry(MODES[self.mode], pool=self.pool)

    def variant(self, name: str):
        """The named version's model on this geometry."""
        return VARIANTS[name](self.geometry())

    def bounds(self) -> dict:
        b = self.geometry().bounds()
        b.update(depth=self.depth, callers="PAGE_HYPERVISOR_* presets (| PTE_SMALL), a W+X request")
        return b


@dataclass
class _Item:
    variant: str
    invariant: str
    op: str
    status: str = ""  # step outcome: proved / cti / unknown
    vacuity: Optional[bool] = None
    cti: Optional[dict] = None
    seconds: float = 0.0
    result: Optional[Result] = None
    detail: list = field(default_factory=list)


def _step(item: _Item, settings: Settings) -> _Item:
    v = settings.variant(item.variant)
    out = step_check(v, OBLIGATIONS[item.invariant], OP_IDS[item.op], NEEDS[item.invariant],
                     settings.solver, settings.timeout_ms, settings.rlimit)
    item.status, item.vacuity, item.cti, item.seconds = out.status, out.vacuity, out.cti, out.seconds
    return item


def _search(item: _Item, settings: Settings) -> _Item:
    """BMC for an obligation that is not proved."""
    v = settings.variant(item.variant)
    inv = OBLIGATIONS[item.invariant]
    out = bmc(v, inv, OP_IDS[item.op], settings.depth, settings.solver, settings.timeout_ms,
              settings.rlimit)
    item.seconds += out.seconds
    base = dict(variant=item.variant, invariant=item.invariant, operation=OPS[OP_IDS[item.op]],
                bounds=settings.bounds(), solver=settings.solver, seconds=item.seconds,
                statement=inv.statement, where=inv.where)
    if out.status == "violated":
        item.result = Result(verdict=VIOLATED, counterexample=out.decoded,
                             detail=_joined(item.detail, f"trace of {out.depth} steps from the initial state"),
                             extra={"trace_steps": out.depth, "replay": out.trace.to_json()}, **base)
    elif out.status == "unknown" or item.status == "unknown":
        item.result = Result(verdict=UNKNOWN, detail=_joined(item.detail, "solver answered unknown"), **base)
    else:
        why = (f"no trace from the initial state within {settings.depth} steps; "
               + ("counterexample to the step attached" if item.cti else "the step proof lost its lemmas"))
        item.result = Result(verdict=NOT_INDUCTIVE, counterexample=item.cti,
                             detail=_joined(item.detail, why), **base)
    return item


def _joined(parts: list, last: str) -> str:
    return "; ".join([*parts, last])


def _sound(items: dict[tuple, _Item]) -> set[tuple]:
    """Obligations whose step proof holds with all assumed lemmas proved (greatest fixpoint)."""
    def first_lost(key: tuple, sound: set) -> Optional[str]:
        variant, inv, op = key
        return next((lemma for lemma in NEEDS[inv]
                     if any((variant, PROVED_BY[lemma], o) not in sound
                            for o in ([op] if lemma in PER_OPERATION else list(OP_IDS)))), None)

    sound, lost = standing((k for k, it in items.items() if it.status == PROVED), first_lost)
    for key, lemma in lost.items():
        items[key].detail.append(f"its step proof assumes lemma '{lemma}' ({PROVED_BY[lemma]}), "
                                 "not proved for this version")
    return sound


def run(variants: Iterable[str], invariants: Iterable[str], settings: Settings,
        ops: Iterable[str] = tuple(OP_IDS), progress=None) -> list[Result]:
    """Decide every obligation; `progress(done, total, label)` is called as they finish."""
    variants, invariants, ops = list(variants), list(invariants), list(ops)
    require_known("variant", variants, STATE_MACHINE_VARIANTS)
    require_known("invariant", invariants, OBLIGATIONS)
    # lemmas are always checked: a proof is only as good as the lemmas it assumes
    wanted = list(dict.fromkeys(invariants + [PROVED_BY[l] for i in invariants for l in NEEDS[i]]))
    items = {(v, i, o): _Item(v, i, o) for v in variants for i in wanted for o in ops}
    jobs = job_count(settings.jobs)
    total = len(items)
    done = 0
    with executor(jobs) as pool:
        for it in pool.map(_step, items.values(), [settings] * total):
            items[(it.variant, it.invariant, it.op)] = it
            done += 1
            if progress:
                progress(done, total, f"step {it.variant} {it.invariant} {it.op}")
        sound = _sound(items)
        rest = [it for k, it in items.items() if k not in sound and k[1] in invariants]
        for it in pool.map(_search, rest, [settings] * len(rest)):
            items[(it.variant, it.invariant, it.op)] = it
            if progress:
                progress(done, total, f"search {it.variant} {it.invariant} {it.op}")
    results = []
    for (v, i, o), it in items.items():
        if i not in invariants:
            continue
        if (v, i, o) in sound:
            inv = OBLIGATIONS[i]
            it.result = Result(v, i, OPS[OP_IDS[o]], PROVED, settings.bounds(), settings.solver,
                               it.seconds, inv.statement, inv.where, vacuity=it.vacuity,
                               detail="one-step inductive; assumes lemmas " + ", ".join(NEEDS[i]))
        results.append(it.result)
    return results


def run_system(variants: Iterable[str], obligations: Iterable[str], settings: Settings,
               progress=None) -> list[Result]:
    return run(variants, obligations, settings, progress=progress)
