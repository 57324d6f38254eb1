"""The p2m system: RISC-V p2m / G-stage (seeds 003, 004, upstream) and Arm's p2m.

Each (version, obligation) is decided per call shape (`set-4k`, `set-2m`,
`set-1g`: the level p2m_set_entry writes) by `proofs/p2m/check.py`, and
split-preserves per (mode, level) by `proofs/p2m/split.py` at full width.

* proved: the one-step check is unsat with a vacuity witness, and every
  invariant it assumed of the pre-state is itself proved for that version (for
  every call shape; a greatest fixpoint) and holds in the initial state;
* violated: a trace from the initial state, replayed concretely;
* not-inductive: a counterexample to the step (replayed on a concrete copy of
  its pre-state), or a proof that lost its assumptions, and no trace within
  the depth;
* unknown: the solver said so.

Bounds (in every result): Sv39x4 (3 levels, root of 4 pages), a pool of 2 table
pages, 2 entries per table (1 index bit per level; Xen has 512), 64-bit
entries, 44-bit MFNs, BMC depth 2 calls; split-preserves at full width.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

from model.arm.p2m import ArmP2MUpstream
from model.riscv.p2m_state import MFN_BITS, P2MGeometry, P2MState
from model.riscv.p2m_upstream import RiscvP2MUpstream
from model.riscv.p2m_v2 import RiscvP2MV2
from model.riscv.p2m_v5 import RiscvP2MV5
from proofs.errors import require_known
from proofs.fixpoint import standing
from proofs.p2m.check import OPS, Outcome, bmc, geometry_bounds, step_check
from proofs.p2m.invariants import OBLIGATIONS, PRE_STATE
from proofs.p2m.split import SPLITS, split_check, split_geometry
from model.term import sym_word
from proofs.result import NOT_INDUCTIVE, PROVED, UNKNOWN, VIOLATED, Result
from proofs.solver import UNSAT, check
from proofs.workers import executor, job_count

SYSTEM = "p2m"
VARIANT_CLASSES: dict[str, type] = {
    "riscv-p2m-v2": RiscvP2MV2,
    "riscv-p2m-v5": RiscvP2MV5,
    "riscv-p2m-upstream": RiscvP2MUpstream,
    "arm-p2m-upstream": ArmP2MUpstream,
}
SYSTEM_OBLIGATIONS = OBLIGATIONS

#: the bounded model every state-machine result states
GEOMETRY = P2MGeometry(mode="sv39x4", idx_bits=1, pool=2)
DEPTH = 2  # calls
#: split-preserves members run by `make prove`; the 1G-to-4K split is in the bench
PROVE_SPLITS = {"riscv": (("sv39x4", 1, 0), ("sv39x4", 2, 1), ("sv48x4", 3, 2),
                          ("sv57x4", 4, 3)),
                "arm": (("sv39x4", 1, 0), ("sv39x4", 2, 1))}


def _step(job: tuple) -> tuple:
    variant, oid, op, solver, timeout_ms, rlimit = job
    m = VARIANT_CLASSES[variant](GEOMETRY)
    return job, step_check(m, OBLIGATIONS[oid], OPS[op], solver, timeout_ms, rlimit)


def _search(job: tuple) -> tuple:
    variant, oid, op, solver, timeout_ms, rlimit = job
    m = VARIANT_CLASSES[variant](GEOMETRY)
    return job, bmc(m, OBLIGATIONS[oid], OPS[op], DEPTH, solver, timeout_ms, rlimit)


def _split(job: tuple) -> tuple:
    variant, (mode, level, target), solver, timeout_ms, rlimit = job
    return job, split_check(VARIANT_CLASSES[variant], mode, level, target, solver, timeout_ms,
                            rlimit)


def run_system(variants: list[str], obligations: list[str], settings,
               progress: Optional[Callable[[int, int, str], None]] = None) -> list[Result]:
    require_known("variant", variants, VARIANT_CLASSES)
    require_known("invariant", obligations, OBLIGATIONS)
    solver, tmo, rl = settings.solver, settings.timeout_ms, settings.rlimit
    steps_wanted = [o for o in obligations if OBLIGATIONS[o].kind != "split"]
    needed = list(dict.fromkeys(steps_wanted + [n for o in steps_wanted
                                                for n in OBLIGATIONS[o].needs]))
    step_jobs = [(v, o, op, solver, tmo, rl) for v in variants for o in needed for op in OPS]
    split_jobs = [(v, s, solver, tmo, rl) for v in variants if "split-preserves" in obligations
                  for s in PROVE_SPLITS[VARIANT_CLASSES[v].arch]]
    jobs = job_count(settings.jobs)
    total, done = len(step_jobs) + len(split_jobs), 0
    outcomes: dict[tuple, Outcome] = {}
    split_out = []
    with executor(jobs) as pool:
        for job, out in pool.map(_split, split_jobs):
            split_out.append((job, out))
            done += 1
            if progress:
                progress(done, total, f"p2m split {job[0]} {job[1]}")
        for job, out in pool.map(_step, step_jobs):
            outcomes[job[:3]] = out
            done += 1
            if progress:
                progress(done, total, f"p2m step {job[0]} {job[1]} {job[2]}")
        for v in variants:  # an assumption must also hold where every trace starts
            for n in {n for o in needed for n in OBLIGATIONS[o].needs if n in PRE_STATE}:
                if not _initially(v, n, solver, tmo, rl):
                    for op in OPS:
                        if (v, n, op) in outcomes and outcomes[(v, n, op)].status == PROVED:
                            outcomes[(v, n, op)].status = "cti"
                            outcomes[(v, n, op)].detail.append("does not hold initially")
        sound = _sound(outcomes)
        rest = [(v, o, op, solver, tmo, rl) for (v, o, op) in outcomes
                if o in steps_wanted and (v, o, op) not in sound]
        searched = dict((job[:3], out) for job, out in pool.map(_search, rest))
    results = [_split_result(job, out, solver) for job, out in split_out]
    for (v, o, op), out in outcomes.items():
        if o in steps_wanted:
            results.append(_result(v, o, op, out, (v, o, op) in sound, searched.get((v, o, op)),
                                   solver))
    order = {o: k for k, o in enumerate(obligations)}
    results.sort(key=lambda r: (variants.index(r.variant), order[r.invariant]))
    return results


def _initially(variant: str, name: str, solver: str, timeout_ms: int, rlimit) -> bool:
    """Does the state invariant hold in the initial state (for every watched frame)?"""
    m = VARIANT_CLASSES[variant](GEOMETRY)
    st = P2MState.initial(GEOMETRY, sym_word("watch0", MFN_BITS))
    return check((~PRE_STATE[name](m, st)).node(), solver, timeout_ms, rlimit).status == UNSAT


def _sound(outcomes: dict[tuple, Outcome]) -> set:
    """Step proofs whose assumed invariants are themselves proved for every call shape."""
    def first_lost(key: tuple, sound: set) -> Optional[str]:
        v, o, _ = key
        return next((n for n in OBLIGATIONS[o].needs if n in PRE_STATE
                     and any((v, n, op) not in sound for op in OPS)), None)

    sound, lost = standing((k for k, o in outcomes.items() if o.status == PROVED), first_lost)
    for key, name in lost.items():
        outcomes[key].detail.append(f"its step proof assumes '{name}', not proved for this version")
    return sound


def _base(variant: str, oid: str, operation: str, bounds: dict, solver: str) -> dict:
    ob = OBLIGATIONS[oid]
    return dict(variant=variant, invariant=oid, operation=operation, bounds=bounds,
                solver=solver, statement=ob.statement, where=ob.where, system=SYSTEM)


def _result(v: str, o: str, op: str, out: Outcome, sound: bool, search: Optional[Outcome],
            solver: str) -> Result:
    base = _base(v, o, f"p2m_set_entry {op}", geometry_bounds(GEOMETRY, DEPTH), solver)
    assumed = ", ".join(n for n in OBLIGATIONS[o].needs)
    if sound:
        return Result(verdict=PROVED, seconds=out.seconds, vacuity=out.vacuity,
                      detail=f"one-step inductive; assumes {assumed} of the pre-state", **base)
    secs = out.seconds + (search.seconds if search else 0.0)
    detail = "; ".join(out.detail)
    join = (lambda s: f"{detail}; {s}" if detail else s)
    if search and search.status == "violated":
        return Result(verdict=VIOLATED, seconds=secs, counterexample=search.counterexample,
                      detail=join(f"trace of {search.depth} calls from the initial state"),
                      extra={"trace_calls": search.depth}, **base)
    if out.status == UNKNOWN or (search and search.status == UNKNOWN):
        return Result(verdict=UNKNOWN, seconds=secs, detail=join("solver answered unknown"), **base)
    why = f"no trace from the initial state within {DEPTH} calls"
    return Result(verdict=NOT_INDUCTIVE, seconds=secs, counterexample=out.counterexample,
                  detail=join(why + ("; counterexample to the step attached"
                                     if out.counterexample else "")), **base)


def _split_result(job: tuple, out, solver: str) -> Result:
    v, (mode, level, target) = job[0], job[1]
    geo = split_geometry(mode, level, target)
    bounds = dict(geo.bounds(), level=level, target=target,
                  table_width="full: 512 entries per table", depth="one call of "
                  "p2m_split_superpage, allocations succeed")
    base = _base(v, "split-preserves", f"p2m_split_superpage level {level} to {target}",
                 bounds, solver)
    if out.status == PROVED:
        return Result(verdict=PROVED, seconds=out.seconds, vacuity=out.vacuity,
                      detail="unsat for every superpage entry and frame, at full width", **base)
    if out.status == UNKNOWN:
        return Result(verdict=UNKNOWN, seconds=out.seconds, detail="solver answered unknown",
                      **base)
    return Result(verdict=NOT_INDUCTIVE, seconds=out.seconds, counterexample=out.counterexample,
                  detail="a superpage whose split changes a frame's translation (replayed); "
                  "no p2m_set_entry makes a leaf at this level", **base)


def bench_rows(solver: str = "z3", timeout_ms: int = 900_000) -> list[dict]:
    """Timings: every one-step obligation of upstream RISC-V, and the full-width
    splits including 1G down to 4K.  One dict per row."""
    rows = []
    for o in OBLIGATIONS:
        if OBLIGATIONS[o].kind == "split":
            continue
        for op in OPS:
            t0 = time.perf_counter()
            _, out = _step(("riscv-p2m-upstream", o, op, solver, timeout_ms, None))
            rows.append(dict(kind="step", variant="riscv-p2m-upstream", obligation=o, op=op,
                             status=out.status, seconds=round(time.perf_counter() - t0, 2)))
    for s in SPLITS["riscv"]:
        t0 = time.perf_counter()
        _, out = _split(("riscv-p2m-upstream", s, solver, timeout_ms, None))
        rows.append(dict(kind="split", variant="riscv-p2m-upstream", obligation="split-preserves",
                         op=f"{s[0]} level {s[1]} to {s[2]}", status=out.status,
                         seconds=round(time.perf_counter() - t0, 2)))
    return rows

