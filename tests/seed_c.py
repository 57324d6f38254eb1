"""The v5 pt.c, extracted at test time from seed 000's diff (never committed).

The seed is the patch thread `[PATCH v5 6/7] xen/riscv: page table handling`;
its diff creates `xen/arch/riscv/pt.c` whole (see `proofs.refine.sources`).
Tests that need it skip when the seed is not on this machine.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from proofs.refine.sources import SEED_000, extract_seed_pt_c


def extract_v5_pt_c(dest: Path, seed: Path = SEED_000) -> Optional[Path]:
    """Write the seed's pt.c to dest/pt.c; None if the seed is missing."""
    return extract_seed_pt_c(seed, dest)
