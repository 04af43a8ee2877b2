"""Which sweep a run belongs to: `nbtrack sweep` tells each notebook execution
through one environment variable, which the kernel inherits.

NBTRACK_SWEEP holds JSON: {"id": sweep id, "trial": combination number (from 1),
"params": the notebook's parameters for this execution}, and for a search sweep
"search": {"store", "study", "trial_id", "metric", "pruner"} (the Optuna trial
this execution reports its metric to, see sweeps/pruning.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

SWEEP_ENV = "NBTRACK_SWEEP"


class SweepContext(NamedTuple):  # not a dataclass: see config.Project
    id: str
    trial: int
    params: dict[str, Any]
    search: dict[str, Any] | None = None

    def to_env(self) -> str:
        data = {"id": self.id, "trial": self.trial, "params": self.params}
        if self.search is not None:
            data["search"] = self.search
        return json.dumps(data, ensure_ascii=False)


def sweep_context(environ: Mapping[str, str] | None = None) -> SweepContext | None:
    """The sweep this process runs for, or None; ValueError when the variable is
    set but malformed (the caller records the run outside any sweep and says so)."""
    raw = (os.environ if environ is None else environ).get(SWEEP_ENV)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        sweep_id, trial, params = data["id"], data["trial"], data.get("params", {})
        search = data.get("search")
        valid = (
            isinstance(sweep_id, str)
            and type(trial) is int
            and isinstance(params, dict)
            and (search is None or isinstance(search, dict))
        )
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise ValueError(
            f"{SWEEP_ENV} is set but is not what `nbtrack sweep` sets ({raw[:80]!r}); "
            "this run is recorded outside any sweep: unset the variable"
        )
    return SweepContext(sweep_id, trial, params, search)
