"""Replay vectors on real C code: a pt.c compiled with our shim and driver.

`proofs/c/ptprove_shim.h` stands in for the Xen environment (types, the
version's PTE definitions, frames, a table-page pool, recorded fences and
flushes, ASSERT as a recorded stop); `proofs/c/driver.c` includes the given
pt.c, reads the calls of a vector from a simple line file and prints the
return codes and the final tables as JSON.  Every Xen header pt.c includes is
generated in a temporary directory as a one-line include of the shim.  The
pt.c itself is never copied anywhere but that temporary directory.

A difference between the C code and the model's prediction (a return code,
an ASSERT, the tables, the table pages used, a stale TLB at the end) is a
fidelity failure, printed with both sides.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Optional

from model.c.toolchain import host_compiler
from model.riscv.machine import ERRNO_NAMES
from proofs import c_header
from proofs.errors import UsageError
from proofs.systems.riscv_pt.vectors import calls_of

HERE = Path(__file__).resolve().parent / "c"
INCLUDE = re.compile(r"^\s*#\s*include\s*<((?:xen|asm|public)/[\w./-]+\.h)>", re.M)
COMPILE_SECONDS = 120
RUN_SECONDS = 60
#: table mappings one call may make on the C before it counts as not returning
ITERATION_CAP = 200_000
CAP_MESSAGE = "the iteration cap (the call did not return)"
#: what every harnessed file's shim includes (Xen's lib/mm basics, RISC-V asm/page.h), and the p2m drivers' shared call
SHARED_HEADERS = ("ptprove_xen.h", "ptprove_riscv_page.h", "ptprove_frames.h", "ptprove_pool.h", "ptprove_p2m_calls.h")


def stage_headers(text: str, inc: Path, shim: str) -> None:
    """`inc/`: the shared headers, and every Xen header `text` includes as a one-line
    include of `shim` (the file's own part of the harness)."""
    inc.mkdir(parents=True)
    for h in SHARED_HEADERS + (shim,):
        shutil.copy(HERE / h, inc)
    for header in sorted(set(INCLUDE.findall(text))):
        stub = inc / header
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text(f'#include "{shim}"\n', encoding="utf-8")


def stage(source: Path, text: str, d: Path, version: str, shim: str = "ptprove_shim.h") -> tuple[Path, list[str]]:
    """Lay out `d` for compiling pt.c with the shim (`shim`: pt.c's, or one that includes
    it): `d/pt.c`, `d/include/` (the shim, and every Xen header pt.c includes as a
    one-line include of it; `ptprove_page.h` when pt.c
    sits in a tree with its asm/page.h, `proofs/c_header.py`).  Returns the include
    directory and the -D defines (the version's flavour, the tree's header, the entry
    points pt.c has)."""
    inc = d / "include"
    stage_headers(text, inc, shim)
    for h in sorted({"ptprove_shim.h", "ptprove_entries.h"} - {shim}):  # a shim that extends pt.c's
        shutil.copy(HERE / h, inc)
    shutil.copy(source, d / "pt.c")
    defines = ["-DPTPROVE_V5"] if version == "riscv-pt-v5" else []
    if c_header.write(source, inc) is not None:  # the tree's own asm/page.h definitions
        defines.append("-DPTPROVE_TREE_PAGE_H")
    for fn, macro in (("destroy_xen_mappings", "PTPROVE_HAS_DESTROY"),
                      ("populate_pt_range", "PTPROVE_HAS_POPULATE")):
        if re.search(rf"^int\s+(?:__init\s+)?{fn}\s*\(", text, re.M):
            defines.append(f"-D{macro}")
    return inc, defines


def compile_driver(cc: tuple[list[str], str], source: Path, d: Path, inc: Path, shim: str, driver: str,
                   defines: list[str]) -> Path:
    """Compile `d/<driver>` (which includes the staged C file) into `d/harness`; a
    compile error is one UsageError line naming the user's file."""
    shutil.copy(HERE / driver, d / driver)
    out = d / "harness"
    cmd = [*cc[0], "-std=gnu11", "-O0", "-w", *defines, "-I", str(inc), "-include", shim,
           "-o", str(out), str(d / driver)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_SECONDS)
    except subprocess.TimeoutExpired:
        raise UsageError(f"{source}: compiling with the C harness took over {COMPILE_SECONDS} s") from None
    if p.returncode != 0:
        errors = [ln for ln in p.stderr.splitlines() if "error" in ln] or p.stderr.splitlines() or ["?"]
        first = errors[0].replace(str(d) + "/", "")
        raise UsageError(f"{source}: does not compile with the C harness ({cc[1]}): {first}")
    return out


def run_driver(exe: Path, lines: list[str], calls_file: Path, seconds: int) -> dict[str, Any]:
    """Run a harness binary on a calls file: its JSON, or {"error": why}."""
    calls_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        p = subprocess.run([str(exe), str(calls_file)], capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        return {"error": f"the C code did not finish within {seconds} s"}
    if p.returncode != 0:
        return {"error": f"the harness exited {p.returncode}: {p.stderr.strip()[:200]}"}
    return json.loads(p.stdout)


def trace_lines(vector: dict, calls: list) -> list[str]:
    """The driver's input for a trace vector (driver.c, arm_driver.c): the root, the
    pool, one line per call (`calls`: the vector's, as its plugin reads them)."""
    b = vector["bounds"]
    root, base = int(vector["initial_state"]["root"], 16), int(vector["initial_state"]["pool_base"], 16)
    lines = [f"root {root:x}", f"pool {base:x} {int(b['pool']):x}"]
    for c, shown in zip(calls, vector["calls"]):
        lines.append(f"call {shown['call']} " + " ".join(f"{a:x}" for a in c.args))
    return lines


def find_cc(cc: Optional[str]) -> tuple[list[str], str]:
    """(argv prefix, description) of the harness compiler: `cc`, else $CC, else zig's
    clang for this machine (the `ziglang` package: nothing installed by hand)."""
    return host_compiler(cc or os.environ.get("CC") or None)


class CFile:
    """One C file compiled with a harness into a temporary directory (removed by close)."""

    prefix = "ptprove-c-"
    #: what a reproducing vector has the same on both, for replay's line
    same = "same return codes and tables"

    def __init__(self, c_source: str, cc: Optional[str] = None):
        self.source = Path(c_source)
        if not self.source.is_file():
            raise UsageError(f"{c_source}: no such C file")
        self.compiler = find_cc(cc)
        self.cc = self.compiler[1]
        self.text = self.source.read_text(encoding="utf-8", errors="replace")
        self.tmp = Path(tempfile.mkdtemp(prefix=self.prefix))
        self.binaries: dict = {}

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def same_in(self, vector: dict) -> str:
        """What the model and the C agree on when `vector` reproduces on both (replay's line)."""
        return self.same

    def compare(self, vector: dict) -> list[str]:
        """Differences between the C code and the model's prediction (empty: identical)."""
        if self.not_comparable(vector):
            return []
        got = self.run(vector)
        if "error" in got:
            return [got["error"]]
        return self.differences(vector, got)


class Harness(CFile):
    """pt.c, built once per shim flavour (v5's, the merged versions')."""

    # -- building -----------------------------------------------------------
    def _flavour(self, version: str) -> str:
        return "v5" if version == "riscv-pt-v5" else "merged"

    def binary(self, version: str) -> Path:
        flavour = self._flavour(version)
        if flavour in self.binaries:
            return self.binaries[flavour]
        d = self.tmp / flavour
        inc, defines = stage(self.source, self.text, d, version)
        out = compile_driver(self.compiler, self.source, d, inc, "ptprove_shim.h", "driver.c",
                             defines + [f"-DPTPROVE_ITERATION_CAP={ITERATION_CAP}"])
        self.binaries[flavour] = out
        return out

    # -- running ------------------------------------------------------------
    def ran_to_cap(self, vector: dict) -> bool:
        """The vector's last call does not return: on the C it ran to the iteration cap."""
        return vector["expected"]["after"] == "limit"

    def not_comparable(self, vector: dict) -> Optional[str]:
        """Why the C code cannot run this vector (None: it can)."""
        if vector["system"] != "riscv-pt":
            return f"the C harness runs riscv-pt vectors, not {vector['system']}"
        if vector["kind"] != "trace":
            return "a not-inductive step starts from a pre-state the C code cannot be put in"
        return None

    def run(self, vector: dict, seconds: int = RUN_SECONDS) -> dict[str, Any]:
        return run_driver(self.binary(vector["version"]), trace_lines(vector, calls_of(vector)),
                          self.tmp / "calls.txt", seconds)

    def differences(self, vector: dict, got: dict) -> list[str]:
        return trace_differences(vector, got)


def trace_differences(vector: dict, got: dict) -> list[str]:
    """Each way a driver's run `got` differs from a trace vector's calls and expected
    state (riscv-pt's and arm-pt's: the same vector shape and driver output)."""
    problems = []
    model_calls = vector["calls"]
    if len(got["calls"]) != len([c for c in model_calls if "not run" not in c["rc"]]):
        problems.append(f"C ran {len(got['calls'])} calls, the model {len(model_calls)}")
    limit = vector["expected"]["after"] == "limit"
    for i, (m, c) in enumerate(zip(model_calls, got["calls"])):
        if limit and i == len(model_calls) - 1:  # neither returns: the C ran to the cap
            if c["failed"] != CAP_MESSAGE:
                problems.append(f"call {i + 1} ({m['call']}): the model does not return, the C "
                                f"{'stops at ' + c['failed'] if c['failed'] else 'returns ' + str(c['rc'])}")
            continue
        if m["rc"] == "ASSERT" or c["failed"]:
            if not (m["rc"] == "ASSERT" and c["failed"]):
                problems.append(f"call {i + 1} ({m['call']}): model {m['rc']}"
                                f"{' ' + m['assert_failed'] if m.get('assert_failed') else ''}, "
                                f"C {c['failed'] or c['rc']}")
        else:
            if m["rc_value"] != c["rc"]:
                problems.append(f"call {i + 1} ({m['call']}): model returns {m['rc']}, "
                                f"C returns {ERRNO_NAMES.get(c['rc'], c['rc'])}")
            if "flush" in c and m.get("flush", ["0x0", "0x0"]) != c["flush"]:
                model = m.get("flush", ["0x0", "0x0"])
                problems.append(f"call {i + 1} ({m['call']}): flush_tlb_range_va({model[0]}, {model[1]}) "
                                f"in the model, ({c['flush'][0]}, {c['flush'][1]}) in the C")
            if "mapped" in c and m.get("mapped", 0) != c["mapped"]:
                problems.append(f"call {i + 1} ({m['call']}): tables left mapped at its return "
                                f"(map_table without unmap_table): model {m.get('mapped', 0)}, C {c['mapped']}")
    if limit:  # the tables at the model's replay limit and at the C's cap are not one point
        return problems
    want = {int(t["frame"], 16): {e["index"]: int(e["raw"], 16) for e in t["entries"]}
            for t in vector["expected"]["tables"]}
    have = {int(t["frame"], 16): {i: int(x, 16) for i, x in t["entries"]} for t in got["tables"]}
    for f in sorted(set(want) | set(have)):
        for i in sorted(set(want.get(f, {})) | set(have.get(f, {}))):
            m, c = want.get(f, {}).get(i, 0), have.get(f, {}).get(i, 0)
            if m != c:
                problems.append(f"table {f:#x}[{i}]: model {m:#x}, C {c:#x}")
    if vector["expected"]["pool_handed_out"] != got["pool_handed_out"]:
        problems.append(f"table pages handed out: model {vector['expected']['pool_handed_out']}, "
                        f"C {got['pool_handed_out']}")
    if got["calls"] and vector["expected"]["after"] == "returned" \
            and vector["expected"]["tlb_stale"] != got["calls"][-1]["stale"]:
        problems.append(f"TLB stale at the end: model {vector['expected']['tlb_stale']}, "
                        f"C {got['calls'][-1]['stale']}")
    return problems
