"""Parameter sweeps: a notebook run once per combination through papermill, each
execution's tracked cells recorded as runs grouped under one sweep id."""

from __future__ import annotations

from .driver import Sweep, Trial, sweep
from .grid import SweepError

__all__ = ["Sweep", "SweepError", "Trial", "sweep"]
