"""import-mlflow --artifacts: each MLflow run's artifact files become artifact
versions made by the imported run, from a store written by MLflow itself."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mlflow")

import nbtrack  # noqa: E402
from nbtrack import query  # noqa: E402
from nbtrack.cli import main  # noqa: E402
from nbtrack.store import open_store  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _file_store_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")


@pytest.fixture(autouse=True)
def _fresh_artifact_contexts():
    from nbtrack.artifacts.context import forget_contexts

    forget_contexts()
    yield
    forget_contexts()


def _write_mlflow(uri: str, tmp: Path) -> list[str]:
    """Two runs: each logs a plot file and a model folder; run 2's model is the
    same bytes as run 1's (one version, made by both), its plot differs."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("cifar", artifact_location=(tmp / "mlartifacts").as_uri())
    model = tmp / "src" / "model"
    (model / "data").mkdir(parents=True)
    (model / "MLmodel").write_text("flavors:\n  python_function: {}\n")
    (model / "data" / "weights.bin").write_bytes(b"w" * 4096)
    ids = []
    for i in range(2):
        run = client.create_run(exp, start_time=1_700_000_000_000 + i * 1000)
        rid = run.info.run_id
        plot = tmp / "src" / f"run{i}" / "confusion.png"
        plot.parent.mkdir(parents=True)
        plot.write_bytes(b"\x89PNG" + bytes([i]) * 1000)
        client.log_artifact(rid, str(plot))
        client.log_artifacts(rid, str(model), "model")
        client.set_terminated(rid, "FINISHED", end_time=1_700_000_100_000)
        ids.append(rid)
    return ids


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(params=["file", "sqlite"])
def mlflow_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return str(tmp_path / "mlruns")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_artifact_files_become_versions_made_by_the_imported_runs(
    backend: str, mlflow_uri: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = mlflow_uri
    _write_mlflow(uri, tmp_path)
    assert main(["import-mlflow", "--tracking-uri", uri, "--artifacts"]) == 0
    assert "artifacts of 2 runs recorded, 3 new artifact versions" in capsys.readouterr().out
    runs = sorted(query.list_runs(open_store(backend)), key=lambda r: r.start)
    first, second = (r.name for r in runs)

    df = nbtrack.artifacts().sort_values(["name", "version"]).reset_index(drop=True)
    assert list(zip(df["name"], df["version"], df["type"], strict=True)) == [
        ("confusion.png", 1, "file"),
        ("confusion.png", 2, "file"),
        ("model", 1, "mlflow-model"),
    ]
    assert list(df["made_by"][:2]) == [first, second]
    assert nbtrack.use_artifact("confusion.png:v2").read_bytes() == b"\x89PNG" + b"\x01" * 1000
    assert _tree(nbtrack.use_artifact("model")) == _tree(tmp_path / "src" / "model")
    graph = nbtrack.lineage("model").to_dict()
    assert {e[0] for e in graph["edges"] if e[1] == "model:v1"} == {first, second}

    # Again: nothing new (same versions, same edges).
    assert main(["import-mlflow", "--tracking-uri", uri, "--artifacts"]) == 0
    assert "0 new artifact versions" in capsys.readouterr().out
    assert len(nbtrack.artifacts()) == 3
    assert nbtrack.lineage("model").to_dict() == graph


def test_without_the_flag_no_artifacts_are_recorded(backend: str, tmp_path: Path) -> None:
    uri = str(tmp_path / "mlruns")
    _write_mlflow(uri, tmp_path)
    assert main(["import-mlflow", "--tracking-uri", uri]) == 0
    assert len(query.list_runs(open_store(backend))) == 2
    assert len(nbtrack.artifacts()) == 0
