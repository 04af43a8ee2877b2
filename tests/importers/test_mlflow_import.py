"""import-mlflow and export-mlflow against MLflow stores written by MLflow itself
(file store and SQLite store), into both nbtrack store backends."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mlflow")

from nbtrack import query  # noqa: E402
from nbtrack.cli import main  # noqa: E402
from nbtrack.store import open_store  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _file_store_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow 3 writes its (legacy) file store only when asked."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")


def _write_mlflow(uri: str, runs: int = 2, points: int = 50) -> list[str]:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("cifar")
    ids = []
    for i in range(runs):
        run = client.create_run(
            exp,
            start_time=1_700_000_000_000 + i * 1000,
            tags={
                "mlflow.source.name": "train.py",
                "mlflow.source.git.commit": "abc123",
                "team": "vision",
            },
            run_name=f"r{i}",
        )
        rid = run.info.run_id
        client.log_param(rid, "lr", "0.01")
        client.log_param(rid, "opt", "adam")
        metrics = [
            Metric(key, float(s * (i + 1) + k), 1_700_000_000_000 + s * 10, s)
            for k, key in enumerate(("loss", "acc"))
            for s in range(points)
        ]
        for j in range(0, len(metrics), 1000):
            client.log_batch(rid, metrics=metrics[j : j + 1000])
        client.set_terminated(rid, "FAILED" if i else "FINISHED", end_time=1_700_000_100_000)
        ids.append(rid)
    return ids


@pytest.fixture(params=["file", "sqlite"])
def mlflow_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return str(tmp_path / "mlruns")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_import_every_field_and_point(backend: str, mlflow_uri: str) -> None:
    ids = _write_mlflow(mlflow_uri)
    assert main(["import-mlflow", "--tracking-uri", mlflow_uri]) == 0
    store = open_store(backend)
    runs = sorted(query.list_runs(store), key=lambda r: r.start)
    assert len(runs) == 2
    first, second = runs
    assert first.experiment == "cifar"
    assert first.status == "finished" and second.status == "failed"
    assert first.start == pytest.approx(1_700_000_000.0)
    assert first.end == pytest.approx(1_700_000_100.0)
    assert first.params == {"lr": 0.01, "opt": "adam"}
    assert "team=vision" in first.tags and f"nbtrack.source=mlflow:{ids[0]}" in first.tags
    assert first.notebook == "train.py"
    assert query.get_run(first.id, store=store).git == {"commit": "abc123"}
    assert (first.name, second.name) == ("cifar#1", "cifar#2")
    points = store.points([second.id], ["loss"])
    assert [p[2] for p in points] == list(range(50))
    assert [p[3] for p in points] == [float(s * 2) for s in range(50)]
    assert points[7][4] == pytest.approx(1_700_000_000.07)
    assert second.metrics["acc"]["count"] == 50 and second.metrics["acc"]["max"] == 99.0


def test_import_twice_creates_nothing_and_appends_new_points(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlflow.tracking import MlflowClient

    mlflow_uri = str(tmp_path / "mlruns")
    ids = _write_mlflow(mlflow_uri, runs=1, points=10)
    assert main(["import-mlflow", "--tracking-uri", mlflow_uri]) == 0
    assert main(["import-mlflow", "--tracking-uri", mlflow_uri]) == 0
    assert "0 runs created, 0 updated, 1 unchanged, 0 points" in capsys.readouterr().out
    store = open_store(backend)
    assert len(query.list_runs(store)) == 1
    client = MlflowClient(tracking_uri=mlflow_uri)
    for s in range(10, 15):
        client.log_metric(ids[0], "loss", 100.0 + s, timestamp=1_700_000_001_000, step=s)
    client.set_tag(ids[0], "stage", "2")
    assert main(["import-mlflow", "--tracking-uri", mlflow_uri]) == 0
    assert "0 runs created, 1 updated, 0 unchanged, 5 points" in capsys.readouterr().out
    (run,) = query.list_runs(store)
    assert "stage=2" in run.tags
    steps = [p[2] for p in store.points([run.id], ["loss"])]
    assert steps == list(range(15))
    assert run.metrics["loss"]["count"] == 15 and run.metrics["loss"]["last"] == 114.0


def test_only_the_named_experiment(backend: str, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    uri = str(tmp_path / "mlruns")
    _write_mlflow(uri, runs=1, points=3)
    client = MlflowClient(tracking_uri=uri)
    other = client.create_experiment("other")
    client.set_terminated(client.create_run(other).info.run_id)
    assert main(["import-mlflow", "--tracking-uri", uri, "--experiment", "other"]) == 0
    runs = query.list_runs(open_store(backend))
    assert [r.experiment for r in runs] == ["other"]


def test_unknown_layout_and_unreachable_write_nothing(
    backend: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # else minutes of backoff
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("not mlflow")
    assert main(["import-mlflow", "--tracking-uri", str(junk)]) == 1
    err = capsys.readouterr().err
    assert "not an MLflow file store" in err
    assert main(["import-mlflow", "--tracking-uri", str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in capsys.readouterr().err
    # Nothing listens on port 9 (discard): connection refused.
    code = main(["import-mlflow", "--tracking-uri", "http://127.0.0.1:9"])
    assert code == 1
    assert "cannot read the MLflow tracking store" in capsys.readouterr().err
    assert main(["import-mlflow", "--tracking-uri", str(tmp_path / "m"), "--experiment", "x"]) == 1
    assert query.list_runs(open_store(backend)) == []


def test_export_reads_back_with_mlflow(backend: str, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    source = str(tmp_path / "source")
    _write_mlflow(source, runs=2, points=30)
    assert main(["import-mlflow", "--tracking-uri", source]) == 0
    target = str(tmp_path / "target")
    assert main(["export-mlflow", "--tracking-uri", target, "--all"]) == 0
    assert main(["export-mlflow", "--tracking-uri", target, "--all"]) == 0
    client = MlflowClient(tracking_uri=target)
    exp = client.get_experiment_by_name("cifar")
    out = sorted(client.search_runs([exp.experiment_id]), key=lambda r: r.info.start_time)
    assert len(out) == 2
    run = out[1]
    assert run.info.status == "FAILED"
    assert run.info.start_time == 1_700_000_001_000
    assert run.info.end_time == 1_700_000_100_000
    assert run.data.params == {"lr": "0.01", "opt": "adam"}
    assert run.data.tags["team"] == "vision"
    assert run.info.run_name == "r1"
    assert run.data.tags["mlflow.source.git.commit"] == "abc123"
    hist = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in hist] == list(range(30))
    assert [m.value for m in hist] == [float(s * 2) for s in range(30)]
    assert hist[3].timestamp == 1_700_000_000_030
