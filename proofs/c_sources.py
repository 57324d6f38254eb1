"""Which C each vector replays on: `ptprove replay --c-source FILE` or `--xen-src DIR`.

`--c-source FILE` names one file; its name says which system it is (`p2m.c`:
the p2m system's RISC-V versions; a pt.c that defines `xen_pt_update` over
`lpae_t`: Arm's mmu/pt.c, arm-pt; anything else: RISC-V pt.c, as before), and
every vector of that system runs on it.  `--xen-src DIR` names a Xen tree: either one
checkout (`DIR/xen/arch/riscv/pt.c` ...), whose files are the upstream
versions' C, or a directory of trees as `../shared/xen` is (`upstream/`, `v9/`),
each version's C at its place (`TREE_PATHS`; v5's pt.c is seed 000's).  Each
system picks its own file.  The seed versions' C is built at replay time into a
scratch directory from the shared files: riscv-pt-v5's pt.c is seed 000's new
file; riscv-fixmap-v5's tree is upstream's with seed 002's fixmap.h, mm.c and
config.h lines (`riscv_fixmap/c_harness.py` v5_tree); riscv-p2m-v5's p2m.c is
"upstream p2m.c with seed 003's p2m_get_type, ..., p2m_free_subtree spliced in",
riscv-p2m-v2's the same with seed 004's p2m_split_superpage and its descent line
(`proofs/systems/p2m/seed_c.py`, `proofs/c_splice.py`).  A version whose C is not
there is replayed on the model only and counted apart: arm-pt-rfc (seed 001
defines no function whole, `ARM_PT_RFC_WHY`), and p2m v5's and v2's vectors that
map a type stored outside the PTE (`p2m/c_harness.py` external_type_call).
Arm's mmu/pt.c is built with its tree's asm/lpae.h and asm/page.h
(`proofs/systems/arm_pt/c_harness.py`); Arm's mmu/p2m.c (a `p2m.c` over `lpae_t`)
runs arm-p2m-upstream's vectors (`proofs/systems/p2m/arm_c_harness.py`).
"""
from __future__ import annotations

from proofs.engine import callers

from pathlib import Path
from typing import Any, Optional

from proofs.errors import UsageError

PT_C = Path("xen/arch/riscv/pt.c")
P2M_C = Path("xen/arch/riscv/p2m.c")
ARM_PT_C = Path("xen/arch/arm/mmu/pt.c")
ARM_P2M_C = Path("xen/arch/arm/mmu/p2m.c")

#: version -> its C under a directory of trees (None: not a whole file anywhere)
TREE_PATHS: dict[str, Optional[Path]] = {
    "riscv-pt-upstream": Path("upstream") / PT_C,
    "riscv-pt-v9": Path("v9") / PT_C,
    "riscv-pt-v5": None,  # seed 000 (proofs/refine/sources.py extracts it)
    "riscv-p2m-upstream": Path("upstream") / P2M_C,
    "riscv-p2m-v5": None,  # upstream's p2m.c with seed 003's functions (p2m/seed_c.py)
    "riscv-p2m-v2": None,  # v5's with seed 004's p2m_split_superpage (p2m/seed_c.py)
    "arm-pt-upstream": Path("upstream") / ARM_PT_C,
    "arm-p2m-upstream": Path("upstream") / ARM_P2M_C,
    "arm-pt-rfc": None,  # seed 001 is a partial patch of 2020's mm.c (ARM_PT_RFC_WHY)
    "riscv-fixmap-upstream": Path("upstream") / PT_C,  # with mm.c's setup_fixmap_mappings
    "riscv-fixmap-v5": None,  # seed 002 on upstream's tree (riscv_fixmap/c_harness.py v5_tree)
}
#: why arm-pt-rfc runs on the model only (tests/test_arm_pt_c_harness.py checks the seed still says so)
ARM_PT_RFC_WHY = ("seed 001 is a reply quoting RFC 4/6 of 2020's xen/arch/arm/mm.c: it defines no function "
                  "whole (xen_pt_check_entry and xen_pt_update are hunks, xen_pt_update_entry is cut "
                  "\"[...]\"), and the rest of its model is 677b3f8f7b's mm.c (no contiguous hint, a flush "
                  "after every call), which no tree here has; spliced into upstream's mmu/pt.c it would be "
                  "upstream's code, not the RFC's")
#: the versions whose C is upstream's p2m.c with their seeds' functions spliced in
#: (proofs/systems/p2m/seed_c.py SPLICED)
SPLICED_P2M = ("riscv-p2m-v5", "riscv-p2m-v2")
#: version -> its C in one checkout (the upstream versions)
CHECKOUT_PATHS = {"riscv-pt-upstream": PT_C, "riscv-p2m-upstream": P2M_C, "arm-pt-upstream": ARM_PT_C,
                  "arm-p2m-upstream": ARM_P2M_C, "riscv-fixmap-upstream": PT_C}


def _harness_class(system: str, path: Optional[Path] = None):
    if system == "encodings":
        from proofs.systems.encodings.c_harness import EncodingsHarness
        return EncodingsHarness
    if system == "p2m":
        from proofs.systems.p2m.arm_c_harness import ArmP2MHarness, is_arm_p2m
        if path is not None and is_arm_p2m(path):
            return ArmP2MHarness
        from proofs.systems.p2m.c_harness import P2MHarness
        return P2MHarness
    if system == "arm-pt":
        from proofs.systems.arm_pt.c_harness import ArmPtHarness
        return ArmPtHarness
    if system == "riscv-fixmap":
        from proofs.systems.riscv_fixmap.c_harness import FixmapHarness
        return FixmapHarness
    from proofs.c_harness import Harness
    return Harness


def _system_of_file(c_source: str) -> str:
    """Which system a C file named on the command line is the C of."""
    if Path(c_source).name == "p2m.c":
        return "p2m"
    try:
        text = Path(c_source).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "riscv-pt"  # the harness names the missing file
    return "arm-pt" if "lpae_t" in text and "xen_pt_update" in text else "riscv-pt"


class CSources:
    """The C harnesses a replay uses, built on first use, one per file."""

    def __init__(self, c_source: Optional[str] = None, xen_src: Optional[str] = None,
                 cc: Optional[str] = None):
        if c_source and xen_src:
            raise UsageError("give --c-source FILE or --xen-src DIR, not both")
        if xen_src and not Path(xen_src).is_dir():
            raise UsageError(f"--xen-src {xen_src}: not a directory")
        self.c_source, self.xen_src, self.cc = c_source, xen_src, cc
        self.system_of_file = _system_of_file(c_source) if c_source else "riscv-pt"
        self.harnesses: dict[tuple[str, Path], Any] = {}  # (system, file): pt.c serves two
        self.titles: dict[Path, str] = {}  # a generated splice -> what it is

    @property
    def any(self) -> bool:
        return bool(self.c_source or self.xen_src)

    def file_for(self, vector: dict) -> tuple[Optional[Path], Optional[str]]:
        """(the C file this vector runs on, None) or (None, why it runs on the model only)."""
        system = vector["system"]
        version = callers.split(vector["version"])[0]  # under any callers: the same C
        if self.c_source:
            if system != self.system_of_file and (system, self.system_of_file) != ("encodings", "riscv-pt"):
                return None, f"{self.c_source} is {self.system_of_file}'s C, not {system}'s"
            return Path(self.c_source), None
        root = Path(self.xen_src)
        if any((root / p).is_file() for p in (PT_C, P2M_C, ARM_PT_C)):
            rel = CHECKOUT_PATHS.get(version)
            where = f"a Xen checkout holds the upstream versions' C, not {version}'s"
        else:
            rel = TREE_PATHS.get(version)
            where = f"no whole C file of {version} in a Xen tree"
            if version == "riscv-pt-v5":
                seed = self._seed_pt_c()
                return (seed, None) if seed else (None, "seed 000 (v5's pt.c) is not at hand")
            if version in SPLICED_P2M:
                return self._spliced_p2m_c(version, root)
            if version == "riscv-fixmap-v5":
                pt_c = self._seed_fixmap_tree(root)
                return (pt_c, None) if pt_c else (None, f"seed 002 or {root / 'upstream'}'s riscv tree "
                                                        "(the rest of v5's C) is not at hand")
        if rel is None:
            return None, ARM_PT_RFC_WHY if version == "arm-pt-rfc" else where
        if not (root / rel).is_file():
            return None, f"{root / rel}: not there"
        return root / rel, None

    def _seed_pt_c(self) -> Optional[Path]:
        from proofs.refine.sources import SEED_000, extract_seed_pt_c, scratch_dir

        d = scratch_dir() / "v5-replay"
        d.mkdir(parents=True, exist_ok=True)
        return extract_seed_pt_c(SEED_000, d)

    def _spliced_p2m_c(self, version: str, root: Path) -> tuple[Optional[Path], Optional[str]]:
        from proofs.refine.sources import scratch_dir
        from proofs.systems.p2m.seed_c import spliced_p2m_c

        made = spliced_p2m_c(version, root / "upstream" / P2M_C, scratch_dir() / "p2m-splice")
        if made is None:
            return None, f"{root / 'upstream' / P2M_C} or {version}'s seeds are not at hand"
        self.titles[made[0]] = made[1]
        return made[0], None

    def _seed_fixmap_tree(self, root: Path) -> Optional[Path]:
        from proofs.refine.sources import SHARED, scratch_dir
        from proofs.systems.riscv_fixmap.c_harness import SEED_002, v5_tree

        return v5_tree(root / "upstream" / PT_C.parent, SHARED / "seeds" / SEED_002, scratch_dir() / "fixmap-v5")

    def harness_for(self, vector: dict) -> tuple[Optional[Any], Optional[str]]:
        """(a harness that runs this vector, None) or (None, why not)."""
        path, why = self.file_for(vector)
        if path is None:
            return None, why
        key = (vector["system"], path)
        if key not in self.harnesses:
            self.harnesses[key] = _harness_class(vector["system"], path)(str(path), self.cc)
            self.harnesses[key].title = self.titles.get(path)
        h = self.harnesses[key]
        why = h.not_comparable(vector)
        return (None, why) if why else (h, None)

    def close(self) -> None:
        for h in self.harnesses.values():
            h.close()
