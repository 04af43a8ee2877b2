"""Optuna's pruners under nbtrack's names (Optuna imported only when one is made):
`nbtrack.MedianPruner(warmup_steps=3)`, `nbtrack.HyperbandPruner()`. Any
`optuna.pruners.BasePruner` works as `prune=` too."""

from __future__ import annotations

from typing import Any


def MedianPruner(  # noqa: N802 - named as the Optuna class it makes
    *, warmup_steps: int = 0, startup_trials: int = 5, **kwargs: Any
) -> Any:
    """Stop a trial whose metric at a step is worse than the median of the
    trials before it at that step (after `warmup_steps` steps and once
    `startup_trials` trials have finished)."""
    import optuna

    kwargs.setdefault("n_warmup_steps", warmup_steps)
    kwargs.setdefault("n_startup_trials", startup_trials)
    return optuna.pruners.MedianPruner(**kwargs)


def HyperbandPruner(**kwargs: Any) -> Any:  # noqa: N802
    """Optuna's Hyperband (successive halving over several budgets)."""
    import optuna

    return optuna.pruners.HyperbandPruner(**kwargs)
