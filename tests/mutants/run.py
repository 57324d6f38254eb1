"""`make test-mutants`: is the test suite strong enough to notice a broken ptprove?

Each edit of the catalogue (tests/mutants/catalogue.py) is applied, as text,
to a temporary copy of the repository (the working tree's tracked and new
files; `../shared` linked beside it), the tests it names are run there with
this Python, and the first failing test is recorded.  The original is never
touched.  An edit is *caught* when its tests fail, *equivalent* when they pass
and the catalogue says why no test can tell, and a *survivor* otherwise.  A
target text that is not in its file is an error, never a pass.

    python -m tests.mutants.run                 the whole catalogue, table to stdout
    python -m tests.mutants.run --only ID,ID    some edits
    python -m tests.mutants.run --base REV      the same edits against the tests of REV
                                                (each named test's whole file, where REV has it)
    python -m tests.mutants.run --check         only that every target text is there

Exit status: 0 every edit caught or equivalent, 1 a survivor (or a stale
equivalence: caught although listed equivalent), 2 a catalogue or setup error.
"""
from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Optional, Sequence

from tests.mutants.catalogue import EDITS
from tests.mutants.edit import Edit, TargetNotFound
from tests.needs import shared_dir

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 900
FAILED = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.M)


@dataclass
class Outcome:
    edit: Edit
    verdict: str  # caught | equivalent | SURVIVED | STALE-EQUIVALENT | ERROR
    caught_by: str
    seconds: float


def copy_tree(dest: Path, base: Optional[str]) -> Path:
    """dest/repo: the working tree's files (tracked and new, not ignored); with `base`,
    tests/ as it was at that revision.  dest/shared links to the shared folder."""
    repo = dest / "repo"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    if base:
        shutil.rmtree(repo / "tests")
        blob = subprocess.run(["git", "archive", base, "tests"], cwd=ROOT, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=BytesIO(blob)) as tar:
            tar.extractall(repo, filter="data")
    if shared_dir().is_dir():
        (dest / "shared").symlink_to(shared_dir().resolve())
    return repo


def runnable(repo: Path, specs: Sequence[str], whole_files: bool) -> list[str]:
    """The specs to run in this copy.  With `whole_files` (--base: older tests lack the
    newer test functions) each spec becomes its whole file, if the file is there."""
    if whole_files:
        return sorted({s.partition("::")[0] for s in specs if (repo / s.partition("::")[0]).is_file()})
    return list(specs)


def pytest(repo: Path, specs: Sequence[str]) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONHASHSEED": "0",
           "PTPROVE_SHARED": str(repo.parent / "shared")}
    env.pop("PTPROVE_REQUIRE_ALL", None)
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *specs]
    try:
        p = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return -1, f"timeout after {TIMEOUT_S} s"
    return p.returncode, p.stdout + p.stderr


def judge(repo: Path, edit: Edit, whole_files: bool) -> Outcome:
    t0 = time.perf_counter()
    specs = runnable(repo, edit.tests, whole_files)
    if not specs:
        return Outcome(edit, "SURVIVED" if not edit.equivalent else "equivalent", "(no such test)", 0.0)
    try:
        applied = edit.apply(repo)
    except TargetNotFound as e:
        return Outcome(edit, "ERROR", str(e), 0.0)
    try:
        rc, out = pytest(repo, specs)
    finally:
        edit.restore(applied)
    seconds = time.perf_counter() - t0
    if rc == 0:
        return Outcome(edit, "equivalent" if edit.equivalent else "SURVIVED", "-", seconds)
    if rc in (1, 2, -1):  # a failing test, a collection error, a hang
        m = FAILED.search(out)
        by = m.group(1) if m else ("(timeout)" if rc == -1 else "(collection error)")
        return Outcome(edit, "STALE-EQUIVALENT" if edit.equivalent else "caught", by, seconds)
    return Outcome(edit, "ERROR", f"pytest exited {rc}: {out.strip().splitlines()[-1:]}", seconds)


def baseline(repo: Path, edits: Sequence[Edit], whole_files: bool) -> Optional[str]:
    """None if every named test passes unmutated, else what failed."""
    specs = sorted({s for e in edits for s in runnable(repo, e.tests, whole_files)})
    rc, out = pytest(repo, specs)
    if rc == 0:
        return None
    return FAILED.search(out).group(1) if FAILED.search(out) else out.strip().splitlines()[-1]


def table(outcomes: Sequence[Outcome]) -> str:
    rows = ["| edit | file | behaviour changed | verdict | caught by / reason |", "|---|---|---|---|---|"]
    for o in outcomes:
        why = o.edit.equivalent if o.verdict == "equivalent" else o.caught_by
        rows.append(f"| {o.edit.id} | {o.edit.file} | {o.edit.what} | {o.verdict} | {why} |")
    return "\n".join(rows)


def score(outcomes: Sequence[Outcome]) -> str:
    caught = sum(o.verdict == "caught" for o in outcomes)
    equivalent = sum(o.verdict == "equivalent" for o in outcomes)
    return (f"score: {caught} of {len(outcomes) - equivalent} non-equivalent edits caught "
            f"({equivalent} equivalent, {len(outcomes)} in all)")


def run(edits: Sequence[Edit], jobs: int, base: Optional[str], say) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="ptprove-test-mutants-") as tmp:
        repos = [copy_tree(Path(tmp) / f"w{i}", base) for i in range(jobs)]
        failing = baseline(repos[0], edits, base is not None)
        if failing:
            raise SystemExit(f"test-mutants: the unmutated tests fail ({failing}); fix them first")
        todo: queue.Queue = queue.Queue()
        for e in edits:
            todo.put(e)
        done: dict[str, Outcome] = {}

        def worker(repo: Path) -> None:
            while True:
                try:
                    e = todo.get_nowait()
                except queue.Empty:
                    return
                o = judge(repo, e, base is not None)
                done[e.id] = o
                say(f"{o.verdict:16} {e.id:40} {o.caught_by} ({o.seconds:.0f} s)")

        threads = [threading.Thread(target=worker, args=(r,)) for r in repos]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return [done[e.id] for e in edits]


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.mutants.run", description=__doc__.splitlines()[0])
    p.add_argument("--only", help="comma-separated edit ids")
    p.add_argument("--jobs", type=int, default=int(os.environ.get("TEST_MUTANT_JOBS", "1")))
    p.add_argument("--base", help="a git revision whose tests/ to judge instead")
    p.add_argument("--out", default="build/test-mutants.md", help="the table, as markdown (default %(default)s)")
    p.add_argument("--check", action="store_true", help="only check that every target text is there")
    args = p.parse_args(argv)
    edits = list(EDITS)
    ids = {e.id for e in edits}
    if len(ids) != len(edits):
        print("test-mutants: duplicate edit ids in the catalogue", file=sys.stderr)
        return 2
    if args.only:
        wanted = args.only.split(",")
        unknown = [i for i in wanted if i not in ids]
        if unknown:
            print(f"test-mutants: unknown edit {unknown[0]!r}", file=sys.stderr)
            return 2
        edits = [e for e in edits if e.id in wanted]
    missing = []
    for e in edits:
        try:
            e.locate(ROOT)
        except TargetNotFound as err:
            missing.append(str(err))
    for line in missing:
        print(f"test-mutants: {line}", file=sys.stderr)
    if missing:
        return 2
    if args.check:
        print(f"all {len(edits)} target texts found")
        return 0
    outcomes = run(edits, max(1, args.jobs), args.base, lambda line: print(line, flush=True))
    text = f"{table(outcomes)}\n\n{score(outcomes)}\n"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"\n{text}written to {out}")
    if any(o.verdict == "ERROR" for o in outcomes):
        return 2
    return 1 if any(o.verdict in ("SURVIVED", "STALE-EQUIVALENT") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
