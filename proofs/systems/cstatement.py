"""The C statement a model write stands for, read off the `@follows` citations
of the model methods that built the value (`model/cite.py`, their `stmt`).

A trace quotes it beside the entry a breaking step wrote, so a reviewer sees
which line of the C did it; the text is ours (a short statement per method),
never source pasted from Xen.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from model.cite import citation_of


@dataclass(frozen=True)
class CStatement:
    function: str  # the C function, e.g. "pt_update_entry"
    branch: str  # the branch it took ("remove", "insert", ...), or ""
    source: str  # what the defining methods follow ("<repo>@<commit> <path>" or a seed), "; " apart
    text: str  # the statements, in the order the C runs them

    def where(self) -> str:
        """`pt_update_entry (remove)`."""
        return f"{self.function} ({self.branch})" if self.branch else self.function


def statement(variant: object, methods: Sequence[str], function: str, branch: str = "") -> CStatement:
    """The statements of `methods` (as the version in force defines them), with
    the sources they follow (a version that overrides one method cites its own)."""
    cits = [c for c in (citation_of(variant, m) for m in methods) if c is not None]
    text = " ".join(c.stmt for c in cits if c.stmt)
    source = "; ".join(dict.fromkeys(c.source for c in cits if c.stmt))
    return CStatement(function, branch, source, text or "(no statement recorded)")


def write_statement(variant: object, st: object, w: object, writers: Optional[dict[str, str]] = None) -> CStatement:
    """The C statement behind a write `w` of step `st`: `writers` names the C
    function of each writer the model records (`w.why`); the update function's
    statement is that of the branch the step's request takes, when the version
    has a `write_path(mfn, flags)`."""
    function = (writers or {}).get(w.why, w.why)  # type: ignore[attr-defined]
    if w.why == "pt_update_entry" and hasattr(variant, "write_path"):  # type: ignore[attr-defined]
        pre = st.pre  # type: ignore[attr-defined]
        branch, methods = variant.write_path(int(pre.mfn), int(pre.flags))
        return statement(variant, (*methods, function), function, branch)
    return statement(variant, (function,), function)
