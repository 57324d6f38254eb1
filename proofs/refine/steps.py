"""The state-machine steps as lifted C: one iteration of pt_update's loop and the prologues."""
from __future__ import annotations


def step_obligations(setup) -> list:
    return []
