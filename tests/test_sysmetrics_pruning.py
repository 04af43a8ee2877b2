"""A search sweep pruning on a `sys/...` metric: the system-metrics thread logs it,
and a pruner raising there would kill the sampler (and never stop the cell). The
trial runs on with its sampler alive, is not pruned, and says why. Real Optuna
study in the real store, real psutil sampler thread."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import nbtrack
from nbtrack.capture.sweep import SWEEP_ENV
from nbtrack.sweeps.pruning import pack_pruner
from nbtrack.sweeps.study import storage_for

pytestmark = pytest.mark.slow

FAST = 0.05


@pytest.fixture(autouse=True)
def _fresh_storages() -> Iterator[None]:
    yield
    from nbtrack.sweeps.study import forget_storages

    forget_storages()


def _trial_env(store_url: str, metric: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process is trial 1 of a search sweep whose pruner prunes any value > 0."""
    import optuna

    from nbtrack.store import open_store

    open_store(store_url)  # the store's own tables first, as a sweep driver does
    name = f"sw-{uuid.uuid4().hex[:8]}"
    pruner = optuna.pruners.ThresholdPruner(upper=0.0)
    study = optuna.create_study(study_name=name, storage=storage_for(store_url), pruner=pruner)
    trial = study.ask()
    search = {
        "metric": metric,
        "pruner": pack_pruner(pruner),
        "store": store_url,
        "study": name,
        "trial_id": trial._trial_id,
    }
    monkeypatch.setenv(
        SWEEP_ENV, json.dumps({"id": name, "trial": 1, "params": {}, "search": search})
    )


def test_pruning_on_a_system_metric_keeps_the_sampler_alive(
    backend: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text(f"[tool.nbtrack]\nsystem_metrics_interval = {FAST}\n")
    _trial_env(backend, "sys/proc_rss_mb", monkeypatch)
    with nbtrack.start_run("trial", system_metrics=True) as run:
        deadline = time.monotonic() + 120
        while run.sampler.samples < 4:  # a pruned sampler dies after its first sample
            assert run.sampler.alive, run.sampler.error
            assert time.monotonic() < deadline, "the sampler took 4 samples in 120 s"
            time.sleep(0.01)
        nbtrack.log(loss=1.0)  # the cell goes on logging
    assert run.sampler.error is None
    got = nbtrack.get_run("trial")
    assert got.status == "finished"
    assert got.metrics["sys/proc_rss_mb"]["count"] == run.sampler.samples >= 5
    assert "sys/peak_rss_mb" in got.metrics  # the summary at the end was logged too
    assert any("not pruned" in w and "sys/proc_rss_mb" in w for w in run.warnings)


def test_a_trial_pruned_on_a_cell_metric_still_samples_to_the_end(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text(f"[tool.nbtrack]\nsystem_metrics_interval = {FAST}\n")
    url = f"sqlite:///{project / '.nbtrack' / 'nbtrack.db'}"
    _trial_env(url, "loss", monkeypatch)
    with pytest.raises(nbtrack.errors.TrialPruned):
        with nbtrack.start_run("trial", system_metrics=True) as run:
            deadline = time.monotonic() + 120
            while run.sampler.samples < 2:
                assert run.sampler.alive, run.sampler.error
                assert time.monotonic() < deadline
                time.sleep(0.01)
            nbtrack.log(loss=5.0, step=0)  # pruned here, in the cell
    got = nbtrack.get_run("trial")
    assert got.status == "pruned"
    assert run.sampler.error is None
    assert got.metrics["sys/proc_rss_mb"]["count"] == run.sampler.samples >= 3


def test_log_hooks_see_the_cells_logs_not_the_samplers(project: Path) -> None:
    (project / "pyproject.toml").write_text(f"[tool.nbtrack]\nsystem_metrics_interval = {FAST}\n")
    seen: list[str] = []

    def hook(run: object, rows: list[tuple[str, float]], step: int | None) -> None:
        seen.extend(key for key, _ in rows)
        if any(key.startswith("sys/") for key, _ in rows):
            raise RuntimeError("a hook that cannot take system metrics")

    with nbtrack.start_run("hooked", system_metrics=True) as run:
        run.on_log.append(hook)
        deadline = time.monotonic() + 120
        while run.sampler.samples < 3:
            assert run.sampler.alive, run.sampler.error
            assert time.monotonic() < deadline
            time.sleep(0.01)
        nbtrack.log(loss=0.5)
    assert run.sampler.error is None and seen == ["loss"]
    assert nbtrack.get_run("hooked").metrics["sys/proc_rss_mb"]["count"] == run.sampler.samples
