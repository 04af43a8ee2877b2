"""Parameter sweeps. A grid over a notebook (papermill, one process per
combination: driver.py), or a search (Optuna's samplers and pruners, the study
in the store: search.py) over a notebook or a function, on a local pool of
kept kernels or a Dask cluster (executors.py)."""

from __future__ import annotations

from .api import sweep
from .driver import Sweep, Trial
from .grid import SweepError
from .pruners import HyperbandPruner, MedianPruner
from .search import SearchSweep, SearchTrial
from .space import intuniform, loguniform, uniform

__all__ = [
    "HyperbandPruner",
    "MedianPruner",
    "SearchSweep",
    "SearchTrial",
    "Sweep",
    "SweepError",
    "Trial",
    "intuniform",
    "loguniform",
    "sweep",
    "uniform",
]
