"""What the systems with both caller contracts share (`proofs/engine/callers.py`):
a version under a contract as a model class of its own, and the C-width test of
the `any` contract.

`<version>@any` is the version's model class subclassed with `callers = "any"`
(and `under_callers_of`, the version it is decided for): the same model, whose
system's contract (`contract.py`) reads `callers_of(variant)` to admit every value
the entry points' C signatures admit.  Its machine replays the presets version's
committed traces (`traces_from`: a restriction of any).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping, Optional

from model.term import Bool, Word
from proofs.engine import callers


@lru_cache(maxsize=None)
def under(base: type, mode: str) -> type:
    """`base` decided under caller contract `mode`: named `<version>@<mode>`."""
    return type(f"{base.__name__}_{mode}", (base,), {
        "name": callers.name(base.name, mode), "callers": mode, "under_callers_of": base.name,
        "source": f"{base.source}; callers: {callers.MEANING[mode]}"})


def model_class(versions: Mapping[str, type], name: str) -> Optional[type]:
    """The model class of a version name: a version's own (`versions`), or `<version>@any`,
    the same model whose contract admits every value the C signatures admit."""
    base, mode = callers.split(name)
    cls = versions.get(base)
    if cls is None or mode == callers.PRESETS:
        return versions.get(name)
    return under(cls, mode)


def callers_of(variant) -> str:
    """The contract a version (class or instance) is decided under: presets unless `@any`."""
    return getattr(variant, "callers", callers.PRESETS)


def is_any(variant) -> bool:
    return callers_of(variant) == callers.ANY


def traces_from(variant) -> tuple:
    """Under any, the presets version's committed traces replay on this one."""
    base = getattr(variant, "under_callers_of", None)
    return (base,) if base else ()


def flags_fit(flags: Word, variant, attr: str = "FLAGS_BITS") -> Bool:
    """A flags word the entry points' C parameter type holds (`variant.FLAGS_BITS` bits)."""
    bits = getattr(variant, attr, 64)
    return Bool(True) if bits >= 64 else (flags >> bits) == 0


def fits(x: Word, bits: int) -> Bool:
    """x is a value of a `bits`-wide unsigned C parameter (zero-extended into 64 bits)."""
    return Bool(True) if bits >= 64 else (x >> bits) == 0


__all__ = ["under", "model_class", "callers_of", "is_any", "traces_from", "flags_fit", "fits"]
