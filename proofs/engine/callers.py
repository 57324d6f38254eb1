"""Caller contracts: what the callers of a system's entry points are assumed to pass.

`presets` is each system's own contract (`contract.py`: riscv-pt's callers pass the
`PAGE_HYPERVISOR_*` presets).  `any` admits every value the entry point's C
signature admits.  A run decides each version under every contract of
`Settings.callers` its system has (`callers(version)` in the system package; a
system without one has presets only).  Under `any` a version is a version of its
own, named `<version>@any`: its results, expectations, committed traces and
vectors are keyed by that name like any version's.

Presets is a restriction of any, so the two share work (`proofs/engine/decide.py`):

* a trace under presets replays under any (the any machine takes the presets
  version's committed traces: `traces_from`);
* an obligation proved under any, whose statement does not itself depend on the
  contract (`StepObligation.by_callers`), is proved under presets by that proof:
  every state presets callers reach, any callers reach too.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

PRESETS, ANY = "presets", "any"
MODES = (PRESETS, ANY)
SEP = "@"
PROVED_UNDER = "proved_under"  # a result's extra key: the any version whose proof it is

#: what each contract admits, as the report says it
MEANING = {PRESETS: "the callers pass what the system's contract allows (its presets)",
           ANY: "the callers pass anything the entry point's C signature admits"}


def name(version: str, mode: str) -> str:
    """The version as decided under `mode`: presets keeps the version's own name."""
    return version if mode == PRESETS else f"{version}{SEP}{mode}"


def split(name_: str) -> tuple[str, str]:
    """(version, contract) of a name `name` made; a plain version name is under presets."""
    base, sep, mode = name_.rpartition(SEP)
    if sep and base and mode in MODES and mode != PRESETS:
        return base, mode
    return name_, PRESETS


@lru_cache(maxsize=None)
def _under(base: type, base_name: str, mode: str) -> type:
    return type(f"{base.__name__}_{mode}", (base,), {
        "name": name(base_name, mode), "callers": mode, "under_callers_of": base_name,
        "source": f"{base.source}; callers: {MEANING[mode]}"})


def model_class(versions: dict, name_: str) -> Optional[type]:
    """The model class of a version name in a system's `versions` (name -> class): a
    version's own, or for `<version>@any` the same model as a subclass whose `callers`
    says which contract its machine's `contract` applies (`name`, `under_callers_of`:
    the names under both contracts)."""
    base, mode = split(name_)
    cls = versions.get(base)
    if cls is None or mode == PRESETS:
        return versions.get(name_)
    return _under(cls, base, mode)


def contract_of(model) -> str:
    """The contract a version's model is decided under (`model_class`): presets unless `@any`."""
    return getattr(model, "callers", PRESETS)


def parse(text: str) -> tuple[str, ...]:
    """`--callers presets,any`: the contracts, in MODES order; ValueError names a bad one."""
    items = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in items if x not in MODES]
    if bad or not items:
        raise ValueError(f"unknown caller contract {', '.join(bad) or repr(text)} "
                         f"(known: {', '.join(MODES)})")
    return tuple(m for m in MODES if m in items)


def supported(mod, version: str) -> tuple[str, ...]:
    """The contracts a system package decides `version` under (its `callers(version)`)."""
    fn = getattr(mod, "callers", None)
    return tuple(fn(version)) if fn is not None else (PRESETS,)


def expand(mod, versions: list[str], wanted: tuple[str, ...]) -> tuple[list[str], dict[str, list[str]]]:
    """(the names decided: each version under each wanted contract it has, any first,
    so its proofs can serve presets; contract -> the versions that lack it)."""
    out: list[str] = []
    lacking: dict[str, list[str]] = {}
    for v in versions:
        have = supported(mod, v)
        for mode in sorted(wanted, key=lambda m: m == PRESETS):
            if mode in have:
                out.append(name(v, mode))
            else:
                lacking.setdefault(mode, []).append(v)
    return out, lacking


def note(system: str, mode: str, versions: list[str], wanted: tuple[str, ...], why: str = "") -> str:
    """The one line a run prints for a contract some of a system's versions do not have."""
    rest = [m for m in wanted if m != mode]
    return (f"{system}: no `{mode}` caller contract yet ({', '.join(versions)})"
            + (f": {why}" if why else "")
            + (f"; decided under {', '.join(rest)} only" if rest else "; not decided"))


def partner(name_: str, decided: list[str]) -> Optional[str]:
    """For a presets version, its any version among those `decided` (whose proofs serve it)."""
    base, mode = split(name_)
    other = name(base, ANY)
    return other if mode == PRESETS and other in decided else None


# -- what a run under both contracts says, per (version, obligation) -----------------

CODE = "the code"  # proved under any callers: the code guarantees it itself
CALLERS = "its callers"  # proved under presets, violated under any: it relies on its callers
NEITHER = "neither"  # violated under presets too
OPEN = "undecided under any"  # proved under presets; under any neither proved nor refuted


def _verdict(results: list) -> str:
    from proofs.expectations import aggregate_verdict

    return aggregate_verdict(r.verdict for r in results)


def _calls(r) -> str:
    """A violated result's trace as calls, in one line."""
    cex = r.counterexample or {}
    calls = cex.get("calls") or cex.get("steps") or []  # (p2m's traces name them steps)
    out = []
    for c in calls:
        fields = c.get("args") or {k: v for k, v in c.items() if k not in ("call", "function", "rc")}
        args = ", ".join(f"{k}={v}" for k, v in fields.items())
        out.append(f"{c.get('function', c.get('call', '?'))}({args}) = {c.get('rc', '?')}")
    return "; ".join(out)


def standing(results: list) -> list[dict]:
    """Per (version, obligation) decided under presets and any: who guarantees it."""
    by: dict[tuple, list] = {}
    for r in results:
        base, mode = split(r.variant)
        by.setdefault((base, r.invariant, mode), []).append(r)
    rows = []
    for (base, inv, mode), rs in by.items():
        if mode != PRESETS or (base, inv, ANY) not in by:
            continue
        anys = by[(base, inv, ANY)]
        p, a = _verdict(rs), _verdict(anys)
        row = {"version": base, "invariant": inv, PRESETS: p, ANY: a}
        if p == "violated":
            row["guaranteed_by"] = NEITHER
        elif p == "proved" and a == "proved":
            row["guaranteed_by"] = CODE
            row["proofs_shared"] = sum(PROVED_UNDER in r.extra for r in rs)
        elif p == "proved" and a == "violated":
            row["guaranteed_by"] = CALLERS
            broken = [r for r in anys if r.verdict == "violated"]
            shortest = min(broken, key=lambda r: r.extra.get("trace_steps", 0))
            row.update(operation=shortest.operation, trace=_calls(shortest),
                       violated_in=[r.operation for r in broken])
        elif p == "proved":
            row["guaranteed_by"] = OPEN
        else:
            row["guaranteed_by"] = f"presets {p}, any {a}"
        rows.append(row)
    return rows


def lines(rows: list[dict]) -> list[str]:
    """The report's section: one line per obligation, the trace where it relies on callers."""
    if not rows:
        return []
    out = ["who guarantees each invariant (proved under any callers: the code; proved under presets "
           "but violated under any: its callers):"]
    for row in rows:
        what = row["guaranteed_by"]
        if what == CODE:
            shared = row.get("proofs_shared")
            text = "the code (proved under any callers" + (
                f"; {shared} of its presets proofs are those)" if shared else ")")
        elif what == CALLERS:
            text = (f"its callers (proved under presets, violated under any in {len(row['violated_in'])}: "
                    f"{row['operation']}: {row['trace']})")
        elif what == NEITHER:
            text = "neither (violated under presets callers too)"
        elif what == OPEN:
            text = "presets callers (proved); under any not proved and no trace within the bound"
        else:
            text = what
        out.append(f"  {row['version']} {row['invariant']}: {text}")
    return out
