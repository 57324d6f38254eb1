"""A toy system, written as every system is (a package with the same files) and
decided by the engine unchanged: a counter that each call bumps up to the
version's limit.  Tests register it in the registry for their own run only."""
from tests.toy_system.theorem import OBLIGATIONS
from tests.toy_system.versions import VERSIONS

ID = "toy"
TITLE = "a counter bumped up to a limit"

__all__ = ["ID", "TITLE", "VERSIONS", "OBLIGATIONS"]
