"""`nbtrack import-mlflow`: MLflow experiments and runs into a store.

Read through MLflow's own client (`MlflowClient.search_runs` and
`get_metric_history`), so file stores, SQL stores and tracking servers all work.
Every metric point of every key is read; MLflow's milliseconds become seconds.
On an SQL store (sqlite:///mlflow.db, postgresql://...) the points of a page of
runs come from MLflow's `metrics` table in one query instead of one
`get_metric_history` call per run and key (the same rows, many times faster).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import NbtrackError
from ..store.store import Store
from .write import ImportedRun, ImportReport, RunWriter

STATUS = {
    "FINISHED": "finished",
    "FAILED": "failed",
    "KILLED": "interrupted",
    "RUNNING": "running",
    "SCHEDULED": "running",
}
# MLflow's system tags that become run fields rather than tags.
NOTEBOOK_TAG = "mlflow.source.name"
COMMIT_TAG = "mlflow.source.git.commit"
BRANCH_TAG = "mlflow.source.git.branch"
REPO_TAG = "mlflow.source.git.repoURL"
NOTE_TAG = "mlflow.note.content"
NAME_TAG = "mlflow.runName"


class MlflowSourceError(NbtrackError):
    """The MLflow tracking store cannot be read. Its message never shows a
    password: tracking URIs (`postgresql://user:pw@host/mlflow`,
    `https://user:pw@host`) are masked wherever they appear in it."""

    def __init__(self, message: str) -> None:
        from ..store.urls import mask_text

        super().__init__(mask_text(message))


def client_for(tracking_uri: str | None) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise MlflowSourceError(
            "importing from MLflow needs the mlflow client: pip install 'nbtrack[mlflow]'"
        ) from exc
    return MlflowClient(tracking_uri=tracking_uri)


def parse_param(text: str) -> Any:
    """MLflow keeps params as text: numbers come back as numbers, so nbtrack can sort
    and filter by them; anything else stays text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if value == value else text


def to_imported(run: Any, experiment: str, history: dict[str, list[Any]]) -> ImportedRun:
    """One MLflow `Run` (and its metric histories) in nbtrack's terms. Pure."""
    info, data = run.info, run.data
    tags = dict(data.tags)
    git: dict[str, Any] | None = None
    if COMMIT_TAG in tags:
        git = {"commit": tags[COMMIT_TAG]}
        if BRANCH_TAG in tags:
            git["branch"] = tags[BRANCH_TAG]
        if REPO_TAG in tags:
            git["remote"] = tags[REPO_TAG]
    start = (info.start_time or 0) / 1000.0
    end = info.end_time / 1000.0 if info.end_time else None
    return ImportedRun(
        source=f"mlflow:{info.run_id}",
        experiment=experiment,
        stem=experiment,
        status=STATUS.get(str(info.status), "finished"),
        start_time=start,
        end_time=end,
        params={k: parse_param(v) for k, v in sorted(data.params.items())},
        tags=[f"{k}={v}" if v != "" else k for k, v in sorted(tags.items())],
        notes=tags.get(NOTE_TAG),
        notebook=tags.get(NOTEBOOK_TAG),
        git=git,
        metrics={
            key: [(m.step, m.value, m.timestamp / 1000.0) for m in points]
            for key, points in history.items()
        },
    )


def _experiments(client: Any, name: str | None) -> list[Any]:
    try:
        if name is not None:
            exp = client.get_experiment_by_name(name)
            if exp is None:
                known = ", ".join(e.name for e in client.search_experiments()) or "none"
                raise MlflowSourceError(
                    f"MLflow has no experiment named {name!r} (it has: {known})"
                )
            return [exp]
        return list(client.search_experiments())
    except MlflowSourceError:
        raise
    except Exception as exc:
        raise MlflowSourceError(
            f"cannot read the MLflow tracking store at {client.tracking_uri}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}. Check --tracking-uri "
            "(a folder of mlruns, sqlite:///mlflow.db, or http://host:5000)"
        ) from exc


def _check_layout(uri: str) -> None:
    """A local folder that is not an MLflow file store would be read as an empty one
    (or created): refuse it instead, before writing anything."""
    path = Path(uri[len("file://") :] if uri.startswith("file://") else uri)
    if "://" in uri and not uri.startswith("file://"):
        return
    if not path.is_dir():
        raise MlflowSourceError(f"no MLflow store at {uri}: the folder does not exist")
    if not (path / "0").is_dir() and not any(
        (p / "meta.yaml").is_file() for p in path.iterdir() if p.is_dir()
    ):
        raise MlflowSourceError(
            f"{uri} is not an MLflow file store (no experiment folders with meta.yaml); "
            "point --tracking-uri at the mlruns folder"
        )


SQL_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")


class _Point:
    __slots__ = ("step", "value", "timestamp")

    def __init__(self, step: int, value: float, timestamp: int) -> None:
        self.step, self.value, self.timestamp = step, value, timestamp


class SqlHistories:
    """Every metric point of a page of runs in one query of MLflow's `metrics` table:
    what `get_metric_history` returns key by key, run by run (one query each)."""

    def __init__(self, uri: str) -> None:
        import sqlalchemy as sa

        self.engine = sa.create_engine(uri)
        self.table = sa.Table("metrics", sa.MetaData(), autoload_with=self.engine)

    def read(self, run_ids: list[str]) -> dict[str, dict[str, list[Any]]]:
        import sqlalchemy as sa

        t = self.table
        out: dict[str, dict[str, list[Any]]] = {}
        query = sa.select(t.c.run_uuid, t.c.key, t.c.step, t.c.value, t.c.timestamp, t.c.is_nan)
        nan = float("nan")
        with self.engine.connect() as conn:
            for i in range(0, len(run_ids), 500):
                rows = conn.execute(query.where(t.c.run_uuid.in_(run_ids[i : i + 500])))
                for run_id, key, step, value, ts, is_nan in rows:
                    out.setdefault(run_id, {}).setdefault(key, []).append(
                        _Point(step, nan if is_nan else value, ts)
                    )
        return out


def read_runs(client: Any, experiments: list[Any]) -> Iterator[ImportedRun]:
    uri = str(client.tracking_uri)
    sql = SqlHistories(uri) if uri.split(":", 1)[0].split("+")[0] in SQL_SCHEMES else None
    for exp in experiments:
        token = None
        while True:
            page = client.search_runs(
                [exp.experiment_id], max_results=1000, page_token=token, run_view_type=3
            )
            bulk = sql.read([r.info.run_id for r in page]) if sql is not None else None
            for run in page:
                if bulk is not None:
                    history = bulk.get(run.info.run_id, {})
                else:
                    history = {
                        key: client.get_metric_history(run.info.run_id, key)
                        for key in run.data.metrics
                    }
                yield to_imported(run, exp.name, history)
            token = page.token
            if not token:
                break


def import_mlflow(
    store: Store,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    *,
    artifacts: bool = False,
    artifact_context: Any = None,
) -> ImportReport:
    """Import every run of `experiment` (else all experiments). Idempotent.

    With ``artifacts``, each run's artifact files (each top-level file or folder of
    the MLflow run's artifacts) are stored as artifact versions made by the imported
    run, in the project of ``artifact_context`` (default: the current project)."""
    import os

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or "./mlruns"
    if "://" not in uri or uri.startswith("file://"):
        _check_layout(uri)
        # MLflow 3 refuses its file store unless asked: reading an old mlruns folder
        # is what moving in means.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = client_for(uri)
    exps = _experiments(client, experiment)
    # Read everything first: an unreadable run mid-way must not leave half an import.
    try:
        # Oldest first, so that the run numbers (cifar#1, #2...) follow time.
        runs = sorted(read_runs(client, exps), key=lambda r: r.start_time)
    except MlflowSourceError:
        raise
    except Exception as exc:
        raise MlflowSourceError(
            f"cannot read runs from the MLflow store at {uri}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:300]}"
        ) from exc
    writer = RunWriter(store, "mlflow")
    ids = {run.source: writer.add(run) for run in runs}
    writer.flush()
    if artifacts:
        import_artifacts(client, ids, writer.report, artifact_context)
    return writer.report


def import_artifacts(
    client: Any, ids: dict[str, str], report: ImportReport, ctx: Any = None
) -> None:
    """Record each MLflow run's top-level artifact files and folders as versions made
    by its imported run: named after the file or folder (`model`, `confusion.png`),
    typed `mlflow-model` for a folder holding an MLmodel file. Idempotent (the same
    bytes are the same version; the edge exists once)."""
    import tempfile

    from ..artifacts.attach import artifact_name, log_artifact_for_run
    from ..artifacts.context import context_for

    ctx = ctx if ctx is not None else context_for()
    for source, run_id in ids.items():
        mlflow_id = source.split(":", 1)[1]
        try:
            listed = client.list_artifacts(mlflow_id)
        except Exception as exc:
            raise MlflowSourceError(
                f"the runs were imported, but the artifacts of MLflow run {mlflow_id} cannot "
                f"be listed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}. Fix "
                "access to the MLflow artifact store and import again (idempotent)"
            ) from exc
        if not listed:
            continue
        with tempfile.TemporaryDirectory(prefix="nbtrack-mlflow-") as tmp:
            try:
                local = Path(client.download_artifacts(mlflow_id, "", tmp))
            except Exception as exc:
                raise MlflowSourceError(
                    f"the runs were imported, but the artifacts of MLflow run {mlflow_id} "
                    f"cannot be downloaded: {type(exc).__name__}: "
                    f"{str(exc).splitlines()[0][:300]}. Import again once they can "
                    "(idempotent)"
                ) from exc
            for entry in sorted(local.iterdir()):
                kind = "mlflow-model" if (entry / "MLmodel").is_file() else "file"
                _version, created = log_artifact_for_run(
                    entry, run_id, name=artifact_name(entry.name), type=kind, ctx=ctx
                )
                report.artifacts += created
        report.artifact_runs += 1
