"""What a random run found: the record both systems' differential runners return
(`riscv_pt/differential.py`, `p2m/differential.py`)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """An obligation a concrete run broke."""

    invariant: str
    operation: str  # the call the breaking step belongs to
    steps: int  # steps from the start of the run, the breaking one included
    va: int  # the witness address (p2m: the witness guest frame)
    calls: tuple  # the ConcreteCalls started so far

    def key(self) -> tuple[str, str]:
        return (self.invariant, self.operation)
