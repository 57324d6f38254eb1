"""System `encodings`: Xen's PTE predicates against the architecture's encodings.

theorem.py  what must hold (read first)     versions.py  the versions checked
vectors.py  counterexample vectors
"""
from proofs.systems.encodings.theorem import QUERIES as OBLIGATIONS
from proofs.systems.encodings.versions import VERSIONS

ID = "encodings"
TITLE = "PTE predicates against the architecture's encodings"
VECTORS = "proofs.systems.encodings.vectors"


__all__ = ["ID", "TITLE", "VECTORS", "VERSIONS", "OBLIGATIONS"]
