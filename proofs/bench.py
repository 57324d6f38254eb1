"""`make bench`: how long the obligations take and how that grows (printed, JSON, PNG; never asserted).

Sections (`--only` picks some; `--quick` shrinks every one of them):

* steps    every one-step obligation (version x invariant x operation) and every
           encoding obligation (version x obligation x mode x level): the median
           of `--runs` runs;
* prove    the wall time of `ptprove prove --jobs 2` (what `make prove` runs);
* engines  today's engine against the engine of `--baseline REV` (default: the
           commit before issue 21's levers), side by side in one run: each
           system's `make prove` command (`--vectors` on a scratch copy of the
           committed vectors) in each tree, its wall time and the ratio; the new
           engine also with `--search-all` (every trace found from scratch);
* levels   the cost over paging levels: step obligations at Sv39/Sv48/Sv57,
           encoding obligations at those and their x4 (G-stage) forms;
* depth    BMC from the initial state at depth 1..`--max-depth`;
* pool     step obligations and BMC over the allocator's pool size;
* solvers  z3, cvc5 and Bitwuzla (its PyPI package) on the same exported
           `.smt2` obligations (`ptprove export --smtlib`), with ratios to z3;
* random   time to the first counterexample for each seed finding: BMC against
           hypothesis random testing of the concrete interpreter, same budget
           (riscv-pt rows, then the p2m findings; `--quick` runs one p2m row).

Everything goes to `--out` (default build/bench/): bench.json and one PNG per
curve.  Times measured on a loaded machine are not headline figures.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Optional

from model.riscv.machine import OP_IDS, Geometry
from model.riscv.pte import MODES
from proofs.systems.riscv_pt.versions import VERSIONS as VARIANTS
from proofs.systems.encodings import theorem as encodings
from proofs.engine import Settings
from proofs.engine.search import search
from proofs.engine.step import step_check
from proofs.systems.riscv_pt.machine import RiscvPtMachine
from proofs.systems.riscv_pt.theorem import OBLIGATIONS
from proofs.errors import EXIT_USAGE
from proofs.engine.result import UNKNOWN

SECTIONS = ("steps", "prove", "engines", "c_machine", "refine", "levels", "depth", "pool", "solvers", "random")
UP, V9, V5 = "riscv-pt-upstream", "riscv-pt-v9", "riscv-pt-v5"

#: (version, invariant, operation) of each finding, and what the trace shows
SEED_FINDINGS = {
    "v5: modify ORs R/W/X (RX modified to RW ends RWX)": (V5, "wx", "modify"),
    "v5: ASSERT with || lets INVALID_MFN through map_pages_to_xen": (V5, "wx", "map"),
    "v5: pte_is_mapping misses read-only leaves (walker descends into the page)": (V5, "well-formed", "map"),
    "upstream: destroy inside a superpage removes all of it": (UP, "footprint", "destroy"),
    "upstream: destroy overruns its range (left wraps)": (UP, "lemma-progress", "destroy"),
    "v9: populate over an aligned range stops at the superpage level": (V9, "functional", "populate"),
    "v9: modify of an unmapped range returns 0 doing nothing": (V9, "functional", "modify"),
}
#: p2m findings (proofs/p2m): (version, obligation, call shape of the breaking call)
P2M_SEED_FINDINGS = {
    "seed 004 (p2m v2): descend loop runs the wrong way after a split (misaligned leaf)":
        ("riscv-p2m-v2", "reserved", "set-4k"),
    "seed 004 (p2m v2): the wrong-way loop's leaf replaces the whole superpage":
        ("riscv-p2m-v2", "footprint", "set-4k"),
    "seed 004 (p2m v2): ... and with it the type of the superpage's other frames":
        ("riscv-p2m-v2", "type-preserved", "set-4k"),
    "upstream p2m: a foreign leaf replaced by another frame puts no reference":
        ("riscv-p2m-upstream", "refcount", "set-4k"),
    "arm p2m: remapping a foreign frame at the same MFN keeps the old reference":
        ("arm-p2m-upstream", "refcount", "set-4k"),
}
#: the step obligations the curves time: cheap, middling and the tree walk
CURVE_STEPS = (("wx", "map"), ("reserved", "map"), ("well-formed", "map"), ("lemma-pool", "map"))
CLEAN_BMC = (UP, "wx", "map")  # proved, so BMC runs to full depth


def median_time(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    """(median wall time of `runs` calls, the last call's result)."""
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


STATE_MACHINE_VARIANTS = tuple(VARIANTS)


def _machine(v) -> RiscvPtMachine:
    """The engine's machine for a riscv-pt model instance."""
    return RiscvPtMachine(v, 0, Settings())


def bmc(v, inv: str, op: str, depth: int, timeout_ms: int = 60_000):
    """The engine's BMC for one riscv-pt obligation and operation, z3."""
    return search(_machine(v), [(OBLIGATIONS[inv], op)], depth, "z3", timeout_ms)[0]


def _step(name: str, inv: str, op: str, geo: Geometry):
    m = _machine(VARIANTS[name](geo))
    return lambda: step_check(m, OBLIGATIONS[inv], op, "z3", 300_000).status


def _enc(name: str, mode: str):
    """All encoding obligations of one version at every level of `mode`."""
    subjects = [encodings.riscv_subject(VARIANTS[name](), MODES[mode], lvl) for lvl in range(MODES[mode].levels)]
    return lambda: [encodings.check_obligation(ob, s)[0] for s in subjects for ob in encodings.OBLIGATIONS]


# ---------------------------------------------------------------------------
# sections

def steps(args, say) -> dict:
    rows = []
    for name in args.variants:
        for inv in args.invariants:
            for op in OP_IDS:
                t, status = median_time(_step(name, inv, op, Geometry(MODES["sv39"], pool=4)), args.runs)
                rows.append({"variant": name, "obligation": inv, "operation": op, "status": status,
                             "median_s": t})
                say(f"step  {name:18} {inv:15} {op:9} {status:6} {t:8.3f} s")
        for ob in encodings.OBLIGATIONS:
            for mode in encodings.DEFAULT_MODES:
                for lvl in range(MODES[mode].levels):
                    s = encodings.riscv_subject(VARIANTS[name](), MODES[mode], lvl)
                    t, r = median_time(lambda: encodings.check_obligation(ob, s), args.runs)
                    rows.append({"variant": name, "obligation": ob.id, "operation": f"{mode}/l{lvl}",
                                 "status": r[0], "median_s": t})
    ts = [r["median_s"] for r in rows]
    summary = {"obligations": len(rows), "runs_each": args.runs, "total_of_medians_s": sum(ts),
               "median_s": statistics.median(ts), "max_s": max(ts),
               "slowest": max(rows, key=lambda r: r["median_s"])}
    say(f"steps: {len(rows)} obligations, median {summary['median_s']:.3f} s, max {summary['max_s']:.2f} s "
        f"({summary['slowest']['variant']} {summary['slowest']['obligation']} {summary['slowest']['operation']}), "
        f"sum of medians {summary['total_of_medians_s']:.1f} s")
    return {"rows": rows, "summary": summary}


#: `make prove`'s command after `ptprove prove` (the Makefile's; tests/test_bench.py holds them equal),
#: its --json / --junit / --vectors paths given by the caller
MAKE_PROVE = ("--lifted-c", "--callers", "presets,any")


def prove(args, say) -> dict:
    """`make prove`'s command as it runs in CI (its vectors on a scratch copy, its report
    here, no previous report but the committed estimates): wall time, and per system and
    in all the obligations, solver seconds summed, the median and the slowest."""
    import shutil

    out = Path(args.out) / "prove.json"
    out.unlink(missing_ok=True)  # as in a fresh clone: no previous report orders the jobs
    vectors = Path(args.out) / "prove-counterexamples"
    shutil.rmtree(vectors, ignore_errors=True)
    shutil.copytree(ROOT / "counterexamples", vectors)
    argv = [sys.executable, "-m", "proofs", "prove", "--json", str(out), "--vectors", str(vectors), *MAKE_PROVE]
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.perf_counter() - t0
    say(f"prove: make prove's command took {wall:.1f} s, exit {p.returncode}")
    return {"wall_s": wall, "exit": p.returncode, "command": "ptprove prove " + " ".join(MAKE_PROVE),
            "systems": per_system(out, say), "all": overall(out, say)}


def overall(report_json: Path, say) -> dict:
    """The whole run's obligations: how many, solver seconds summed, median, over 5 s, slowest."""
    try:
        results = json.loads(report_json.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return {}
    secs = sorted(((r.get("seconds") or 0.0), f"{r['variant']} {r['invariant']} {r['operation'].split(' (')[0]}")
                  for r in results)
    if not secs:
        return {}
    out = {"obligations": len(secs), "sum_s": sum(t for t, _ in secs),
           "median_s": statistics.median(t for t, _ in secs), "over_5s": sum(t > 5 for t, _ in secs),
           "slowest": [list(x) for x in secs[::-1][:5]]}
    say(f"prove: all {out['obligations']} obligations, {out['sum_s']:.0f} s summed, median {out['median_s']:.2f} s, "
        f"{out['over_5s']} over 5 s; slowest {secs[-1][1]} {secs[-1][0]:.1f} s")
    return out


#: the engine before issue 21 (by_case queries, committed traces): `engines`' default baseline
BASELINE_REV = "ccc0a99"
ROOT = Path(__file__).resolve().parent.parent


def _prove_in(tree: Path, system: str, scratch: Path, extra: list[str]) -> tuple[float, int, dict]:
    """(wall seconds, exit status, report) of one system's `make prove` command run in `tree`."""
    import shutil

    vectors = scratch / "counterexamples"
    shutil.rmtree(vectors, ignore_errors=True)
    scratch.mkdir(parents=True, exist_ok=True)
    shutil.copytree(tree / "counterexamples", vectors)
    report = scratch / "report.json"
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "proofs", "prove", "--jobs", "2", "--system", system,
                        "--json", str(report), "--vectors", str(vectors), *extra],
                       cwd=tree, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.perf_counter() - t0
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        data = {}
    return wall, p.returncode, data


def compare_verdicts(baseline: dict, new: dict, search_all: dict) -> dict:
    """How the three runs' verdicts, keyed by (version, invariant, operation), agree.

    The baseline tree predates obligations and model fixes added since, so it is held to
    the obligations both trees decide (`common`); the new engine and `--search-all` run
    the same tree and must agree on every obligation."""
    common = sorted(set(baseline) & set(new))
    differ = [k for k in common if baseline[k] != new[k]]
    search = sorted(k for k in set(new) | set(search_all) if new.get(k) != search_all.get(k))
    return {"common": len(common), "baseline_only": len(set(baseline) - set(new)),
            "new_only": len(set(new) - set(baseline)),
            "differ_from_baseline": [list(k) + [baseline[k], new[k]] for k in differ],
            "differ_from_search_all": [list(k) + [new.get(k), search_all.get(k)] for k in search],
            "same_verdicts": not differ and not search}


def verdict_line(row: dict) -> str:
    """One clause for the bench's line: the verdict agreement `compare_verdicts` found."""
    d, s = row["differ_from_baseline"], row["differ_from_search_all"]
    text = (f"{row['common'] - len(d)} of {row['common']} common verdicts the same as the baseline"
            + (f" ({row['new_only']} new only, {row['baseline_only']} baseline only)"
               if row["new_only"] or row["baseline_only"] else ""))
    text += ", --search-all " + ("the same" if not s else f"DIFFERS on {len(s)}")
    if d:
        text += "; DIFFER: " + ", ".join(f"{k[0]} {k[1]} {k[2].split(' (')[0]} {k[3]}->{k[4]}" for k in d[:3])
    return text


def engines(args, say) -> dict:
    """Per system: the baseline tree's engine and this one, on the same obligations."""
    import shutil
    import tempfile

    from proofs import systems

    scratch = Path(tempfile.mkdtemp(prefix="ptprove-bench-"))
    base = scratch / "baseline"
    base.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline], capture_output=True)
    if archive.returncode:
        say(f"engines: cannot read revision {args.baseline} ({archive.stderr.decode().strip()}): skipped")
        shutil.rmtree(scratch, ignore_errors=True)
        return {"skipped": f"no revision {args.baseline}"}
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
    if (ROOT.parent / "shared").exists() and not (scratch / "shared").exists():
        (scratch / "shared").symlink_to(ROOT.parent / "shared")  # ../shared, as beside the repository
    runs = {"baseline": (base, []), "new": (ROOT, []), "new --search-all": (ROOT, ["--search-all"])}
    rows, totals = [], {k: 0.0 for k in runs}
    wanted = [s.id for s in systems.SYSTEMS if args.systems is None or s.id in args.systems]
    for sid in wanted:
        row = {"system": sid}
        for name, (tree, extra) in runs.items():
            wall, status, data = _prove_in(tree, sid, scratch / "runs" / name.replace(" ", "_"), extra)
            verdicts = {(r["variant"], r["invariant"], r["operation"]): r["verdict"]
                        for r in data.get("results", [])}
            row[name] = {"wall_s": wall, "exit": status, "obligations": len(verdicts), "verdicts": verdicts}
            totals[name] += wall
        row.update(compare_verdicts(row["baseline"]["verdicts"], row["new"]["verdicts"],
                                    row["new --search-all"]["verdicts"]))
        row["ratio"] = row["baseline"]["wall_s"] / max(row["new"]["wall_s"], 1e-9)
        say(f"engines: {sid:13} baseline {row['baseline']['wall_s']:6.1f} s ({row['baseline']['obligations']}), "
            f"new {row['new']['wall_s']:6.1f} s ({row['new']['obligations']}) (x{row['ratio']:.2f}), "
            f"new --search-all {row['new --search-all']['wall_s']:6.1f} s; {verdict_line(row)}; exits "
            + "/".join(str(row[k]["exit"]) for k in runs))
        for k in runs:
            del row[k]["verdicts"]
        rows.append(row)
    ratio = totals["baseline"] / max(totals["new"], 1e-9)
    say(f"engines: all systems: baseline {totals['baseline']:.0f} s, new {totals['new']:.0f} s (x{ratio:.2f}), "
        f"new --search-all {totals['new --search-all']:.0f} s")
    shutil.rmtree(scratch, ignore_errors=True)
    return {"baseline": args.baseline, "rows": rows, "totals_s": totals, "ratio": ratio}


def _prove_json(argv: list[str], scratch: Path) -> tuple[float, int, dict]:
    """(wall seconds, exit status, report) of `ptprove prove ARGV --jobs 2` in this tree."""
    scratch.mkdir(parents=True, exist_ok=True)
    report = scratch / "report.json"
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "proofs", "prove", "--jobs", "2", "--json", str(report), *argv],
                       cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.perf_counter() - t0
    try:
        return wall, p.returncode, json.loads(report.read_text())
    except (OSError, ValueError):
        return wall, p.returncode, {}


def c_machine(args, say) -> dict:
    """Per riscv-pt version whose pt.c is at hand: `prove --c-source` of that pt.c (the
    lifted C as a version, its base's committed traces replayed on it) against the model
    version's own prove, per (obligation, operation) and whole, in one run."""
    import tempfile

    from proofs.refine.sources import versions_at_hand

    import shutil

    scratch = Path(tempfile.mkdtemp(prefix="ptprove-bench-c-"))
    vectors = scratch / "counterexamples"  # a copy: the model's run compares (and may write) vectors
    shutil.copytree(ROOT / "counterexamples", vectors)
    rows, totals = [], []
    for version, path in versions_at_hand(scratch=scratch).items():
        if version not in args.variants:
            continue
        runs = {"model": _prove_json(["--system", "riscv-pt", "--variant", version, "--vectors", str(vectors)],
                                     scratch / version / "model"),
                "C": _prove_json(["--c-source", str(path), "--base", version, "--name", f"{version}-c"],
                                 scratch / version / "c")}
        times = {k: {(r["invariant"], r["operation"]): (r["seconds"], r["verdict"])
                     for r in data.get("results", [])} for k, (_, _, data) in runs.items()}
        for key in sorted(set(times["model"]) & set(times["C"])):
            (tm, vm), (tc, vc) = times["model"][key], times["C"][key]
            rows.append({"variant": version, "obligation": key[0], "operation": key[1], "model_s": tm, "c_s": tc,
                         "ratio": tc / max(tm, 1e-3), "same_verdict": vm == vc})
        mine = [r for r in rows if r["variant"] == version]
        whole = {k: {"wall_s": w, "exit": e} for k, (w, e, _) in runs.items()}
        ratios = [r["ratio"] for r in mine]
        total = {"variant": version, **{f"{k}_wall_s": v["wall_s"] for k, v in whole.items()},
                 "exits": [v["exit"] for v in whole.values()], "pairs": len(mine),
                 "median_ratio": statistics.median(ratios) if ratios else None,
                 "max_ratio": max(ratios, default=None), "within_3x": sum(x <= 3 for x in ratios),
                 "same_verdicts": all(r["same_verdict"] for r in mine) and len(mine) == len(times["C"])}
        totals.append(total)
        worst = max(mine, key=lambda r: r["ratio"], default=None)
        say(f"c_machine: {version:18} model {total['model_wall_s']:6.1f} s, C {total['C_wall_s']:6.1f} s "
            f"(x{total['C_wall_s'] / max(total['model_wall_s'], 1e-9):.2f}); per obligation median "
            f"x{total['median_ratio'] or 0:.2f}, {total['within_3x']} of {len(mine)} within 3x"
            + (f", worst x{worst['ratio']:.1f} ({worst['obligation']} {worst['operation'].split(' (')[0]})"
               if worst else "") + f"; verdicts {'the same' if total['same_verdicts'] else 'DIFFER'}")
    shutil.rmtree(scratch, ignore_errors=True)
    return {"rows": rows, "totals": totals}


def per_system(report_json: Path, say) -> dict:
    """Per system, from the prove run's report (one run, not medians): how many
    obligations, their summed solver seconds, and the slowest."""
    try:
        results = json.loads(report_json.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return {}
    out: dict = {}
    for r in results:
        s = out.setdefault(r.get("system", "?"), {"obligations": 0, "sum_s": 0.0, "slowest": []})
        s["obligations"] += 1
        s["sum_s"] += r.get("seconds") or 0.0
        op = r["operation"].split(" (")[0]
        s["slowest"].append([r.get("seconds") or 0.0, f"{r['variant']} {r['invariant']} {op}"])
    for name, s in out.items():
        s["slowest"] = sorted(s["slowest"], reverse=True)[:3]
        say(f"prove: {name:13} {s['obligations']:4} obligations, {s['sum_s']:7.1f} s summed; slowest "
            + "; ".join(f"{w} {t:.1f} s" for t, w in s["slowest"]))
    return out


def in_fresh_process(fn: Callable, *args):
    """fn(*args) in a new interpreter: pysmt's symbols are global to a process,
    and the witness address has a different width in each paging mode."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _mode_steps(mode: str, runs: int) -> list[float]:
    return [median_time(_step(UP, inv, op, Geometry(MODES[mode], pool=4)), runs)[0] for inv, op in CURVE_STEPS]


def refine(args, say) -> dict:
    """Per refinement unit of each riscv-pt version whose C is at hand: lift time and total
    time (lift and solver), medians of --runs; and each version's total."""
    from proofs.refine.run import VERSIONS as REFINED, at_hand, refine as refine_version

    rows, totals = [], {}
    sources = at_hand()
    for name in (v for v in REFINED if v in sources):
        runs = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            runs.append(refine_version(name, sources[name]))
            totals.setdefault(name, []).append(time.perf_counter() - t0)
        for k, r in enumerate(runs[0]):
            total = statistics.median(rs[k].seconds for rs in runs)
            lift = statistics.median(rs[k].extra["lift_seconds"] for rs in runs)
            rows.append({"variant": name, "unit": r.operation, "verdict": r.verdict,
                         "lift_s": lift, "solver_s": total - lift, "median_s": total})
            say(f"refine {name:18} {r.operation:32} {r.verdict:7} lift {lift:6.2f} s solver {total - lift:6.2f} s")
    return {"rows": rows, "totals_s": {k: statistics.median(v) for k, v in totals.items()},
            "max_s": max((r["median_s"] for r in rows), default=None)}


def levels(args, say) -> dict:
    series: dict[str, list] = {}
    for mode in args.modes:
        lv = MODES[mode].levels
        for (inv, op), t in zip(CURVE_STEPS, in_fresh_process(_mode_steps, mode, args.runs)):
            series.setdefault(f"step {inv} {op} ({UP})", []).append([lv, t])
            say(f"levels {mode:6} step {inv:12} {op:6} {t:8.3f} s")
    for mode in args.modes:
        for m in (mode, mode + "x4"):
            t, _ = median_time(_enc(UP, m), args.runs)
            series.setdefault("encodings, all levels" + (" (x4, G-stage)" if m.endswith("x4") else ""),
                              []).append([MODES[m].levels, t])
            say(f"levels {m:6} encodings (all obligations, all levels) {t:8.3f} s")
    plot(Path(args.out) / "levels.png", "cost over paging levels", "levels (Sv39, Sv48, Sv57)", series)
    return {"series": series, "note": "x4 forms: encoding obligations only (the pt.c machine is S-stage)"}


def depth(args, say) -> dict:
    name, inv, op = CLEAN_BMC
    points, unknown = [], []
    for d in range(1, args.max_depth + 1):
        v = VARIANTS[name](Geometry(MODES["sv39"], pool=4))
        t0 = time.perf_counter()
        r = bmc(v, inv, op, d, timeout_ms=int(args.solver_timeout * 1000))
        points.append([d, time.perf_counter() - t0])
        if r.status == UNKNOWN:  # the time is the timeout, not a cost
            unknown.append(d)
        say(f"depth {d}: BMC {name} {inv} {op} {r.status} {points[-1][1]:8.2f} s")
    series = {f"BMC {inv} {op} ({name}, no trace: full depth)": points}
    plot(Path(args.out) / "depth.png", "BMC cost over depth", "depth (atomic steps)", series)
    return {"series": series, "unknown_at": unknown, "timeout_s": args.solver_timeout}


def pool(args, say) -> dict:
    series: dict[str, list] = {}
    for n in args.pools:
        geo = Geometry(MODES["sv39"], pool=n)
        for inv, op in CURVE_STEPS:
            t, _ = median_time(_step(UP, inv, op, geo), args.runs)
            series.setdefault(f"step {inv} {op}", []).append([n, t])
        t0 = time.perf_counter()
        bmc(VARIANTS[V5](geo), "wx", "modify", 4)
        series.setdefault("BMC v5 wx modify (4-step trace)", []).append([n, time.perf_counter() - t0])
        say(f"pool {n}: " + ", ".join(f"{k} {v[-1][1]:.2f} s" for k, v in series.items()))
    plot(Path(args.out) / "pool.png", "cost over the allocator's pool", "table pages in the pool", series)
    return {"series": series}


# -- solvers on exported scripts ------------------------------------------------------

_RUNNERS = {
    "z3": "import z3,sys\ns=z3.Solver()\ns.from_file(sys.argv[1])\nprint(s.check())",
    "cvc5": ("import cvc5,sys\ntm=cvc5.TermManager()\ns=cvc5.Solver(tm)\np=cvc5.InputParser(s)\n"
             "p.setFileInput(cvc5.InputLanguage.SMT_LIB_2_6, sys.argv[1])\nsm=p.getSymbolManager()\n"
             "while True:\n c=p.nextCommand()\n if c.isNull(): break\n o=c.invoke(s,sm)\n"
             " if o.strip(): print(o.strip())"),
    "bitwuzla": ("import bitwuzla,sys\ntm=bitwuzla.TermManager()\n"
                 "bitwuzla.Parser(tm,bitwuzla.Options()).parse(sys.argv[1])"),
}


def solve_file(solver: str, path: Path, timeout_s: float) -> tuple[str, float]:
    """(answer, wall seconds) of one solver on one script, in its own process
    (so a timeout kills it); the time includes parsing the script."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-c", _RUNNERS[solver], str(path)], capture_output=True,
                           text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0
    lines = p.stdout.split()
    answer = lines[-1] if lines and lines[-1] in ("sat", "unsat", "unknown") else "error"
    return answer, time.perf_counter() - t0


def solvers(args, say) -> dict:
    smt = Path(args.out) / "smt"
    cmd = [sys.executable, "-m", "proofs", "export", "--smtlib", str(smt),
           "--variant", ",".join(args.variants), "--invariant", ",".join(args.export_invariants)]
    smt.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if p.returncode != 0:
        say(f"solvers: export failed ({p.stderr.strip().splitlines()[-1:]})")
        return {"error": p.stderr.strip()}
    rows = []
    names = [s for s in ("z3", "cvc5", "bitwuzla") if _importable(s)]
    for f in sorted(smt.rglob("*.smt2")):
        expected = next((ln.split(":")[1].strip() for ln in f.read_text().splitlines()[:30]
                         if ln.startswith("; expected:")), "?")
        row = {"file": str(f.relative_to(smt)), "expected": expected}
        for s in names:
            row[s], row[f"{s}_s"] = solve_file(s, f, args.solver_timeout)
        row["agree"] = len({row[s] for s in names if row[s] in ("sat", "unsat")}) <= 1
        for s in names[1:]:
            row[f"{s}/z3"] = row[f"{s}_s"] / row["z3_s"] if row.get("z3_s") else None
        rows.append(row)
        say(f"solvers {row['file']:55} " + "  ".join(f"{s} {row[s]:7} {row[s + '_s']:6.2f} s" for s in names)
            + ("" if row["agree"] else "  DISAGREE"))
    summary = {s: {"total_s": sum(r[f"{s}_s"] for r in rows),
                   "decided": sum(r[s] in ("sat", "unsat") for r in rows)} for s in names}
    for s in names[1:]:
        ratios = [r[f"{s}/z3"] for r in rows if r.get(f"{s}/z3")]
        summary[s]["median_ratio_to_z3"] = statistics.median(ratios) if ratios else None
    summary["disagreements"] = [r["file"] for r in rows if not r["agree"]]
    say("solvers: " + "; ".join(f"{s} {v['total_s']:.1f} s, {v['decided']}/{len(rows)} decided"
                                + (f", median x{v['median_ratio_to_z3']:.2f} of z3" if v.get("median_ratio_to_z3")
                                   else "") for s, v in summary.items() if s in names)
        + f"; disagreements: {len(summary['disagreements'])}")
    return {"rows": rows, "summary": summary, "solvers": names,
            "note": "each time is a fresh process: interpreter start and parsing included"}


def _importable(module: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


# -- BMC against random testing -------------------------------------------------------

class _OutOfBudget(Exception):
    pass


def first_hit(strategy, hits: Callable[[object], bool], budget_s: float) -> tuple[Optional[float], int]:
    """(seconds until hypothesis draws an example `hits` accepts, or None within the
    budget; examples tried).  Derandomized: repeatable."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    t0, tried, hit = time.perf_counter(), [0], []

    def breaks(example) -> bool:
        if time.perf_counter() - t0 > budget_s:
            raise _OutOfBudget
        tried[0] += 1
        if hits(example):
            hit.append(time.perf_counter() - t0)
            return True
        return False

    try:
        find(strategy, breaks, settings=settings(max_examples=100_000, phases=[Phase.generate],
                                                 deadline=None, database=None, derandomize=True,
                                                 suppress_health_check=list(HealthCheck)))
    except (_OutOfBudget, NoSuchExample):
        pass
    return (hit[0] if hit else None), tried[0]


def random_search(name: str, inv: str, op: str, budget_s: float) -> tuple[Optional[float], int]:
    """riscv-pt: the first random call sequence that breaks `inv` during `op` (first_hit)."""
    from proofs.systems.riscv_pt.differential import calls, run_calls

    v = VARIANTS[name](Geometry(MODES["sv39"], pool=4))
    return first_hit(calls(v, 4), lambda seq: any(
        x.key() == (inv, op) for x in run_calls(v, seq, step_budget=24, obligations=(inv,))), budget_s)


def p2m_random_search(name: str, inv: str, op: str, budget_s: float) -> tuple[Optional[float], int]:
    """p2m: the first random run (calls, watched frame) whose call shaped `op` breaks `inv`."""
    from proofs.systems.p2m.differential import run_calls, runs
    from proofs.systems.p2m.machine import GEOMETRY
    from proofs.systems.p2m.versions import VERSIONS as VARIANT_CLASSES

    m = VARIANT_CLASSES[name](GEOMETRY)
    return first_hit(runs(m, 3), lambda sw: any(
        x.key() == (inv, op) for x in run_calls(m, *sw, obligations=(inv,))), budget_s)


def _p2m_bmc(name: str, inv: str, op: str, timeout_ms: int):
    """p2m BMC from the initial state within the system's depth (calls), z3."""
    from proofs.systems.p2m import OBLIGATIONS as P2M_OBLIGATIONS
    from proofs.systems.p2m.machine import machine

    m = machine(name, Settings())
    return search(m, [(P2M_OBLIGATIONS[inv], op)], m.depth, "z3", timeout_ms)[0]


def _race(what: str, name: str, inv: str, op: str, unit: str, run_bmc: Callable, search: Callable,
          budget_s: float, say) -> dict:
    """One row: BMC's time to the trace, then random search with max(budget, BMC's time)."""
    t0 = time.perf_counter()
    r = run_bmc()
    t_bmc = time.perf_counter() - t0
    budget = max(budget_s, t_bmc)
    t_rand, tried = search(name, inv, op, budget)
    found = f"{t_rand:7.2f} s after {tried} sequences" if t_rand is not None else \
        f"not found in {budget:.0f} s ({tried} sequences)"
    say(f"random {name:18} {inv:14} {op:8} BMC {r.status} {r.depth} {unit} {t_bmc:7.2f} s; random: {found}")
    return {"finding": what, "variant": name, "obligation": inv, "operation": op,
            "bmc": r.status, "bmc_steps": r.depth, "bmc_unit": unit, "bmc_s": t_bmc, "budget_s": budget,
            "random_s": t_rand, "random_tried": tried,
            "random_over_bmc": (t_rand / t_bmc) if t_rand is not None else None}


def random(args, say) -> dict:
    rows, timeout_ms = [], int(args.solver_timeout * 1000)
    for what, (name, inv, op) in SEED_FINDINGS.items():
        v = VARIANTS[name](Geometry(MODES["sv39"], pool=4))
        rows.append(_race(what, name, inv, op, "steps",
                          lambda: bmc(v, inv, op, args.depth, timeout_ms=timeout_ms),
                          random_search, args.random_budget, say))
    p2m = list(P2M_SEED_FINDINGS.items())
    for what, (name, inv, op) in p2m[:1] if args.quick else p2m:
        rows.append(_race(what, name, inv, op, "calls", lambda: _p2m_bmc(name, inv, op, timeout_ms),
                          p2m_random_search, args.random_budget, say))
    return {"rows": rows, "budget_note": "random testing gets max(--random-budget, BMC's time)",
            "bounds": {"riscv-pt": f"sv39, pool 4, BMC depth {args.depth} steps",
                       "p2m": "the p2m system's (proofs/systems/p2m/machine.py): sv39x4, pool 2, 2 entries per "
                              "table, BMC depth 2 calls"}}


# ---------------------------------------------------------------------------

def plot(path: Path, title: str, xlabel: str, series: dict[str, list]) -> None:
    """One PNG with a line per series (seconds, log scale); nothing if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        print(f"no {path.name}: matplotlib is not installed (pip install -e '.[bench]')", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, pts in series.items():
        ax.plot([p[0] for p in pts], [max(p[1], 1e-3) for p in pts], marker="o", label=label)
    ax.set(title=title, xlabel=xlabel, ylabel="seconds (median)", yscale="log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summary_table(report: dict) -> str:
    """The headline figures of whatever sections ran, as one markdown table."""
    rows = []
    if "steps" in report:
        s = report["steps"]["summary"]
        rows.append(("obligations (median of %d runs)" % s["runs_each"],
                     f"{s['obligations']}: median {s['median_s']:.2f} s, max {s['max_s']:.1f} s, "
                     f"sum {s['total_of_medians_s']:.0f} s"))
    for row in report.get("engines", {}).get("rows", []):
        rows.append((f"engines: {row['system']}", f"baseline {row['baseline']['wall_s']:.0f} s, new "
                     f"{row['new']['wall_s']:.0f} s (x{row['ratio']:.2f}), from scratch "
                     f"{row['new --search-all']['wall_s']:.0f} s; {row['common']} common verdicts"
                     + ("" if row["same_verdicts"] else "; VERDICTS DIFFER")))
    if "totals_s" in report.get("engines", {}):
        t = report["engines"]["totals_s"]
        rows.append(("engines: all systems", f"baseline {t['baseline']:.0f} s, new {t['new']:.0f} s "
                     f"(x{report['engines']['ratio']:.2f})"))
    for t in report.get("c_machine", {}).get("totals", []):
        rows.append((f"prove --c-source: {t['variant']}'s pt.c", f"{t['C_wall_s']:.0f} s, model {t['model_wall_s']:.0f} s; "
                     f"per obligation median x{t['median_ratio'] or 0:.2f}, {t['within_3x']} of {t['pairs']} "
                     "within 3x" + ("" if t["same_verdicts"] else "; VERDICTS DIFFER")))
    if "prove" in report:
        a = report["prove"].get("all") or {}
        rows.append(("`make prove`'s command", f"{report['prove']['wall_s']:.0f} s wall (exit {report['prove']['exit']})"
                     + (f": {a['obligations']} obligations, {a['sum_s']:.0f} s of solver time summed, median "
                        f"{a['median_s']:.2f} s, {a['over_5s']} over 5 s, slowest {a['slowest'][0][1]} "
                        f"{a['slowest'][0][0]:.1f} s" if a else "")))
        for name, s in report["prove"].get("systems", {}).items():
            rows.append((f"prove: {name}", f"{s['obligations']} obligations, {s['sum_s']:.0f} s summed, slowest "
                         f"{s['slowest'][0][1]} {s['slowest'][0][0]:.0f} s"))
    for sec, unit in (("levels", "levels"), ("depth", "steps"), ("pool", "pages")):
        unknown = report.get(sec, {}).get("unknown_at", [])
        for label, pts in report.get(sec, {}).get("series", {}).items():
            rows.append((f"{sec}: {label}", ", ".join(f"{x} {unit}: " + ("unknown (timeout)" if x in unknown
                                                                          else f"{y:.2f} s") for x, y in pts)))
    if "solvers" in report and "summary" in report["solvers"]:
        for name, v in report["solvers"]["summary"].items():
            if isinstance(v, dict):
                ratio = f", median x{v['median_ratio_to_z3']:.2f} of z3" if v.get("median_ratio_to_z3") else ""
                rows.append((f"solver {name} on exported .smt2", f"{v['decided']} decided, {v['total_s']:.1f} s{ratio}"))
        rows.append(("solver disagreements", str(len(report["solvers"]["summary"]["disagreements"]))))
    for r in report.get("random", {}).get("rows", []):
        rnd = f"{r['random_s']:.1f} s" if r["random_s"] is not None else f"not found in {r['budget_s']:.0f} s"
        rows.append((f"first counterexample: {r['variant']} {r['obligation']} {r['operation']}",
                     f"BMC {r['bmc_s']:.1f} s ({r['bmc_steps']} {r.get('bmc_unit', 'steps')}); "
                     f"random testing {rnd}"))
    return "\n".join(["| measure | figure |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def parse(argv: Optional[Iterable[str]]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m proofs.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="1 run, upstream only, 3 invariants, depth to 3, pools 1-3, no full prove")
    ap.add_argument("--only", type=_csv, default=None, help=f"sections, comma list of {','.join(SECTIONS)}")
    ap.add_argument("--runs", type=int, default=None, help="runs per timing (median; default 5)")
    ap.add_argument("--variants", type=_csv, default=None)
    ap.add_argument("--invariants", type=_csv, default=None)
    ap.add_argument("--modes", type=_csv, default=None, help="default sv39,sv48,sv57")
    ap.add_argument("--max-depth", type=int, default=None, help="BMC depth curve to this (default 8)")
    ap.add_argument("--pools", type=lambda t: [int(x) for x in _csv(t)], default=None, help="default 1..6")
    ap.add_argument("--depth", type=int, default=6, help="BMC bound for the findings")
    ap.add_argument("--random-budget", type=float, default=None, help="seconds (default 60)")
    ap.add_argument("--solver-timeout", type=float, default=300.0,
                    help="seconds per solver query: BMC (depth curve, findings) and each exported script "
                         "(default 300)")
    ap.add_argument("--baseline", default=BASELINE_REV,
                    help=f"engines: the revision whose engine is compared (default {BASELINE_REV})")
    ap.add_argument("--systems", type=_csv, default=None, help="engines: systems to run (default all)")
    ap.add_argument("--out", default="build/bench")
    a = ap.parse_args(list(argv) if argv is not None else None)
    q = a.quick
    a.only = a.only or [s for s in SECTIONS if not (q and s in ("prove", "engines", "c_machine"))]
    a.runs = (1 if q else 5) if a.runs is None else a.runs
    a.variants = a.variants or ([UP] if q else list(STATE_MACHINE_VARIANTS))
    a.invariants = a.invariants or (["tlb", "wx", "reserved"] if q else list(OBLIGATIONS))
    a.export_invariants = a.invariants if q else list(OBLIGATIONS) + ["enc-table", "enc-mapping"]
    a.modes = a.modes or (["sv39", "sv48"] if q else ["sv39", "sv48", "sv57"])
    a.max_depth = (3 if q else 8) if a.max_depth is None else a.max_depth
    a.pools = a.pools or ([1, 2, 3] if q else [1, 2, 3, 4, 5, 6])
    a.random_budget = (10.0 if q else 60.0) if a.random_budget is None else a.random_budget
    bad = [s for s in a.only if s not in SECTIONS] + [v for v in a.variants if v not in STATE_MACHINE_VARIANTS] \
        + [i for i in a.invariants if i not in OBLIGATIONS] + [m for m in a.modes if m not in ("sv39", "sv48", "sv57")]
    if bad or a.runs < 1 or a.max_depth < 1 or min(a.pools) < 1:
        ap.exit(EXIT_USAGE, f"python -m proofs.bench: bad argument: {', '.join(map(str, bad)) or 'a count below 1'}\n")
    return a


def main(argv: Optional[Iterable[str]] = None) -> int:
    args = parse(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    say = lambda line: print(line, flush=True)  # noqa: E731
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    report: dict = {"meta": {"cpus": os.cpu_count(), "load_at_start": load, "runs": args.runs,
                             "solver": "z3 (pysmt) unless stated", "bounds": "sv39, pool 4, 64-bit entries"
                             " unless a curve varies them",
                             "note": "figures measured on a shared, loaded machine are not headline figures"}}
    t0 = time.perf_counter()
    for name in args.only:
        say(f"== {name}")
        report[name] = globals()[name](args, say)
        (out / "bench.json").write_text(json.dumps(report, indent=2, default=str))
    say("\n" + summary_table(report))
    report["meta"]["wall_s"] = time.perf_counter() - t0
    report["meta"]["load_at_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    (out / "bench.json").write_text(json.dumps(report, indent=2, default=str))
    say(f"\nwrote {out / 'bench.json'} and the PNG curves in {out} ({report['meta']['wall_s']:.0f} s; "
        f"load {load} at start: loaded-machine figures are not headline figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
