"""Fidelity: every modelled function names the code it follows.

`@follows(where, what)` records on a method the seed or upstream commit it
models; `stmt` is the C statement it stands for, in a few words of ours (a
trace quotes it beside the write the method made), never pasted source.  `citations(cls)` lists, for a variant class, each modelled function and
the class (and so the version) whose definition is in force, so a reviewer sees
at a glance which functions a patch version overrides.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Citation:
    function: str  # the modelled C function or macro
    source: str  # "xen-project/xen@<commit> <path>" or "seed <file> <what>"
    note: str = ""
    stmt: str = ""  # the C statement the method stands for (one line)


def follows(source: str, function: str = "", note: str = "", stmt: str = "") -> Callable[[F], F]:
    def deco(fn: F) -> F:
        fn.__citation__ = Citation(function or fn.__name__, source, note, stmt)  # type: ignore[attr-defined]
        return fn

    return deco


def citation_of(obj: object, method: str) -> Citation | None:
    """The citation of the definition of `method` in force for `obj` (a model
    instance or class), or None when it has none."""
    fn = getattr(type(obj) if not isinstance(obj, type) else obj, method, None)
    return getattr(fn, "__citation__", None)


def citations(cls: type) -> list[tuple[str, Citation, str]]:
    """(method name, citation, defining class name) for every cited method in force."""
    out = []
    seen = set()
    for klass in cls.__mro__:
        for name, fn in vars(klass).items():
            if name in seen:
                continue
            cit = getattr(fn, "__citation__", None)
            if cit is not None:
                seen.add(name)
                owner = next(k for k in cls.__mro__ if name in vars(k))
                out.append((name, cit, owner.__name__))
    return sorted(out, key=lambda t: t[0])
