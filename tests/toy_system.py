"""A tiny system for the mutation tests: one version, two obligations, decided
by evaluating the model concretely (no solver), in the shape proofs/systems.py asks for."""
from __future__ import annotations

from dataclasses import dataclass

from model.cite import follows
from proofs.mutants import Mutation, mutation_decorator
from proofs.result import Result


class Toy:
    name = "toy"
    source = "tests/toy_system.py"

    @follows("tests/toy_system.py", "limit")
    def limit(self) -> int:
        return 3


@dataclass(frozen=True)
class ToyObligation:
    id: str
    statement: str
    bound: int
    informative: bool = False
    where: str = "tests/toy_system.py:1"


VARIANT_CLASSES: dict[str, type] = {"toy": Toy}
SYSTEM_OBLIGATIONS = {o.id: o for o in (ToyObligation("below-5", "limit < 5", 5),
                                        ToyObligation("below-9", "limit < 9", 9))}


def run_system(variants, obligations, settings, progress=None) -> list[Result]:
    out = []
    for name in variants:
        limit = VARIANT_CLASSES[name]().limit()
        for oid in obligations:
            ok = limit < SYSTEM_OBLIGATIONS[oid].bound
            out.append(Result(name, oid, "-", "proved" if ok else "violated", {}, "none", 0.0, vacuity=True))
    return out


MUTATIONS: list[Mutation] = []
mutation = mutation_decorator(MUTATIONS, ("toy",))


@mutation("limit", "the limit raised to 7")
def limit_seven(self):
    return 7


@mutation("limit", "the limit raised to 4", survives="equivalent: still below every bound")
def limit_four(self):
    return 4
