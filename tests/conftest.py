"""Suite-wide settings: property tests are derandomized unless a seed is asked for, and
runs are ordered without the committed estimates.

By default every hypothesis test draws the same examples on every run (the
`derandomized` profile: a seed fixed per test, no example database), so a
CI failure reproduces.  `pytest --hypothesis-seed=N` runs them with seed N
instead (a fresh exploration, reproducible by the same N), and
`--hypothesis-profile=NAME` picks a registered profile explicitly.
"""
from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile("derandomized", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("seeded", derandomize=False, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def pytest_configure(config) -> None:
    if config.getoption("hypothesis_profile", None) is not None:
        return  # the hypothesis plugin loads it
    seeded = config.getoption("hypothesis_seed", None) is not None
    settings.load_profile("seeded" if seeded else "derandomized")


def pytest_sessionstart(session) -> None:
    """The suite's runs go in submission order: no committed estimates (proofs/estimates.json
    orders a user's runs longest first; tests that read it name it, `estimates.SHIPPED`)."""
    from proofs.engine import estimates

    estimates.COMMITTED = None
