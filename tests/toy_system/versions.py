"""The toy's versions (one line each)."""
from tests.toy_system.model import Toy

VERSIONS: dict[str, type] = {"toy": Toy}
