"""Vectors of the p2m system: traces of p2m_set_entry calls, canonical and replayed.

A trace the engine found (each call: its shape, gfn, mfn, type and the outcome
of each pool allocation it attempts; the watched frame; the witness gfn) is
shrunk on the concrete model: fewest calls, then fewest allocation failures,
fewest set bits, smallest values, every candidate inside the caller contract
and still breaking the obligation at its last call.  The result is run once
more to record each call's return code, the entries the breaking call changed,
and the tree the model predicts at the end.  The shrink depends only on its
input, so a canonical vector is a fixpoint of it, and its trace (`certificate`)
is what `traces.json` commits, so a later run rebuilds the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from model.riscv.p2m_state import INVALID_MFN, NO_MD, PT_FRAME_BASE, ROOT_PAGES, TYPE_BITS, P2MState
from model.term import bv
from proofs.engine.obligation import where as where_of
from proofs.systems.p2m.machine import GEOMETRY, OPS, P2MCall, P2MMachine, machine
from proofs.systems.p2m.theorem import Call
from proofs.vector import FORMAT, FORMAT_VERSION, VectorError, relpath

SYSTEM = "p2m"
SHAPES = {v: k for k, v in OPS.items()}  # target level -> operation name
#: the event of an entry read past its table page (p2m_free_subtree below a root entry)
READS_PAST = "reads entries past a table page"
#: the event of a p2m_free_subtree walk below level 0 that comes back to a page on its path
ENDLESS = "recurses without end below level 0"
FUNCTION = "p2m_set_entry (under p2m_write_lock, as map_regions_p2mt; the unlock flushes)"


@dataclass(frozen=True)
class ConcreteCall:
    target: int  # the level p2m_set_entry writes (0: 4K, 1: 2M, 2: 1G)
    gfn: int
    mfn: int
    t: int
    fails: tuple[bool, ...] = ()  # the outcome of each pool allocation the call attempts
    nr: Optional[int] = None  # a map_regions_p2mt call of nr frames (regression scenarios)

    def p2m_call(self) -> P2MCall:
        return P2MCall(Call(bv(self.gfn, 64), self.target, bv(self.mfn, 64), bv(self.t, TYPE_BITS)),
                       list(self.fails))

    def values(self) -> tuple[int, ...]:
        return (self.gfn, self.mfn, self.t, sum(1 << i for i, f in enumerate(self.fails) if f))


def _range_step(m, s: P2MState, c: ConcreteCall) -> tuple[P2MState, int]:
    """map_regions_p2mt: p2m_set_range under the write lock, then the unlock's flush."""
    from model.riscv.p2m_state import Oracle

    st, r = m.p2m_set_range(s.clear_events(), c.gfn, c.nr, c.mfn, c.t, Oracle(list(c.fails)))
    return m.p2m_write_unlock(st), r


def _obligations() -> dict:
    from proofs.systems.p2m.theorem import CLAIMS, OBLIGATIONS

    return {k: (CLAIMS[k], OBLIGATIONS[k]) for k in CLAIMS if CLAIMS[k].kind not in ("split", "range")}


def claim_of(oid: str):
    """The obligation as theorem.py states it (what `violation` judges)."""
    return _obligations()[oid][0]


def machine_of(version: str) -> P2MMachine:
    from proofs.systems.p2m.versions import model_class

    if model_class(version) is None:
        raise VectorError(f"unknown p2m version {version!r} in vector")
    return machine(version, None)


# ---------------------------------------------------------------------------
# running calls concretely

@dataclass
class Run:
    states: list[P2MState]  # the state before each call, then after the last
    rcs: list[int]
    broke: Optional[int]  # index of the first call that breaks the obligation

    def events(self, i: int) -> list[str]:
        """What call i did that the C reports beside its return code."""
        post = self.states[i + 1]
        return [name for name, flag in (("domain_crash", post.ev_crash),
                                        ("maps a NULL metadata page", post.ev_md_missing),
                                        (READS_PAST, post.ev_oob),
                                        (ENDLESS, post.ev_endless)) if bool(flag)]

    def asserts(self, i: int) -> list[str]:
        """The ASSERTs call i fails, in the C's order and text (a debug build stops at the first)."""
        return self.states[i + 1].failed_asserts()


def _rc(w) -> int:
    v = int(w)
    return v - (1 << 32) if v >> 31 else v


def run(mach: P2MMachine, ob, calls: list[ConcreteCall], watch: int, other: int,
        stop_at_break: bool = True) -> Run:
    """The calls from the initial state (watched frame `watch`); with an obligation,
    the first call after which it does not hold for the witness gfn `other`."""
    from proofs.systems.p2m.machine import violation

    m = mach.m
    s = mach.initial(hex(watch))
    states, rcs, broke = [s], [], None
    for i, c in enumerate(calls):
        if c.nr is not None:  # regression scenarios only: no obligation is judged on it
            s, r = _range_step(m, s, c)
            rcs.append(r)
            states.append(s)
            continue
        st = mach.step(s, c.p2m_call())
        rcs.append(_rc(st.rc))
        if ob is not None and broke is None \
                and bool(violation(m, ob, s, st.post, st.call, bv(other, 64))):
            broke = i
            if stop_at_break:
                states.append(st.post)
                return Run(states, rcs, broke)
        s = st.post
        states.append(s)
    return Run(states, rcs, broke)


def contract_ok(mach: P2MMachine, calls: list[ConcreteCall]) -> bool:
    """Every p2m_set_entry call inside the caller contract (a map_regions_p2mt call is
    split by p2m_mapping_order into calls that are, for the aligned mfns scenarios use)."""
    return all(bool(mach.contract(None, c.p2m_call())) for c in calls if c.nr is None)


# ---------------------------------------------------------------------------
# canonicalisation: a greedy shrink on the concrete semantics

def _popcount(x: int) -> int:
    return bin(x).count("1")


def _candidates(x: int) -> list[int]:
    out = [0, 1]
    for bit in reversed(range(x.bit_length())):
        if x >> bit & 1:
            out.append(x & ~(1 << bit))
    if x:
        out.append(x >> 1)
    return [c for c in dict.fromkeys(out) if c != x]


def cost(calls: list[ConcreteCall], watch: int, other: int) -> tuple:
    values = [x for c in calls for x in c.values()] + [watch, other]
    return (len(calls), sum(sum(c.fails) for c in calls), sum(_popcount(x) for x in values),
            tuple(values))


def _breaks_last(mach, ob, calls, watch, other) -> bool:
    if not calls or not contract_ok(mach, calls):
        return False
    return run(mach, ob, calls, watch, other).broke == len(calls) - 1


def canonical(mach: P2MMachine, ob, calls: list[ConcreteCall], watch: int,
              other: int) -> tuple[list[ConcreteCall], int, int]:
    """The shrunk (calls, watched frame, witness gfn) of a trace that breaks `ob`."""
    r = run(mach, ob, calls, watch, other)
    if r.broke is None:
        raise VectorError(f"internal error: the trace does not break {ob.id} on "
                          f"{type(mach.m).__name__} when replayed concretely")
    calls = calls[:r.broke + 1]
    best = cost(calls, watch, other)
    changed = True
    while changed:
        changed = False

        def attempt(c2, w2, o2) -> bool:
            nonlocal calls, watch, other, best, changed
            k = cost(c2, w2, o2)
            if k < best and _breaks_last(mach, ob, c2, w2, o2):
                calls, watch, other, best, changed = c2, w2, o2, k, True
                return True
            return False

        for j in range(len(calls) - 1):
            if j < len(calls) - 1:
                attempt(calls[:j] + calls[j + 1:], watch, other)
        for i in range(len(calls)):
            c = calls[i]
            for k, f in enumerate(c.fails):
                c = calls[i]
                if k < len(c.fails) and c.fails[k]:
                    fails = c.fails[:k] + (False,) + c.fails[k + 1:]
                    while fails and not fails[-1]:
                        fails = fails[:-1]
                    attempt(calls[:i] + [_with(c, fails=fails)] + calls[i + 1:], watch, other)
            for field in ("gfn", "mfn", "t"):
                for x in _candidates(getattr(calls[i], field)):
                    attempt(calls[:i] + [_with(calls[i], **{field: x})] + calls[i + 1:], watch, other)
        for x in _candidates(other):
            attempt(calls, watch, x)
        for x in _candidates(watch):
            attempt(calls, x, other)
        # one value in several places (the same gfn or mfn in two calls, the watched frame)
        shared = sorted({v for c in calls for v in (c.gfn, c.mfn)} | {watch, other})
        for old in shared:
            for x in _candidates(old):
                sub = lambda y: x if y == old else y  # noqa: E731
                moved = [_with(c, gfn=sub(c.gfn), mfn=sub(c.mfn)) for c in calls]
                if attempt(moved, sub(watch), sub(other)):
                    break
    return calls, watch, other


def _with(c: ConcreteCall, **kw) -> ConcreteCall:
    d = dict(target=c.target, gfn=c.gfn, mfn=c.mfn, t=c.t, fails=c.fails)
    d.update(kw)
    return ConcreteCall(**d)


# ---------------------------------------------------------------------------
# vectors

def _decode(m, value: int, level: Optional[int]) -> str:
    if m.arch == "arm":
        from model.arm.lpae import format_desc
        return format_desc(value, min(3, 3 - (level or 0)))
    from model.riscv.pte import format_pte
    return format_pte(value)


def _levels(m, st: P2MState) -> dict[int, int]:
    reach = m.reach_levels(st)
    out: dict[int, int] = {}
    for level, row in enumerate(reach):
        for p, r in enumerate(row):
            if bool(r):
                out.setdefault(p, level)
    return out


def frame(page: int) -> int:
    return PT_FRAME_BASE + page


def in_use(st: P2MState, p: int) -> bool:
    """A root page, or a pool page not back in the pool (what a free page holds is stale)."""
    return p < ROOT_PAGES or not bool(st.free[p - ROOT_PAGES])


def tables(m, st: P2MState) -> list[dict[str, Any]]:
    """Every table page in use with a nonzero entry, by frame, with the level it is
    reachable at (a metadata page's entries stay 0 here: its slots are `metadata`)."""
    geo, levels = st.geo, _levels(m, st)
    out = []
    for p in range(geo.pages):
        if not in_use(st, p):
            continue
        entries = [{"index": i, "raw": hex(int(st.cells[st.cell(p, i)])),
                    "decoded": _decode(m, int(st.cells[st.cell(p, i)]), levels.get(p))}
                   for i in range(geo.entries) if int(st.cells[st.cell(p, i)])]
        if entries:
            out.append({"frame": hex(frame(p)), "level": levels.get(p), "entries": entries})
    return out


def metadata(st: P2MState) -> list[dict[str, Any]]:
    """The nonzero metadata slots of the table pages in use that have a metadata page
    (the types p2m_set_type stores outside the PTE)."""
    geo = st.geo
    return [{"frame": hex(frame(c // geo.entries)), "index": c % geo.entries, "type": int(t)}
            for c, t in enumerate(st.md) if int(t) and in_use(st, c // geo.entries)
            and int(st.md_page[c // geo.entries]) != NO_MD]


def pool_in_use(st: P2MState) -> int:
    return sum(not bool(f) for f in st.free)


def expected(m, st: P2MState) -> dict[str, Any]:
    return {"after": "returned", "pool_handed_out": pool_in_use(st),
            "tlb_stale": any(bool(s) for s in st.stale), "need_flush": bool(st.need_flush),
            "refs_watched": int(st.refs), "metadata": metadata(st), "tables": tables(m, st)}


def _changed(m, pre: P2MState, post: P2MState) -> list[dict[str, Any]]:
    geo, levels = pre.geo, {**_levels(m, post), **_levels(m, pre)}
    out = []
    for c, (a, b) in enumerate(zip(pre.cells, post.cells)):
        if int(a) != int(b):
            lv = levels.get(c // geo.entries)
            out.append({"table": hex(frame(c // geo.entries)), "index": c % geo.entries,
                        "level": -1 if lv is None else lv, "old": hex(int(a)), "new": hex(int(b)),
                        "old_decoded": _decode(m, int(a), lv), "new_decoded": _decode(m, int(b), lv)})
    return out


def call_out(m, c: ConcreteCall, rc: Optional[int], events: list[str],
             asserts: Optional[list[str]] = None) -> dict[str, Any]:
    """A call as the vector records it; `asserts` (only when some fail): the ASSERTs the call
    fails, which a release build goes past."""
    out = _call_out(m, c, rc, events)
    if asserts:
        out["asserts"] = list(asserts)
    return out


def _call_out(m, c: ConcreteCall, rc: Optional[int], events: list[str]) -> dict[str, Any]:
    names = m.type_names()
    if c.nr is not None:
        fn = ("map_regions_p2mt (p2m_insert_mapping: p2m_set_entry under the write lock; it returns "
              "the errno of the first __p2m_set_entry that fails)" if m.arch == "arm" else
              "map_regions_p2mt (p2m_set_range under the write lock; it returns the frames left when "
              "a p2m_set_entry fails)")
        return {"call": "map_regions_p2mt", "function": fn,
                "args": {"gfn": hex(c.gfn), "nr": hex(c.nr),
                         "mfn": "INVALID_MFN" if c.mfn == INVALID_MFN else hex(c.mfn),
                         "t": names.get(c.t, hex(c.t))},
                "alloc_fails": [i + 1 for i, f in enumerate(c.fails) if f],
                "steps": 1, "rc": _rc_name(rc), "rc_value": rc, "events": events}
    return {"call": "p2m_set_entry", "function": FUNCTION,
            "args": {"gfn": hex(c.gfn), "order": m.geo.level_order(c.target),
                     "mfn": "INVALID_MFN" if c.mfn == INVALID_MFN else hex(c.mfn),
                     "t": names.get(c.t, hex(c.t))},
            "alloc_fails": [i + 1 for i, f in enumerate(c.fails) if f],
            "steps": 1, "rc": _rc_name(rc), "rc_value": rc, "events": events}


def _rc_name(rc: Optional[int]) -> str:
    from model.riscv.machine import ERRNO_NAMES

    return "(not run)" if rc is None else ERRNO_NAMES.get(rc, str(rc))


def _translation(m, st: P2MState, gfn: int) -> dict:
    from proofs.systems.p2m.machine import describe_translation

    return describe_translation(m, st, gfn)


def build(mach: P2MMachine, ob, engine_ob, calls: list[ConcreteCall], watch: int, other: int,
          bounds: dict, solver: str, regression: Optional[tuple] = None) -> dict[str, Any]:
    """The vector of these calls, replayed on the concrete model."""
    m = mach.m
    r = run(mach, ob, calls, watch, other)
    if ob is not None:
        if r.broke != len(calls) - 1:
            raise VectorError(f"the calls do not break {ob.id} at their last call")
        oid, statement, where, informative = ob.id, ob.statement, engine_ob.where, ob.informative
    else:
        oid, statement, where = regression[0], regression[1], regression[2]
        informative = False
    b = len(calls) - 1
    violation = None if ob is None else {
        "witness_va": hex(other), "step": b, "call": b, "iteration": 0,
        "entries": _changed(m, r.states[b], r.states[b + 1]),
        "translation_before": _translation(m, r.states[b], other),
        "translation_after": _translation(m, r.states[b + 1], other)}
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "system": SYSTEM,
        "version": _version_name(m), "source": m.source,
        "obligation": {"id": oid, "statement": statement, "where": where, "informative": informative},
        "verdict": "holds" if ob is None else "violated", "kind": "trace", "arch": m.arch,
        "mode": m.geo.mode, "bounds": {**bounds, "trace_steps": len(calls)}, "solver": solver,
        "initial_state": {"from": "p2m_init and p2m_set_allocation: an empty 4-page root, every "
                                  "pool page free", "root": hex(frame(0)), "pool_base": hex(frame(ROOT_PAGES)),
                          "watch": hex(watch), "tables": []},
        "calls": [call_out(m, c, rc, r.events(i), r.asserts(i)) for i, (c, rc) in enumerate(zip(calls, r.rcs))],
        "violation": violation,
        "expected": expected(m, r.states[-1]),
    }


def _version_name(m) -> str:
    from proofs.systems.p2m.versions import version_name

    return version_name(m)


def calls_of(vector: dict) -> list[ConcreteCall]:
    m = machine_of(vector["version"]).m
    by_name = {n: t for t, n in m.type_names().items()}
    out = []
    for c in vector["calls"]:
        a = c.get("args", {})
        try:
            if c.get("call") == "map_regions_p2mt":
                t = by_name[a["t"]] if a["t"] in by_name else int(a["t"], 16)
                mfn = INVALID_MFN if a["mfn"] == "INVALID_MFN" else int(a["mfn"], 16)
                fails = tuple(k + 1 in c["alloc_fails"] for k in range(max(c["alloc_fails"], default=0)))
                out.append(ConcreteCall(0, int(a["gfn"], 16), mfn, t, fails, nr=int(a["nr"], 16)))
                continue
            order = int(a["order"])
            if order % m.geo.idx_bits or order // m.geo.idx_bits not in SHAPES:
                raise ValueError
            t = by_name[a["t"]] if a["t"] in by_name else int(a["t"], 16)
            mfn = INVALID_MFN if a["mfn"] == "INVALID_MFN" else int(a["mfn"], 16)
            fails = tuple(k + 1 in c["alloc_fails"] for k in range(max(c["alloc_fails"], default=0)))
            out.append(ConcreteCall(order // m.geo.idx_bits, int(a["gfn"], 16), mfn, t, fails))
        except (KeyError, ValueError, TypeError):
            raise VectorError(f"call {c.get('call')}: arguments are not gfn, order, mfn, t "
                              "(and alloc_fails) as p2m vectors write them") from None
    return out


def _need(vector: dict) -> None:
    missing = [k for k in ("initial_state", "calls", "expected") if k not in vector]
    if vector["kind"] != "trace" or missing or "watch" not in vector.get("initial_state", {}):
        raise VectorError("a p2m vector needs kind 'trace', calls, expected and initial_state.watch")


def obligation_of(vector: dict):
    if vector["verdict"] == "holds":
        return None
    got = _obligations().get(vector["obligation"]["id"])
    if got is None:
        raise VectorError(f"unknown p2m obligation {vector['obligation']['id']!r} in vector")
    return got[0]


def replay(vector: dict) -> list[str]:
    """What does not reproduce when the vector runs on the concrete model."""
    _need(vector)
    mach = machine_of(vector["version"])
    ob = obligation_of(vector)
    calls = calls_of(vector)
    watch = int(vector["initial_state"]["watch"], 16)
    other = int(vector["violation"]["witness_va"], 16) if vector.get("violation") else 0
    problems = []
    if not contract_ok(mach, calls):
        problems.append("a call is outside the caller contract (proofs/systems/p2m/contract.py)")
    r = run(mach, ob, calls, watch, other, stop_at_break=False)
    if ob is not None:
        if r.broke is None:
            return problems + [f"{ob.id} does not break"]
        if r.broke != vector["violation"]["call"]:
            problems.append(f"{ob.id} breaks at call {r.broke + 1}, the vector says "
                            f"{vector['violation']['call'] + 1}")
    for i, (want, rc) in enumerate(zip(vector["calls"], r.rcs)):
        if want.get("rc_value") != rc:
            problems.append(f"call {i + 1} ({want['call']}) returns {_rc_name(rc)}, the vector says "
                            f"{want.get('rc')}")
        if want.get("events", []) != r.events(i):
            problems.append(f"call {i + 1} ({want['call']}): events {r.events(i)}, the vector says "
                            f"{want.get('events', [])}")
        if want.get("asserts", []) != r.asserts(i):
            problems.append(f"call {i + 1} ({want['call']}): failed ASSERTs {r.asserts(i)}, the vector "
                            f"says {want.get('asserts', [])}")
    got = expected(mach.m, r.states[-1])
    for key, value in got.items():
        if vector["expected"].get(key) != value:
            problems.append(f"final {key} differs from the vector's")
    return problems


def is_canonical(vector: dict) -> bool:
    ob = obligation_of(vector)
    if ob is None:
        return True
    mach = machine_of(vector["version"])
    calls = calls_of(vector)
    watch = int(vector["initial_state"]["watch"], 16)
    other = int(vector["violation"]["witness_va"], 16)
    return canonical(mach, ob, calls, watch, other) == (calls, watch, other)


# ---------------------------------------------------------------------------
# the plugin interface (proofs/vector.py)

def _from_trace(mach: P2MMachine, trace: dict) -> tuple[list[ConcreteCall], int, int]:
    calls = []
    for target, (gfn, mfn, t), fails in trace["step_calls"]:
        calls.append(ConcreteCall(int(target), int(gfn, 16), int(mfn, 16), int(t, 16), tuple(fails)))
    return calls, int(trace.get("init") or "0x0", 16), int(trace["va"], 16)


def from_results(results: Iterable, settings) -> list[dict]:
    """One canonical vector per (version, obligation) the results refute by a trace:
    the operation with the shortest trace (then in operation order), shrunk."""
    traces: dict[tuple, list] = {}
    for r in results:
        if r.verdict == "violated" and "replay" in r.extra:
            traces.setdefault((r.variant, r.invariant), []).append(r)
    order = list(OPS)
    out = []
    obligations = _obligations()
    for (version, oid), rs in sorted(traces.items()):
        r = min(rs, key=lambda r: (r.extra["trace_steps"], order.index(r.operation.split()[-1])))
        mach = machine_of(version)
        claim, ob = obligations[oid]
        calls, watch, other = canonical(mach, claim, *_from_trace(mach, r.extra["replay"]))
        vec = build(mach, claim, ob, calls, watch, other, mach.bounds(), r.solver)
        vec["obligation"]["violated_in"] = [x.operation.split()[-1] for x in
                                            sorted(rs, key=lambda x: order.index(x.operation.split()[-1]))]
        vec["obligation"]["vector_from"] = r.operation.split()[-1]
        out.append(vec)
    return out


def certificate(vector: dict) -> Optional[tuple[str, dict]]:
    """(operation, trace) of a violated vector, as the engine replays it."""
    if vector.get("verdict") != "violated":
        return None
    calls = calls_of(vector)
    trace = {"init": vector["initial_state"]["watch"],
             "step_calls": [[c.target, [hex(c.gfn), hex(c.mfn), hex(c.t)], list(c.fails)] for c in calls],
             "va": vector["violation"]["witness_va"]}
    return vector["obligation"]["vector_from"], trace


def render(vector: dict, color: bool = False) -> str:
    """`ptprove show`: the calls, the entries the breaking call changed, the tree after."""
    lines = [f"{vector['version']} {vector['obligation']['id']}: {vector['obligation']['statement']}",
             f"  {vector['verdict']} ({vector['solver']}); watched frame {vector['initial_state']['watch']}"]
    for i, c in enumerate(vector["calls"]):
        a = c["args"]
        fails = f", allocations {c['alloc_fails']} fail" if c["alloc_fails"] else ""
        events = f" ({', '.join(c['events'])})" if c.get("events") else ""
        size = f"nr={a['nr']}" if c["call"] == "map_regions_p2mt" else f"order={a['order']}"
        lines.append(f"  call {i + 1}: {c['call']}(gfn={a['gfn']}, {size}, "
                     f"mfn={a['mfn']}, t={a['t']}){fails} -> {c['rc']}{events}")
        lines += assert_lines(c.get("asserts", []))
    v = vector.get("violation")
    if v:
        lines.append(f"  breaks at call {v['call'] + 1}, witness gfn {v['witness_va']}:")
        for e in v["entries"]:
            lines.append(f"    {e['table']}[{e['index']}] (level {e['level']}): {e['old']} -> {e['new']}"
                         f"  {e.get('new_decoded', '')}  <== breaks")
        lines.append(f"    translation before: {v['translation_before']}")
        lines.append(f"    translation after:  {v['translation_after']}")
    x = vector["expected"]
    lines.append(f"  after: {x['pool_handed_out']} pool pages in use, {x['refs_watched']} references "
                 f"on the watched frame, need_flush {x['need_flush']}")
    for t in x["tables"]:
        lines.append(f"    table {t['frame']} (level {t['level']})")
        for e in t["entries"]:
            lines.append(f"      [{e['index']}] {e['raw']}  {e['decoded']}")
    return "\n".join(lines) + "\n"


def assert_lines(asserts: list[str]) -> list[str]:
    """How `show` tells a call's failed ASSERTs: a debug build stops at the first, the
    release build the model and the C harness are goes on past each."""
    if not asserts:
        return []
    lines = [f"    a debug build stops here: {asserts[0]}"]
    if len(asserts) > 1:
        lines.append(f"    (a release build goes on, and fails {len(asserts) - 1} more: "
                     f"{'; '.join(asserts[1:])})")
    return lines


def dot(vector: dict) -> str:
    out = ["digraph p2m {"]
    for t in vector["expected"]["tables"]:
        out.append(f'  "{t["frame"]}" [shape=box label="{t["frame"]} level {t["level"]}"];')
    return "\n".join(out + ["}"]) + "\n"


def regression(version: str, settings) -> list[dict]:
    from proofs.systems.p2m.regression import vectors

    return vectors(version, settings)


__all__ = ["from_results", "replay", "render", "dot", "certificate", "is_canonical", "regression",
           "calls_of", "build", "relpath", "where_of", "GEOMETRY"]
