"""The registry listing reads each version's run ref and name from the versions
table (copies kept by store/registry_runs.py), never the runs table: the same
rows as a join with the runs, on both backends, through links, aliases that
move, a run renamed, deleted, without metrics, or still running while its
metrics change; and a store from before the copies upgrades with every row."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sql_statements import recorded

import nbtrack
from nbtrack.store import migrations, open_store

_JOINED = """
SELECT v.name, v.version, r.stem || '#' || CAST(r.seq AS TEXT), r.name, r.id
FROM nbtrack_registry_versions AS v LEFT JOIN nbtrack_runs AS r ON r.id = v.run_id
ORDER BY v.name, v.version
"""


def _store() -> Any:
    from nbtrack.artifacts.context import context_for

    return context_for().store


def _joined() -> list[tuple[Any, ...]]:
    """(model, version, run, run_name, run_id) of every version, by a join with the
    runs as they are now: what the listing showed before it kept copies."""
    with _store().reading() as conn:
        return [tuple(r) for r in conn.execute(sa.text(_JOINED))]


def _listed() -> tuple[list[tuple[Any, ...]], Any]:
    """The REST/CLI rows as (model, version, run, run_name, run_id) and the DataFrame,
    each read checked to send no statement that reads the runs table."""
    from nbtrack.models.report import registry_rows

    with recorded(_store().engine) as seen:
        rows = registry_rows(_store())
        df = nbtrack.registry.models()
    assert seen and not [s for s in seen if "nbtrack_runs" in s]
    shown = [(r["model"], r["version"], r["run"], r["run_name"], r["run_id"]) for r in rows]
    framed = df[["model", "version", "run", "run_name"]].astype(object)
    assert [s[:4] for s in shown] == [
        tuple(None if pd.isna(x) else x for x in row) for row in framed.itertuples(index=False)
    ]
    return shown, df


def test_the_listing_follows_its_runs_without_reading_them(backend: str, project: Path) -> None:
    from nbtrack.cli import main

    runs = {}
    for name, metrics in (("kept", {"acc": 0.5}), ("renamed", {"acc": 0.7}), ("gone", {})):
        with nbtrack.start_run(name=name) as run:
            if metrics:
                nbtrack.log(**metrics)
            nbtrack.log_model({"from": name}, "net")
        runs[name] = run
    for v in (1, 2, 3):
        nbtrack.registry.link(f"net:v{v}", "clf", aliases=["candidate"] if v == 1 else [])
    nbtrack.registry.set_alias("clf", "candidate", version=2)  # the alias moves
    nbtrack.registry.link("net:v1", "best", aliases=["production"])  # a run behind two models

    with nbtrack.start_run(name="live") as live:
        nbtrack.log(acc=0.1)
        nbtrack.log_model({"from": "live"}, "net")
        nbtrack.registry.link("net:v4", "clf")
        shown, df = _listed()
        assert shown == _joined()
        assert shown[-1][2:4] == (live.ref, "live")
        nbtrack.log(acc=0.9)  # after the link: the listing shows the newest value
    assert nbtrack.registry.models("clf")["metrics.acc"].iloc[-1] == 0.9

    _store().update_run(runs["renamed"].id, name="baseline")
    assert main(["rm", runs["gone"].ref, "--yes"]) == 0
    shown, df = _listed()
    assert shown == _joined()
    assert [s[0:4] for s in shown] == [
        ("best", 1, runs["kept"].ref, "kept"),
        ("clf", 1, runs["kept"].ref, "kept"),
        ("clf", 2, runs["renamed"].ref, "baseline"),
        ("clf", 3, None, None),  # its run is deleted; the model stays registered
        ("clf", 4, live.ref, "live"),
    ]
    assert shown[3][4] is None  # no run id either, as before
    assert list(df["aliases"]) == [["production"], [], ["candidate"], [], []]
    acc = list(df["metrics.acc"])
    assert acc[:3] + acc[4:] == [0.5, 0.5, 0.7, 0.9] and math.isnan(acc[3])


def test_a_store_from_before_the_copies_upgrades_with_every_row(
    backend: str, project: Path
) -> None:
    """A store at the previous schema version (the versions table without the
    copies) gets them from its runs: every version kept, a deleted run's as NULL."""
    before = migrations.STEPS.index(migrations._registry_runs)
    (project / ".nbtrack").mkdir(exist_ok=True)
    engine = sa.create_engine(backend)
    with engine.begin() as conn:
        migrations.upgrade(conn, backend, target=before)
        # _registry creates today's table: take it back to the previous release's.
        conn.execute(sa.text("DROP INDEX ix_nbtrack_registry_versions_run"))
        for column in ("run_ref", "run_name"):
            conn.execute(sa.text(f"ALTER TABLE nbtrack_registry_versions DROP COLUMN {column}"))
        run = {"experiment": "e", "status": "finished", "start_time": 1.0}
        run.update(params="{}", tags="[]")
        for i, name in ((1, "first"), (2, "second")):
            conn.execute(
                sa.text(
                    "INSERT INTO nbtrack_runs (id, experiment, stem, seq, name, status, "
                    "start_time, params, tags) VALUES (:id, :experiment, 'train', :seq, "
                    ":name, :status, :start_time, :params, :tags)"
                ),
                {**run, "id": f"run{i}", "seq": i, "name": name},
            )
        conn.execute(sa.text("INSERT INTO nbtrack_registered_models VALUES ('clf', 1.0, 'u')"))
        for v, run_id in ((1, "run1"), (2, "run2"), (3, "gone"), (4, None)):
            conn.execute(
                sa.text(
                    "INSERT INTO nbtrack_registry_versions (name, version, "
                    'artifact_version_id, source, flavor, run_id, created, "user") VALUES '
                    "('clf', :v, :a, :s, 'pytorch', :r, 2.0, 'u')"
                ),
                {"v": v, "a": f"art{v}", "s": f"net:v{v}", "r": run_id},
            )
    engine.dispose()
    store = open_store(backend)  # upgrades
    assert store.schema_version() == migrations.SCHEMA_VERSION
    df = nbtrack.registry.models(store=store)
    assert list(df["version"]) == [1, 2, 3, 4]
    assert list(df["source"]) == [f"net:v{v}" for v in (1, 2, 3, 4)]
    assert list(df["run"].fillna("-")) == ["train#1", "train#2", "-", "-"]
    assert list(df["run_name"].fillna("-")) == ["first", "second", "-", "-"]
    with store.reading() as conn:
        index = {i["name"] for i in sa.inspect(conn).get_indexes("nbtrack_registry_versions")}
    assert "ix_nbtrack_registry_versions_run" in index


def test_a_run_row_written_after_its_link_shows_in_the_listing(backend: str, project: Path) -> None:
    """A run whose row reaches the store after its model was linked (a journal
    replay after an outage writes it with ensure_run_row) shows as any other."""
    with nbtrack.start_run(name="late") as run:
        nbtrack.log_model({"w": 1}, "net")
    nbtrack.registry.link("net:v1", "clf")
    store = _store()
    row = store.select_runs(ids=[run.id])[0]
    store.delete_run(run.id)
    assert nbtrack.registry.models()["run"].isna().all()
    store.ensure_run_row(row)
    assert list(nbtrack.registry.models()["run_name"]) == ["late"]
    shown, _ = _listed()
    assert shown == _joined() == [("clf", 1, run.ref, "late", run.id)]
