"""The toy's mutation catalogue."""
from proofs.mutant import Mutation, mutation_decorator

MUTATIONS: list[Mutation] = []
mutation = mutation_decorator(MUTATIONS, ("toy",))


@mutation("limit", "the limit raised to 7")
def limit_seven(self):
    return 7


@mutation("limit", "the limit raised to 4", survives="equivalent: still below every bound")
def limit_four(self):
    return 4
