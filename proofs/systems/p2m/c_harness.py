"""p2m vectors replayed on RISC-V p2m.c, compiled with ptprove's shim and driver.

`proofs/c/ptprove_p2m_shim.h` is p2m.c's part of the harness (the domain and
p2m structures, the pool, page references, metadata pages, the rwlock, the
G-stage mode, hfences recorded); `proofs/c/p2m_driver.c` includes the p2m.c,
sets the domain up as p2m_init and p2m_set_allocation do, runs each call as
p2m_set_entry under the write lock and prints what happened as JSON.  The C
is built with PAGETABLE_ORDER = the vector's index bits, so every P2M_* macro
and loop of p2m.c has the table width the model's result states (512 entries
at full width).  Compared with the model: each call's return code (or where
the C stopped), the ASSERTs it fails (both are release builds: the vector's
`asserts` against the C's notes, as multisets), the table pages, the metadata
slots, the pool pages in use,
the references on the watched frame and need_flush after the unlock.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Optional

from model.riscv.p2m_state import ROOT_PAGES
from proofs.c_sources import SPLICED_P2M
from proofs.c_harness import RUN_SECONDS, CFile, compile_driver, run_driver, stage_headers
from proofs.engine import callers

SHIM = "ptprove_p2m_shim.h"
NULL_MD = "__map_domain_page(NULL)"  # how the driver reports a missing metadata page mapped
DRIVER = "p2m_driver.c"
#: the p2m versions whose C is RISC-V p2m.c (Arm's mmu/p2m.c: proofs/systems/p2m/arm_c_harness.py)
RISCV_VERSIONS = ("riscv-p2m-upstream", "riscv-p2m-v5", "riscv-p2m-v2")


class P2MHarness(CFile):
    """One p2m.c, built once per table width."""

    system = "p2m"
    prefix = "ptprove-p2m-c-"

    def binary(self, idx_bits: int) -> Path:
        if idx_bits not in self.binaries:
            d = self.tmp / f"order{idx_bits}"
            stage_headers(self.text, d / "include", SHIM)
            shutil.copy(self.source, d / "p2m.c")
            self.binaries[idx_bits] = compile_driver(self.compiler, self.source, d, d / "include", SHIM, DRIVER,
                                                     [f"-DPTPROVE_PAGETABLE_ORDER={idx_bits}"])
        return self.binaries[idx_bits]

    def not_comparable(self, vector: dict) -> Optional[str]:
        if vector["system"] != "p2m":
            return f"the p2m.c harness runs p2m vectors, not {vector['system']}"
        version = callers.split(vector["version"])[0]  # under any callers: the same C
        if version not in RISCV_VERSIONS:
            return f"{vector['version']} is Arm's mmu/p2m.c (proofs/systems/p2m/arm_c_harness.py), not RISC-V's p2m.c"
        if version in SPLICED_P2M:
            return external_type_call(vector)
        return None

    def same_in(self, vector: dict) -> str:
        title = getattr(self, "title", None)
        return f"{self.same}; C: {title}" if title else self.same

    def run(self, vector: dict, seconds: int = RUN_SECONDS) -> dict[str, Any]:
        from model.riscv.p2m_state import GSTAGE_MODES
        from proofs.systems.p2m.vectors import calls_of, machine_of

        m = machine_of(vector["version"]).m
        b = vector["bounds"]
        lines = [f"mode {GSTAGE_MODES[vector['mode']]:x}", f"pool {int(b['pool']):x}"]
        for c in calls_of(vector):
            fails = sum(1 << k for k, f in enumerate(c.fails) if f)
            if c.nr is not None:
                lines.append(f"call range {c.gfn:x} {c.nr:x} {c.mfn:x} {c.t:x} {fails:x}")
            else:
                lines.append(f"call set {c.gfn:x} {m.geo.level_order(c.target):x} {c.mfn:x} {c.t:x} {fails:x}")
        return run_driver(self.binary(int(b["index_bits"])), lines, self.tmp / "calls.txt", seconds)

    def differences(self, vector: dict, got: dict) -> list[str]:
        return differences(vector, got)


def external_type_call(vector: dict) -> Optional[str]:
    """Why a spliced version's vector cannot run on its C: a call maps a type stored
    outside the PTE.  Seed 003 shows no p2m_set_type for such a type (its p2m_get_type
    panics on p2m_ext_storage); the model of v5 and v2 stores only the PTE bits
    (model/riscv/p2m_v5.py p2m_set_type), the splice's p2m_set_type is upstream's, with
    metadata pages: neither is the seed's C, so the two are not compared there."""
    from proofs.systems.p2m.vectors import calls_of, machine_of

    m = machine_of(vector["version"]).m
    names = m.type_names()
    ext = sorted({names.get(c.t, str(c.t)) for c in calls_of(vector) if c.t >= m.FIRST_EXTERNAL})
    if not ext:
        return None
    return (f"a call maps {', '.join(ext)}, a type stored outside the PTE: seed 003 shows no "
            "p2m_set_type for it (its p2m_get_type panics on p2m_ext_storage), and the splice's is "
            "upstream's (metadata pages), which this version's model is not")


def is_assert(note: str) -> bool:
    """A note the release build's ASSERT or ASSERT_UNREACHABLE makes (ptprove_xen.h)."""
    return note.startswith("ASSERT")


def assert_differences(i: int, model: list[str], notes: list[str]) -> list[str]:
    """Call i's failed ASSERTs in the model (the vector's `asserts`) against the C's notes:
    the same ASSERTs, each as many times (the order is not compared: the model walks the
    tables below a level-0 pointer depth by depth, the C depth first), and every other
    note a difference of its own."""
    c = [n for n in notes if is_assert(n)]
    problems = [f"call {i + 1}: in the C, {n}" for n in notes if not is_assert(n)]
    if sorted(c) != sorted(model):
        problems.append(f"call {i + 1}: failed ASSERTs differ: model [{'; '.join(model)}], "
                        f"C [{'; '.join(c)}]")
    return problems


def differences(vector: dict, got: dict) -> list[str]:
    """Each way the C's run `got` differs from what the vector says the model does."""
    problems = []
    calls = vector["calls"]
    if len(got["calls"]) != len(calls):
        problems.append(f"C ran {len(got['calls'])} calls, the model {len(calls)}")
    stopped = False
    for i, (m, c) in enumerate(zip(calls, got["calls"])):
        events = m.get("events", [])
        if c["stopped"]:
            stopped = True
            if not (NULL_MD in c["stopped"] and "maps a NULL metadata page" in events):
                problems.append(f"call {i + 1}: the C stopped ({c['stopped']}), the model returns {m['rc']}")
            break  # the C goes no further (the model reads p2m_invalid and goes on)
        if "maps a NULL metadata page" in events:
            problems.append(f"call {i + 1}: the model maps a NULL metadata page, the C does not stop")
        if m["rc_value"] != c["rc"]:
            problems.append(f"call {i + 1}: model returns {m['rc']}, C returns {c['rc']}")
        if c["crashed"] != ("domain_crash" in events):
            problems.append(f"call {i + 1}: domain_crash in the C {c['crashed']}, in the model "
                            f"{'domain_crash' in events}")
        problems += assert_differences(i, m.get("asserts", []), c["notes"])
    if stopped:  # nothing after the stop is comparable
        return problems
    x = vector["expected"]
    want = {int(t["frame"], 16): {e["index"]: int(e["raw"], 16) for e in t["entries"]} for t in x["tables"]}
    have = {int(t["frame"], 16): {i: int(v, 16) for i, v in t["entries"]} for t in got["tables"]}
    for f in sorted(set(want) | set(have)):
        for i in sorted(set(want.get(f, {})) | set(have.get(f, {}))):
            a, b = want.get(f, {}).get(i, 0), have.get(f, {}).get(i, 0)
            if a != b:
                problems.append(f"table {f:#x}[{i}]: model {a:#x}, C {b:#x}")
    md_model = {(int(e["frame"], 16), e["index"]): e["type"] for e in x["metadata"]}
    md_c = {(int(f, 16), i): t for f, i, t in got["md"]}
    for k in sorted(set(md_model) | set(md_c)):
        if md_model.get(k, 0) != md_c.get(k, 0):
            problems.append(f"metadata {k[0]:#x}[{k[1]}]: model type {md_model.get(k, 0)}, C {md_c.get(k, 0)}")
    if x["pool_handed_out"] != got["pool_in_use"]:
        md = f" ({len(got['md_pages'])} of them metadata pages)" if got["md_pages"] else ""
        problems.append(f"pool pages in use: model {x['pool_handed_out']}, C {got['pool_in_use']}{md}")
    watch = vector["initial_state"]["watch"]
    refs = got["refs"].get(watch, 0)
    if x["refs_watched"] != refs:
        problems.append(f"references on the watched frame {watch}: model {x['refs_watched']}, C {refs}")
    if x["need_flush"] != got["need_flush"]:
        problems.append(f"need_flush after the unlock: model {x['need_flush']}, C {got['need_flush']}")
    return problems


__all__ = ["P2MHarness", "differences", "ROOT_PAGES"]
