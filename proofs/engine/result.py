"""One checked obligation and its verdict, as every report shows it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

PROVED = "proved"
VIOLATED = "violated"  # a concrete trace from the initial state (or a concrete entry) breaks it
NOT_INDUCTIVE = "not-inductive"  # only a counterexample to the step, no trace within the bound
UNKNOWN = "unknown"  # solver timeout / unknown: never counted as proved
VERDICTS = (PROVED, VIOLATED, NOT_INDUCTIVE, UNKNOWN)


@dataclass
class Result:
    variant: str
    invariant: str  # stable id, e.g. "wx", "enc-mapping"
    operation: str  # API call, or "-" for encoding obligations
    verdict: str
    bounds: dict[str, Any]
    solver: str
    seconds: float
    statement: str = ""
    where: str = ""  # file:line of the invariant's definition
    vacuity: Optional[bool] = None  # True: the assumptions have a witness
    counterexample: Optional[dict[str, Any]] = None  # decoded, replayed
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    system: str = ""  # proofs/systems registry id, set by `ptprove prove`

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 4)
        return d
