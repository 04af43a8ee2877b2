"""The registry listing's metrics on PostgreSQL come from the versions' own copies
of their runs' summaries, which the server keeps by triggers
(store/registry_metrics.py): the listing reads no summary, and shows what a
join with the summaries would show through every kind of summary write (the
metric writer while the run runs, a new key after the link, a bulk statement, a
key renamed, a run deleted), a name filter, an archive import, a store from
before the copies, and a link racing a summary write in another transaction
(while two runs' summary writes do not wait for each other).
On SQLite (no copies) the same sequence checks the listing against the join."""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from pg_locks import waits_on_a_lock
from sql_statements import recorded

import nbtrack
from nbtrack.store import migrations, open_store, registry_metrics

_TRUTH = """
SELECT v.name, v.version, s.key, s.last
FROM nbtrack_registry_versions AS v JOIN nbtrack_summaries AS s ON s.run_id = v.run_id
"""


def _store() -> Any:
    from nbtrack.artifacts.context import context_for

    return context_for().store


def _metrics(df: pd.DataFrame) -> dict[tuple[str, int, str], float]:
    """{(model, version, key): last} of a listing, NaN cells left out."""
    out = {}
    for col in (c for c in df.columns if c.startswith("metrics.")):
        for model, version, value in zip(df["model"], df["version"], df[col], strict=True):
            if not math.isnan(value):
                out[(model, int(version), col[len("metrics.") :])] = value
    return out


def _truth(store: Any, name: str | None = None) -> dict[tuple[str, int, str], float]:
    """What a join of the versions with their runs' summaries says now."""
    with store.reading() as conn:
        rows = conn.execute(sa.text(_TRUTH)).all()
    return {
        (n, v, k): last
        for n, v, k, last in rows
        if last is not None and not math.isnan(last) and name in (None, n)
    }


def _listed(store: Any, name: str | None = None) -> dict[tuple[str, int, str], float]:
    """The listing's metrics, checked on PostgreSQL to read no summary."""
    with recorded(store.engine) as seen:
        df = nbtrack.registry.models(name, store=store)
    if store.dialect == "postgresql":
        assert seen and not [s for s in seen if "nbtrack_summaries" in s]
    return _metrics(df)


def _agrees(store: Any, name: str | None = None) -> dict[tuple[str, int, str], float]:
    listed = _listed(store, name)
    assert listed == _truth(store, name)
    return listed


def test_the_listing_follows_every_summary_write(backend: str, project: Path) -> None:
    from nbtrack.cli import main

    runs = {}
    for name, acc in (("a", 0.5), ("b", 0.7)):
        with nbtrack.start_run(name=name) as run:
            nbtrack.log(acc=acc, loss=1 - acc)
            nbtrack.log_model({"from": name}, "net")
        runs[name] = run
    nbtrack.registry.link("net:v1", "clf")
    nbtrack.registry.link("net:v2", "clf")
    nbtrack.registry.link("net:v1", "best")  # one run behind two models
    nbtrack.registry.link("net:v2", "modèle-ü")  # names are placed by their characters
    store = _store()
    listed = _agrees(store)
    assert (listed[("best", 1, "acc")], listed[("modèle-ü", 1, "loss")]) == (0.5, 1 - 0.7)

    with nbtrack.start_run(name="live"):
        nbtrack.log(acc=0.1)
        nbtrack.log_model({"from": "live"}, "net")
        nbtrack.registry.link("net:v3", "clf")
        nbtrack.log(acc=0.9, f1=0.4)  # after the link: a new value and a new key
    listed = _agrees(store)
    assert (listed[("clf", 3, "acc")], listed[("clf", 3, "f1")]) == (0.9, 0.4)
    assert _agrees(store, "clf") == {k: v for k, v in listed.items() if k[0] == "clf"}

    # Any writer, one statement for many rows: a key of two runs renamed, a bulk insert.
    with store.writing() as conn:
        conn.execute(sa.text("UPDATE nbtrack_summaries SET key = 'accuracy' WHERE key = 'acc'"))
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_summaries (run_id, key, last, last_step, min, max, count) "
                "VALUES (:a, 'auc', 0.8, 0, 0.8, 0.8, 1), (:b, 'auc', 0.6, 0, 0.6, 0.6, 1)"
            ),
            {"a": runs["a"].id, "b": runs["b"].id},
        )
    listed = _agrees(store)
    assert ("clf", 1, "acc") not in listed and listed[("clf", 1, "accuracy")] == 0.5
    assert listed[("best", 1, "auc")] == 0.8 and listed[("clf", 2, "auc")] == 0.6

    assert main(["rm", runs["b"].ref, "--yes"]) == 0  # its summaries go with it
    listed = _agrees(store)
    assert not [k for k in listed if k[:2] == ("clf", 2)]
    assert listed[("clf", 1, "auc")] == 0.8


def test_an_archive_imported_into_postgresql_lists_its_metrics(
    postgres_store: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtrack.transfer import export_runs, import_archive

    src = tmp_path / "src"
    src.mkdir()
    src_url = f"sqlite:///{src / '.nbtrack' / 'nbtrack.db'}"
    monkeypatch.chdir(src)
    monkeypatch.setenv("NBTRACK_STORE", src_url)
    with nbtrack.start_run(name="train"):
        nbtrack.log(acc=0.75)
        nbtrack.log_model({"w": 1}, "digits-mlp")
    nbtrack.registry.link("digits-mlp:v1", "digits-clf")
    archive = tmp_path / "runs.nbtrack"
    export_runs(src_url, archive, project_root=src, with_artifacts=True)

    monkeypatch.chdir(project)
    monkeypatch.setenv("NBTRACK_STORE", postgres_store)
    import_archive(archive, postgres_store, project_root=project)
    assert _agrees(open_store(postgres_store)) == {("digits-clf", 1, "acc"): 0.75}


def test_a_store_from_before_the_copies_gets_them(postgres_store: str, project: Path) -> None:
    before = migrations.STEPS.index(migrations._registry_metrics)
    (project / ".nbtrack").mkdir(exist_ok=True)
    engine = sa.create_engine(postgres_store)
    with engine.begin() as conn:
        migrations.upgrade(conn, postgres_store, target=before)
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_runs (id, experiment, stem, seq, name, status, start_time, "
                "params, tags) VALUES ('run1', 'e', 'train', 1, 'first', 'finished', 1.0, "
                "'{}', '[]')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_summaries (run_id, key, last, last_step, min, max, count) "
                "VALUES ('run1', 'acc', 0.5, 0, 0.5, 0.5, 1), ('run1', 'loss', NULL, 0, 0, 0, 1)"
            )
        )
        conn.execute(sa.text("INSERT INTO nbtrack_registered_models VALUES ('clf', 1.0, 'u')"))
        conn.execute(
            sa.text(
                "INSERT INTO nbtrack_registry_versions (name, version, artifact_version_id, "
                'source, flavor, run_id, created, "user", run_ref, run_name) VALUES '
                "('clf', 1, 'art1', 'net:v1', 'pytorch', 'run1', 2.0, 'u', 'train#1', 'first')"
            )
        )
    engine.dispose()
    store = open_store(postgres_store)  # upgrades
    assert store.schema_version() == migrations.SCHEMA_VERSION
    assert _agrees(store) == {("clf", 1, "acc"): 0.5}
    with store.writing() as conn:  # and the triggers keep them from now on
        conn.execute(sa.text("UPDATE nbtrack_summaries SET last = 0.6 WHERE key = 'acc'"))
    assert _agrees(store) == {("clf", 1, "acc"): 0.6}


def _race(postgres_store: str, first: str, second: str) -> bool:
    """Run statement `first` in a transaction left open, `second` in another one in
    a thread; commit the first once the second is done or waits for it. Whether
    the second waited."""
    engine = sa.create_engine(postgres_store)
    other: dict[str, Any] = {}
    waited = False

    def run_second() -> None:
        with engine.begin() as conn:
            other["pid"] = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            ready.set()
            conn.execute(sa.text(second))

    ready = threading.Event()
    with engine.connect() as conn, conn.begin():
        conn.execute(sa.text(first))
        thread = threading.Thread(target=run_second)
        thread.start()
        assert ready.wait(600)  # a hang guard
        while thread.is_alive() and not waited:
            waited = waits_on_a_lock(engine, other["pid"])
            thread.join(0.05)
    thread.join(600)  # a hang guard
    assert not thread.is_alive()
    engine.dispose()
    return waited


_LINK = (
    "INSERT INTO nbtrack_registry_versions (name, version, artifact_version_id, source, "
    "flavor, run_id, created) SELECT 'clf', 2, 'art2', 'net:v2', 'pytorch', run_id, 3.0 "
    "FROM nbtrack_registry_versions WHERE version = 1"
)
_WRITE = "UPDATE nbtrack_summaries SET last = last + 1"


@pytest.mark.parametrize("first", ["link", "summary write"])
def test_a_link_racing_a_summary_write_leaves_no_stale_copy(
    postgres_store: str, project: Path, first: str
) -> None:
    """The link copies the summaries it sees; the summary write updates the copies
    of the versions it sees; without the triggers' locks each would miss the
    other's uncommitted rows, and version 2 would list the old value for good."""
    with nbtrack.start_run(name="train"):
        nbtrack.log(acc=0.5)
        nbtrack.log_model({"w": 1}, "net")
    nbtrack.registry.link("net:v1", "clf")
    statements = (_LINK, _WRITE) if first == "link" else (_WRITE, _LINK)
    _race(postgres_store, *statements)
    listed = _agrees(_store())
    assert listed == {("clf", 1, "acc"): 1.5, ("clf", 2, "acc"): 1.5}


def test_summary_writes_of_runs_in_one_lock_bucket_do_not_wait_for_each_other(
    postgres_store: str, project: Path
) -> None:
    """The summaries' triggers take their runs' buckets shared: the metric writers of
    two runs whose ids fall in one bucket flush side by side, where an exclusive
    bucket lock would hold the second until the first commits."""
    pair: list[str] = []
    for i in range(registry_metrics.BUCKETS + 1):  # two runs must share a bucket by then
        with nbtrack.start_run(name=f"r{i}"):
            nbtrack.log(acc=0.5)
        with _store().reading() as conn:
            pair = list(
                conn.execute(sa.text(_SHARED_BUCKET), {"mask": registry_metrics.BUCKETS - 1})
                .scalars()
                .first()
                or []
            )
        if pair:
            break
    first, second = (f"UPDATE nbtrack_summaries SET last = 0.7 WHERE run_id = '{r}'" for r in pair)
    assert not _race(postgres_store, first, second)
    with _store().reading() as conn:
        query = sa.text("SELECT run_id, last FROM nbtrack_summaries WHERE run_id = ANY(:ids)")
        assert dict(conn.execute(query, {"ids": pair}).all()) == dict.fromkeys(pair, 0.7)


_SHARED_BUCKET = """
SELECT array_agg(DISTINCT run_id ORDER BY run_id) FROM nbtrack_summaries
GROUP BY hashtext(run_id) & :mask HAVING count(DISTINCT run_id) > 1 LIMIT 1
"""
