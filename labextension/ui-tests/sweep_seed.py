"""Run a small searched sweep of a Python function into the Galata server's store,
for the Sweeps view spec: `python sweep_seed.py SWEEP_ID`. Four random-search
trials of `train(lr, width)`; the fourth does badly and the median pruner stops
it. Prints one JSON line."""

from __future__ import annotations

import json
import os
import sys

from seed_runs import store_url


def main(sweep_id: str) -> None:
    os.environ["NBTRACK_STORE"] = store_url()
    import nbtrack

    calls: list[int] = []

    def train(lr: float, width: int) -> None:
        calls.append(1)
        good = len(calls) != 4
        for step in range(5):
            nbtrack.log(val_acc=(lr + width / 10 if good else 0.0), step=step)

    s = nbtrack.sweep(
        train,
        {"lr": nbtrack.uniform(0, 0.5), "width": [1, 2, 3]},
        method="random",
        metric="val_acc",
        trials=4,
        seed=7,
        sweep_id=sweep_id,
        prune=nbtrack.MedianPruner(warmup_steps=0, startup_trials=3),
    )
    print(json.dumps({"sweep": sweep_id, "states": [t.status for t in s.trials]}))


if __name__ == "__main__":
    main(sys.argv[1])
