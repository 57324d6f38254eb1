"""Encoding vectors replayed on a version's own C predicates.

A RISC-V version's `pte_is_table` / `pte_is_mapping` are its asm/page.h's
(beside its pt.c in a tree) or, for v5, the ones seed 000 adds to page.h:
`proofs/refine/sources.py` (`header_text`, `header_predicates`) takes them out
as written, renamed `ptprove_hdr_<name>`, the same C the refinement lifts.
They are compiled with the shim's PTE_* and ASSERT (`proofs/c/ptprove_shim.h`)
and `proofs/c/encodings_driver.c`, and run on every entry of the vector; the
C's answers (or the ASSERT it stops at) must be the ones the vector records.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from model.riscv import pte as rv
from proofs.c_harness import RUN_SECONDS, CFile, compile_driver, run_driver, stage
from proofs.refine.sources import header_predicates, header_text

DRIVER = "encodings_driver.c"
#: the vector's names of the predicates -> the driver's
PREDICATES = {"pte_is_table(p)": "table", "pte_is_mapping(p)": "mapping"}


class EncodingsHarness(CFile):
    """One version's page.h predicates, built once per version."""

    prefix = "ptprove-enc-c-"
    same = "the same answers from the predicates"

    def _predicates(self, version: str) -> tuple[Optional[str], dict[str, str]]:
        found = header_text(version, self.source)
        return (None, {}) if found is None else (found[0], header_predicates(found[1]))

    def not_comparable(self, vector: dict) -> Optional[str]:
        if vector["system"] != "encodings" or vector.get("kind") != "encoding":
            return f"the encodings harness runs encoding vectors, not {vector['system']}'s"
        if vector.get("arch") != "riscv":
            return "no C harness for Arm's lpae.h predicates"
        where, preds = self._predicates(vector["version"])
        if where is None:
            return f"no asm/page.h beside {self.source} (nor seed 000's page.h hunk)"
        missing = [n for n in ("pte_is_table", "pte_is_mapping") if n not in preds]
        if missing:
            return f"{where} does not define {', '.join(missing)}"
        return None

    def binary(self, version: str) -> Path:
        if version not in self.binaries:
            d = self.tmp / version
            where, preds = self._predicates(version)
            inc, defines = stage(self.source, "", d, version)
            (d / "ptprove_predicates.c").write_text(
                f"/* the predicates of {where}, renamed (proofs/refine/sources.py) */\n"
                + "\n".join(preds.values()), encoding="utf-8")
            self.binaries[version] = compile_driver(self.compiler, self.source, d, inc, "ptprove_shim.h",
                                                    DRIVER, defines)
        return self.binaries[version]

    def run(self, vector: dict, seconds: int = RUN_SECONDS) -> dict[str, Any]:
        return run_driver(self.binary(vector["version"]), [e["raw"] for e in vector["entries"]],
                          self.tmp / "values.txt", seconds)

    def differences(self, vector: dict, got: dict) -> list[str]:
        from proofs.systems.encodings.vectors import _subject

        problems = []
        if len(got["entries"]) != len(vector["entries"]):
            return [f"C ran {len(got['entries'])} entries, the vector has {len(vector['entries'])}"]
        for e, c in zip(vector["entries"], got["entries"]):
            at = f"{e['raw']} at {e['mode']} level {e['level']}"
            asserts = bool(_subject(vector["version"], e["mode"], e["level"]).xen_assert(
                rv.pte_word(int(e["raw"], 16))))
            if c["failed"]:
                if asserts:
                    problems.append(f"{at}: the C stops at {c['failed']}, the model's pte_assert holds")
                continue
            for name, key in PREDICATES.items():
                if name in e["xen"] and e["xen"][name] != c[key]:
                    problems.append(f"{at}: model {name} = {str(e['xen'][name]).lower()}, "
                                    f"C {str(c[key]).lower()}")
        return problems
