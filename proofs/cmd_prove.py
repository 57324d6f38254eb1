"""`ptprove prove` (what `make prove` runs) and `ptprove list`."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable, Optional

from model.cite import citations
from model.riscv.machine import OP_IDS, OPS
from proofs import interrupt, systems
from proofs.engine import Settings, callers
from proofs.errors import (EXIT_INTERRUPTED, EXIT_MISMATCH, InternalError, Interrupted, PtproveError, SolverError,
                           UsageError)
from proofs.expectations import against_base, aggregate, exit_status, inherit, load_expectations, record
from proofs.systems.riscv_pt.lookup import NOT_LIFTED
from proofs.outputs import check_dir, check_file
from proofs.progress import Progress
from proofs.report import Canonical, Run, render, write_json, write_junit
from proofs.engine.solver import SOLVERS, available
from proofs.engine import estimates
from proofs.engine.estimates import longest_first
from proofs.engine.workers import pool_for

EXPECTATIONS = str(Path(__file__).with_name("expectations.json"))
COUNTEREXAMPLES = Path(__file__).resolve().parent.parent / "counterexamples"
ALL_VARIANTS = list(systems.all_variants())
ALL_OBLIGATIONS = list(systems.all_obligations())


def _csv(choices: list[str], what: str):
    def parse(text: str) -> list[str]:
        items = [x.strip() for x in text.split(",") if x.strip()]
        bad = [x for x in items if x not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(bad) or repr(text)} (known: {', '.join(choices)})")
        return items
    return parse


def _table_entries(text: str) -> int:
    n = _positive(text)
    if n < 2 or n > 512 or n & (n - 1):
        raise argparse.ArgumentTypeError(f"must be a power of 2 from 2 to 512: {n}")
    return n


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {n}")
    return n


SYSTEM_IDS = [s.id for s in systems.SYSTEMS]


def _callers(text: str) -> tuple[str, ...]:
    try:
        return callers.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prove", help="prove or refute every obligation; compare with expectations",
        description="Decide every (version, obligation) selected, print one verdict table per "
        "system, and compare the verdicts with the expectations file.  Exit 0: all as expected; "
        "1: a verdict or vector differs; 2: usage, input or output error; 3: a solver did not "
        "decide; 130: interrupted.")
    sel = p.add_argument_group("selection (default: everything)")
    sel.add_argument("--system", type=_csv(SYSTEM_IDS, "system"), default=None, metavar="IDS",
                     help=f"comma list of systems ({', '.join(SYSTEM_IDS)})")
    sel.add_argument("--variant", type=_csv(ALL_VARIANTS, "variant"), default=None, metavar="NAMES",
                     help="comma list of versions (see `ptprove list`)")
    sel.add_argument("--invariant", type=_csv(ALL_OBLIGATIONS, "invariant"), default=None, metavar="IDS",
                     help="comma list of obligation ids (see `ptprove list`)")
    bounds = p.add_argument_group("bounds and solver")
    bounds.add_argument("--depth", type=_positive, default=Settings.depth,
                        help="BMC bound in atomic steps (default %(default)s)")
    bounds.add_argument("--mode", choices=("sv39", "sv48", "sv57"), default=Settings.mode,
                        help="paging mode of the state machine (Xen uses sv39)")
    bounds.add_argument("--pool", type=_positive, default=Settings.pool,
                        help="table pages the allocator can hand out (default %(default)s)")
    bounds.add_argument("--p2m-entries", type=_table_entries, default=0, metavar="N",
                        help="entries per p2m table in the p2m state machine, a power of 2 up to 512 "
                             "(default 2: the cost grows about 6x per doubling, see `make sweep`)")
    bounds.add_argument("--deep-refines", action="store_true",
                        help="also the `refines` units make prove leaves out for their time: the p2m's "
                             "p2m_set_entry at levels 1 and 0, a superpage split on the way (minutes "
                             "each; `make sweep`'s p2m-refines-deep)")
    bounds.add_argument("--jobs", type=_positive, default=None,
                        help="worker processes (default: one per core; 1: in this process)")
    bounds.add_argument("--scheduler", nargs="?", const="local", default=None, metavar="ADDRESS",
                        help="run the obligations on the dask.distributed scheduler at ADDRESS "
                        "(e.g. tcp://host:8786; its workers need ptprove installed), or on a local "
                        "cluster of --jobs processes when no address is given")
    bounds.add_argument("--solver", choices=SOLVERS, default="z3",
                        help="solver for the step, initial-state and query obligations (default z3)")
    bounds.add_argument("--search-solver", choices=SOLVERS, default=None,
                        help="solver for the BMC search from the initial state (default bitwuzla, "
                             "faster there; with --rlimit, the --solver)")
    bounds.add_argument("--timeout", type=_positive, default=300,
                        help="seconds per solver query (default %(default)s; a timeout is unknown, exit 3)")
    bounds.add_argument("--rlimit", type=_positive, default=None,
                        help="z3 resource limit per query (deterministic; exhausted: unknown, exit 3)")
    bounds.add_argument("--xen-src", metavar="DIR", default=None,
                        help="a Xen tree holding the C each riscv-pt version refines (`refines`; default "
                             "../shared/xen beside the repository, v5 from seed 000)")
    bounds.add_argument("--c-source", metavar="FILE", default=None,
                        help="a pt.c: without --variant, the lifted C is itself a riscv-pt version "
                             "(--name), decided like a model version and expected to give --base's "
                             "verdicts; with one riscv-pt --variant, the C that version refines (`refines`)")
    bounds.add_argument("--name", default=None, metavar="NAME",
                        help="with --c-source: the C version's name (default riscv-pt-c)")
    bounds.add_argument("--base", default=None, metavar="VERSION",
                        help="with --c-source: the model version whose asm/page.h (the shim flavour), "
                             "caller contract and expected verdicts the C takes (default riscv-pt-upstream)")
    bounds.add_argument("--lifted-c", action="store_true",
                        help="also decide, for each riscv-pt version selected whose pt.c is at hand "
                             "(--xen-src), that pt.c lifted from LLVM IR as a version of its own "
                             "(<version>-c), expected to give the version's verdicts on every obligation "
                             "(the cross-check line of the report)")
    bounds.add_argument("--callers", type=_callers, default=Settings.callers, metavar="CONTRACTS",
                        help="comma list of caller contracts each version is decided under: presets "
                        "(the system's contract: riscv-pt's PAGE_HYPERVISOR_* presets), any (every value "
                        "the entry points' C signatures admit; a version under it is <version>@any); "
                        "default presets; make prove: presets,any")
    bounds.add_argument("--confirm", choices=("cvc5",), default=None,
                        help="re-check proved step/vacuity queries and violated traces afterwards")
    out = p.add_argument_group("outputs (checked writable before any work starts)")
    out.add_argument("--json", metavar="FILE",
                     help="write the JSON report (proofs/report.schema.json), also on Ctrl-C; "
                     "a report already there orders this run's jobs, longest first (its times)")
    out.add_argument("--junit", metavar="FILE", help="write a JUnit XML file, one testcase per result")
    out.add_argument("--expectations", default=EXPECTATIONS, metavar="FILE",
                     help="expected verdicts (default proofs/expectations.json)")
    out.add_argument("--vectors", metavar="DIR", help="write each violated obligation's canonical vector "
                     "to DIR/<version>/<obligation>.json and compare with what is there (make prove: "
                     "counterexamples); every violated trace goes to DIR/<version>/traces.json, and "
                     "a committed trace that still breaks its obligation establishes the verdict "
                     "by replay, without a search")
    out.add_argument("--update", action="store_true",
                     help="with --vectors: rewrite differing and remove stale vectors and traces")
    out.add_argument("--search-all", action="store_true",
                     help="with --vectors: find every violated trace with the solver, ignoring the "
                     "committed traces (they are still compared)")
    review = p.add_argument_group("reviewing a new version")
    review.add_argument("--against", type=_csv(ALL_VARIANTS, "variant"), default=None, metavar="BASE",
                        help="also run version BASE; show only the obligations where a --variant's "
                        "verdict differs from BASE's (an unrecorded verdict equal to BASE's matches)")
    review.add_argument("--record-expectations", action="store_true",
                        help="add this run's verdicts missing from --expectations to that file, each "
                        "with an empty reason to fill in (until then no run passes)")
    p.set_defaults(run=prove)

    lp = sub.add_parser("list", help="versions, invariants and operations",
                        description="Every modelled version (with the C each function follows), "
                        "every obligation and every operation.")
    lp.add_argument("--json", action="store_true", help="the same as one JSON object")
    lp.set_defaults(run=list_cmd)


Plan = list[tuple[systems.System, list[str], list[str]]]  # (system, versions, obligations) to run


def plan(args: argparse.Namespace) -> Plan:
    """What the selection runs, system by system.  A name given that selects
    nothing is a UsageError (no silent no-op: "all 0 verdicts match")."""
    chosen = [s for s in systems.SYSTEMS if args.system is None or s.id in args.system]
    scope = f"system {', '.join(args.system)}" if args.system else "any system"
    for v in args.variant or ():
        if not any(v in s.variants for s in chosen):
            raise UsageError(f"--variant {v}: not a version of {scope}")
    versions = args.variant or ALL_VARIANTS
    having = [s for s in chosen if any(v in s.variants for v in versions)]
    for i in args.invariant or ():
        if not any(i in s.obligations for s in having):
            raise UsageError(f"--invariant {i}: not an obligation of the systems of the versions selected "
                             f"({', '.join(s.id for s in having)}; see `ptprove list`)")
    out: Plan = []
    for s in having:
        variants = [v for v in versions if v in s.variants]
        obligations = [i for i in args.invariant or ALL_OBLIGATIONS if i in s.obligations]
        if obligations:
            out.append((s, variants, obligations))
    for v in args.variant or ():
        if not any(v in vs for _, vs, _ in out):
            raise UsageError(f"--variant {v}: none of the obligations selected applies to it "
                             f"(its systems: {', '.join(s.id for s in having if v in s.variants)})")
    return out


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _check_options(args: argparse.Namespace) -> None:
    """Everything that can fail before the work starts."""
    if args.update and not args.vectors:
        raise UsageError("--update needs --vectors DIR (it rewrites the vectors there)")
    if args.search_all and not args.vectors:
        raise UsageError("--search-all needs --vectors DIR (without it every trace is searched anyway)")
    if args.p2m_entries and args.vectors:
        raise UsageError("--p2m-entries: the committed vectors are at the default width (2 entries); "
                         "not with --vectors DIR")
    if args.against is not None:
        if len(args.against) != 1:
            raise UsageError("--against takes one base version")
        if not args.variant:
            raise UsageError("--against needs --variant NEW (the versions compared with the base)")
        base = args.against[0]
        for v in args.variant:
            shared = [s.id for s in systems.SYSTEMS if v in s.variants and base in s.variants]
            if v != base and not shared:
                raise UsageError(f"--against {base}: {v} and {base} share no system")
        args.variant = [*dict.fromkeys([*args.variant, base])]
    if args.c_source is None or args.variant:
        for flag in ("name", "base"):
            if getattr(args, flag, None) is not None:
                raise UsageError(f"--{flag} needs --c-source FILE (and no --variant)")
    args.c_versions = []
    if args.lifted_c and args.c_source is not None:
        raise UsageError("--lifted-c lifts each version's own pt.c: not with --c-source FILE")
    if args.c_source is not None:
        if not Path(args.c_source).is_file():
            raise UsageError(f"--c-source {args.c_source}: no such file")
        if not args.variant:
            _c_version(args)
        else:
            riscv = [v for v in args.variant if v in systems.system("riscv-pt").variants]
            if len(riscv) != 1:
                raise UsageError("--c-source FILE needs no --variant (the C is the version) or exactly one "
                                 "riscv-pt --variant (the version it refines)")
    if args.xen_src is not None and not Path(args.xen_src).is_dir():
        raise UsageError(f"--xen-src {args.xen_src}: not a directory")
    if args.lifted_c:
        _lifted_c(args)
    if args.record_expectations:
        check_file(args.expectations, "--expectations")
    if args.search_solver is None:  # --rlimit asks for deterministic limits: z3's, in every query
        args.search_solver = args.solver if args.rlimit else "bitwuzla"
    if args.rlimit and args.search_solver == "bitwuzla":
        raise UsageError("--rlimit is z3's resource limit; Bitwuzla has none (--search-solver z3)")
    for flag, name in (("--solver", args.solver), ("--search-solver", args.search_solver),
                       ("--confirm", args.confirm)):
        if name and not available(name):
            raise SolverError(f"{flag} {name}: solver not installed (pip install {name})")
    check_file(args.json, "--json")
    check_file(args.junit, "--junit")
    check_dir(args.vectors, "--vectors")
    if args.vectors:  # a bad traces file is an error before the work, not after it
        from proofs.engine import certificates

        for v in args.variant or ALL_VARIANTS:
            for mode in args.callers:
                certificates.load(args.vectors, callers.name(v, mode))


def _c_version(args: argparse.Namespace) -> None:
    """`--c-source FILE` alone: lift the C now (a file that does not compile, or a construct
    the lifter does not model, is one line and exit 2 before any work), make it the version
    `--name` of riscv-pt, and select it alone."""
    from proofs.systems.riscv_pt.c_version import DEFAULT_BASE, DEFAULT_NAME, CSpec, c_version, register

    models = systems.system("riscv-pt").variants
    base = args.base or DEFAULT_BASE
    if base not in models or hasattr(models[base], "spec"):
        raise UsageError(f"--base {base}: not a modelled riscv-pt version (known: "
                         f"{', '.join(v for v in models if not hasattr(models[v], 'spec'))})")
    if args.system and "riscv-pt" not in args.system:
        raise UsageError("--c-source FILE without --variant is a riscv-pt version: --system must include riscv-pt")
    name = args.name or DEFAULT_NAME
    if not name or any(c.isspace() or c in "/," for c in name):
        raise UsageError(f"--name {name!r}: a version name has no spaces, commas or slashes")
    spec = CSpec(str(Path(args.c_source)), name, base)
    from model.c.ir import UnsupportedIR

    try:  # lifted and run before it is a version: a bad file registers nothing, before any work
        c_version(spec, args.mode, args.pool).warm()
    except UnsupportedIR as e:
        raise UnsupportedIR(f"--c-source {args.c_source}: {e}") from None
    register(spec)
    args.system, args.variant, args.name, args.base = ["riscv-pt"], [name], name, base
    args.c_versions = [spec]


def _lifted_c(args: argparse.Namespace) -> None:
    """`--lifted-c`: each selected riscv-pt version's own pt.c (from --xen-src, v5 from seed
    000), lifted and registered as `<version>-c` with that version as its base, and selected."""
    from model.c.ir import UnsupportedIR
    from proofs.systems.riscv_pt.c_version import CSpec, c_version, register
    from proofs.systems.riscv_pt.refines import c_at_hand

    models = systems.system("riscv-pt").variants
    if args.system and "riscv-pt" not in args.system:
        raise UsageError("--lifted-c lifts riscv-pt versions' pt.c: --system must include riscv-pt")
    chosen = [v for v in (args.variant or ALL_VARIANTS) if v in models and not hasattr(models[v], "spec")]
    where = Settings(xen_src=args.xen_src)
    for v in chosen:
        path = c_at_hand(v, where)
        if path is None:
            continue
        spec = CSpec(str(path), f"{v}-c", v)
        try:
            c_version(spec, args.mode, args.pool).warm()
        except UnsupportedIR as e:
            raise UnsupportedIR(f"--lifted-c: {v}'s {path}: {e}") from None
        register(spec)
        args.c_versions.append(spec)
    if not args.c_versions:
        raise UsageError("--lifted-c: no selected riscv-pt version has its pt.c at hand "
                         f"(under {args.xen_src or '../shared/xen'}, v5 from seed 000)")
    if args.variant is None:  # everything selected: the modelled versions of the systems chosen
        args.variant = [v for v in ALL_VARIANTS
                        if args.system is None or any(v in systems.system(i).variants for i in args.system)]
    args.variant = [*args.variant, *(c.name for c in args.c_versions)]


def prove(args: argparse.Namespace) -> int:
    try:
        return _prove(args)
    finally:
        from proofs.systems.riscv_pt.c_version import unregister

        for spec in getattr(args, "c_versions", ()):
            unregister(spec.name)


def _prove(args: argparse.Namespace) -> int:
    clock = time.perf_counter()
    _check_options(args)
    selection = plan(args)
    expectations = load_expectations(args.expectations)
    for spec in args.c_versions:
        expectations = inherit(expectations, spec.name, spec.base,
                               f"{spec.path}: the lifted C is expected to give {spec.base}'s verdicts",
                               NOT_LIFTED)
    # a lifted C version's violated verdicts are first sought by replaying its base's committed
    # traces on it (the project's counterexamples/ when no --vectors DIR is given)
    traces = args.vectors or (str(COUNTEREXAMPLES) if args.c_versions and COUNTEREXAMPLES.is_dir() else None)
    settings = Settings(solver=args.solver, search_solver=args.search_solver,
                        timeout_ms=args.timeout * 1000, depth=args.depth,
                        mode=args.mode, pool=args.pool, jobs=args.jobs or 0,
                        rlimit=args.rlimit, xen_src=args.xen_src, c_source=args.c_source,
                        certificates=None if args.search_all else traces, scheduler=args.scheduler,
                        c_versions=tuple((c.path, c.name, c.base) for c in args.c_versions),
                        callers=args.callers, estimates=args.json, p2m_entries=args.p2m_entries,
                        deep_refines=args.deep_refines)
    run = Run(expectations.path, complete=False,
              extra={"argv": sys.argv[1:], "state_machine_bounds": {
                  "mode": settings.mode, "pool": settings.pool, "depth": settings.depth,
                  **({"p2m_entries": settings.p2m_entries} if settings.p2m_entries else {}),
                  **({"deep_refines": True} if settings.deep_refines else {})}})

    def abort() -> str:  # Ctrl-C: by the command, or by the watcher if the main thread is stuck
        return f"{len(run.results)} results; " + save(args, run, EXIT_INTERRUPTED, time.perf_counter() - clock)

    with interrupt.on_abort(abort):  # until the report is saved, whoever saves it
        try:
            with Progress(versions=ALL_VARIANTS + [c.name for c in args.c_versions],
                          systems=len(selection)) as progress, \
                    pool_for(settings) as pool:
                # every system's queries are submitted now: one pool keeps both cores busy
                # across the systems' phases, whose results are shown system by system
                # ... and decided longest first (by the previous report's times): the system
                # whose phases take longest starts them at once, the others' jobs fill the gaps
                order = longest_first([s.id for s, _, _ in selection], estimates.load(settings.estimates))
                decisions = {i: selection[i][0].decision(selection[i][1], selection[i][2], settings, pool, rank)
                             for rank, i in enumerate(order)}
                for line in (n for i in range(len(selection)) for n in decisions[i].notes):
                    print(line)
                shown: dict[int, list] = {}
                for i in order:
                    (s, variants, obligations), decision = selection[i], decisions[i]
                    run.requested |= {(v, o) for v in decision.versions for o in obligations}
                    what = f"{_count(variants, 'version')} x {_count(obligations, 'obligation')}"
                    with progress.running(s.id, what) as finished:
                        for r in decision.results(progress.callback):
                            r.system = s.id
                            finished.append(r)
                            run.results.append(r)  # kept on Ctrl-C
                    shown[i] = finished
                run.results[:] = [r for i in sorted(shown) for r in shown[i]]  # in the selection's order
                run.complete = True
            status = _report(args, run, settings, expectations, clock)
        except PtproveError as e:  # a solver error, or after the run (vectors, --confirm): results kept
            if run.results:
                save(args, run, e.status, time.perf_counter() - clock)
            raise
        except BaseException as e:  # Ctrl-C, or what it broke (the pool whose workers it terminated)
            if not (isinstance(e, KeyboardInterrupt) or interrupt.requested()):
                if not isinstance(e, Exception) or not run.results:
                    raise
                save(args, run, InternalError.status, time.perf_counter() - clock)
                raise InternalError(f"{_where(e)}; the {len(run.results)} results computed are in "
                                    f"{args.json or 'no report (no --json)'}") from e
            interrupt.acknowledge()
            with interrupt.exclusive():
                interrupt.stop_workers()
                kept = abort()
            raise Interrupted(f"interrupted ({interrupt.what()}), workers stopped, after {kept}") from None
    return status


def _report(args: argparse.Namespace, run: Run, settings: Settings, expectations, clock: float) -> int:
    """Print the verdict tables, write the vectors, confirm; save the reports; the exit status."""
    base = args.against[0] if args.against else None
    run.compare_with(expectations)
    if base is not None:
        run.differences = against_base(aggregate(run.results), run.differences, base)
    vectors = []
    lifted = {c.name for c in args.c_versions} if args.lifted_c else set()
    # --lifted-c: no vectors of its own; nor a version's under any callers whose violation is its
    # presets version's trace (that vector and trace are the presets version's)
    committed = [r for r in run.results if r.variant not in lifted and not _borrowed(r)]
    if args.vectors:  # before the report, which shows their shrunk traces
        from proofs.vector import from_results

        vectors = from_results(committed, settings)
    print(render(run.results, run.differences, sys.stdout.isatty(), against=base,
                 vector_of=_vector_of(args.vectors, vectors), unlisted=lifted), end="")
    rows = callers.standing(run.results)
    if rows:
        run.extra["callers"] = {"contracts": list(settings.callers), "by_invariant": rows}
        print("\n".join(callers.lines(rows)))
    if args.record_expectations:
        added = record(expectations.path, aggregate(run.results), expectations)
        print(f"recorded {len(added)} expectations in {expectations.path}: write each one's reason "
              "(an empty reason fails every run until then)")
    status = exit_status(run.differences, run.results)
    if lifted:
        from proofs.cross_check import cross_check

        lines, agree = cross_check(run.results, [(c.name, c.base) for c in args.c_versions])
        print("\n".join(lines))
        status = status if agree else max(status, EXIT_MISMATCH)
    print(f"{len(run.results)} obligations in {time.perf_counter() - clock:.1f} s")
    if args.vectors:
        from proofs.vector import sync_and_report

        requested = {(v, o) for v, o in run.requested if v not in lifted}
        status = max(status, sync_and_report(vectors, args.vectors, requested, args.update, args.search_all))
        status = max(status, _sync_traces(committed, requested, vectors, args))
    if args.confirm:
        from proofs.engine.confirm import confirm

        disagreements = confirm(run.results, args.confirm, settings,
                                {s.id: s.module for s in systems.SYSTEMS})
        for line in disagreements:
            print(line)
        print(f"--confirm {args.confirm}: {len(disagreements)} disagreements")
        if disagreements:
            status = max(status, EXIT_MISMATCH)
    save(args, run, status, time.perf_counter() - clock)
    return status


def _where(e: BaseException) -> str:
    """`Type: message at file:line` of the innermost frame of `e`."""
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    at = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(e).__name__}: {e}{at}"


def _borrowed(r) -> bool:
    from proofs.engine import certificates

    return callers.split(r.variant)[1] != callers.PRESETS and certificates.TRACE_OF in r.extra


def _sync_traces(results: list, requested: set, vectors: list[dict], args: argparse.Namespace) -> int:
    """`--vectors DIR`: this run's violated traces against DIR/<version>/traces.json."""
    from proofs.engine import certificates
    from proofs.vector import certificates_of

    files = certificates.produced(results, certificates_of(vectors))
    lines = certificates.sync(files, args.vectors, requested, args.update, searched=args.search_all)
    for line in lines:
        print(line)
    replayed = sum(r.extra.get(certificates.ESTABLISHED_BY) == "committed trace" for r in results)
    searched = sum(r.extra.get(certificates.ESTABLISHED_BY) == "search" for r in results)
    print(f"violated verdicts: {replayed} by replaying a committed trace, {searched} by a search"
          + ("" if args.search_all else " (--search-all searches them all)"))
    return EXIT_MISMATCH if any(map(certificates.is_difference, lines)) else 0


def _vector_of(directory: Optional[str], vectors: list[dict]) -> Optional[Callable[..., Optional[Canonical]]]:
    """A finding's canonical vector under `--vectors DIR`, for systems that write them."""
    if not directory:
        return None
    from proofs import vector as vec

    by_path = {vec.relpath(v): v for v in vectors}

    def vector_of(agg) -> Optional[Canonical]:
        rel = f"{agg.variant}/{agg.invariant}.json"
        plugin = vec.plugin(agg.results[0].system)
        if rel not in by_path and not plugin:
            return None
        v = by_path.get(rel)
        named = getattr(plugin, "named_calls", None)
        return Canonical(str(Path(directory) / rel), v, named(v) if v and named else None)
    return vector_of


def save(args: argparse.Namespace, run: Run, status: int, wall_seconds: float) -> str:
    """Write the JSON report and the JUnit file of what `run` holds, each even if
    the other fails (then its error is raised after both were tried); what was written."""
    written, failed = [], []
    for path, write in ((args.json, lambda: write_json(run, args.json, status, wall_seconds)),
                        (args.junit, lambda: write_junit(run.results, run.differences or [], args.junit,
                                                         wall_seconds))):
        if not path:
            continue
        try:
            write()
            written.append(path)
        except PtproveError as e:
            failed.append(e)
    if failed:
        raise failed[0]
    return f"wrote {' and '.join(written)}" if written else "nothing written (no --json/--junit)"


#: how `list` names the placeholders of a statement each architecture fills in (proofs/systems/encodings/theorem.py)
GENERIC_NAMES = {"table": "is_table(p)", "mapping": "is_mapping(p)", "spec_table": "pointer (Arm: table)",
                 "spec_mapping": "leaf (Arm: block or page)", "assert": "the ASSERT"}


class _Names(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def statement_text(statement: str) -> str:
    """A statement with its per-architecture placeholders named generically."""
    return statement.format_map(_Names(GENERIC_NAMES)) if "{" in statement else statement


def list_cmd(args: argparse.Namespace) -> int:
    variants: dict[str, dict] = {}
    for s in systems.SYSTEMS:
        for name, cls in s.variants.items():
            v = variants.setdefault(name, {
                "name": name, "source": cls.source, "systems": [],
                "functions": [{"function": c.function, "follows": c.source, "note": c.note,
                               "defined_in": owner} for _, c, owner in citations(cls)]})
            v["systems"].append(s.id)
    data = {
        "systems": [{"id": s.id, "title": s.title, "variants": list(s.variants),
                     "obligations": list(s.obligations)} for s in systems.SYSTEMS],
        "variants": list(variants.values()),
        "invariants": [{"id": i, "system": s.id, "statement": statement_text(inv.statement), "where": inv.where,
                        "informative": inv.informative}
                       for s in systems.SYSTEMS for i, inv in s.obligations.items()],
        "operations": [{"id": k, "entry_point": OPS[v]} for k, v in OP_IDS.items()],
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print("versions:")
    for v in data["variants"]:
        print(f"  {v['name']:20} {v['source']}")
        for f in v["functions"]:
            print(f"      {f['function']:40} {f['defined_in']:18} {f['follows']}")
    print("invariants:")
    for i in data["invariants"]:
        print(f"  {i['system']:12} {i['id']:16} {i['statement']}  ({i['where']})")
    print("operations:")
    for o in data["operations"]:
        print(f"  {o['id']:9} {o['entry_point']}")
    return 0
