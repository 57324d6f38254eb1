"""The v5 pt.c, extracted at test time from seed 000's diff (never committed).

The seed is the patch thread `[PATCH v5 6/7] xen/riscv: page table handling`
in the shared folder's `seeds/` (tests/needs.py finds it); its diff creates
`xen/arch/riscv/pt.c` whole, so the file is the `+` lines of that one hunk.
"""
from __future__ import annotations

from pathlib import Path

from proofs.refine.sources import extract_seed_pt_c

SEED_000 = "seeds/000_8afac2f4e5276757.txt"


def extract_v5_pt_c(dest: Path, seed: Path) -> Path:
    """Write the seed's pt.c to dest/pt.c."""
    return extract_seed_pt_c(seed, dest)
