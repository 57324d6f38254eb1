"""The toy's model: one function a patch (or a mutant) overrides."""
from model.cite import follows
from model.term import Word, ite


class Toy:
    name = "toy"
    source = "tests/toy_system/model.py"

    @follows("tests/toy_system/model.py", "limit")
    def limit(self) -> int:
        return 3

    def bump(self, n: Word, by: Word) -> Word:
        """The counter after a call asking for `by` more, capped at the limit."""
        return ite(n + by <= self.limit(), n + by, n)
