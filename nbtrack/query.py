"""Runs and histories as pandas DataFrames, single runs, and run references.

Every listing of runs goes through `list_runs`, and every run it gives is a
`RunView` (runview.py): the DataFrames, the command line, the server and the
widgets show one model of a run.

A *source* is what runs are read from: a `Store`, or (the command line, on SQLite)
a `SQLiteReader`, which reads the same tables through the standard library alone
and answers before SQLAlchemy could be imported. Both give the same rows.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .context import current_project
from .errors import RunNotFoundError
from .processes import pid_alive
from .refs import RunKey, resolve
from .runview import RECORD_COLUMNS, RunView, record_columns
from .store.sqlite_reads import SQLiteReader

if TYPE_CHECKING:
    import pandas as pd

    from .store import Store

    Source = Store | SQLiteReader

# A running run whose heartbeat is older than this is reported crashed.
STALE_AFTER_S = 60.0

# Store columns a run listing reads (runs(), the CLI, the server's runs list).
LIST_COLUMNS = (
    "id",
    "name",
    "stem",
    "seq",
    "status",
    "experiment",
    "notebook",
    "start_time",
    "end_time",
    "tags",
    "notes",
    "params",
    "snapshot",
    "sweep",
    "trial",
    "user_name",
    "host",
)


def store_for(store: str | Store | SQLiteReader | None) -> Store:
    """`store` itself, the store at URL `store`, or (None) the current project's;
    the full Store behind a `SQLiteReader`."""
    from .store import open_store

    if store is None or isinstance(store, str):
        return open_store(current_project(store).store_url)
    if isinstance(store, SQLiteReader):
        return store.store()
    return store


def reader_for(store: str | None) -> Source:
    """What the command line reads runs from: the project's store (or the store at URL
    `store`) through the standard library's sqlite3 when it is an SQLite file of the
    schema that reader knows, else the Store."""
    url = current_project(store).store_url
    reader = SQLiteReader.open(url)
    if reader is not None:
        return reader
    from .store import open_store

    return open_store(url)


def _source(store: str | Store | SQLiteReader | None) -> Source:
    return store if isinstance(store, SQLiteReader) else store_for(store)


def reap_crashed(source: Source) -> list[str]:
    """Report running runs whose process died (same host) or whose heartbeat
    stopped as crashed. Runs of this process that are still live are left alone."""
    running = source.running_runs()
    if not running:
        return []
    import socket

    host = socket.gethostname()
    # A process that never loaded the writer records no run (and need not load it).
    writer = sys.modules.get("nbtrack.store.writer")
    live = writer.live_run_ids() if writer is not None else set()
    dead = [
        row.id
        for row in running
        if row.id not in live
        and row.host == host
        and row.pid is not None
        and (row.pid == os.getpid() or not pid_alive(row.pid))
    ]
    stale_before = time.time() - STALE_AFTER_S
    stale = any(r.heartbeat is not None and r.heartbeat < stale_before for r in running)
    if not dead and not stale:
        return []  # nothing to mark: readers never take the store's write lock
    return source.mark_crashed(stale_before, dead)


# -- listing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of runs chosen in SQL (the server's runs list): `Store.page_runs`'s
    conditions, order and window."""

    where: Sequence[Any] = ()
    order_by: Any = ()
    limit: int = 1000
    offset: int = 0


def list_runs(
    source: Source,
    *,
    ids: Sequence[str] | None = None,
    experiment: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    tags: str | Iterable[str] | None = None,
    sweep: str | None = None,
    limit: int | None = None,
    page: Page | None = None,
    metrics: bool = True,
    now: float | None = None,
    reap: bool = True,
) -> list[RunView]:
    """The runs that match, newest first (or in `page`'s order), as RunViews with
    their metric summaries (without them: `metrics=False`). Runs whose process died
    are reported crashed first (unless the caller did: `reap=False`). Filters: `ids`,
    `experiment`, `status` (one or several), `tags` (runs carrying all of them),
    `sweep`, `limit`; or a `page` chosen in SQL."""
    if reap:
        reap_crashed(source)
    now = time.time() if now is None else now
    if page is not None:
        st = store_for(source)  # pages are chosen by SQLAlchemy conditions
        rows = st.page_runs(LIST_COLUMNS, page.where, page.order_by, page.limit, page.offset)
    else:
        wanted = None if tags is None else ({tags} if isinstance(tags, str) else set(tags))
        rows = source.select_runs(
            ids=ids,
            experiment=experiment,
            status=status,
            sweep=sweep,
            limit=None if wanted else limit,
            columns=LIST_COLUMNS,
        )
        if wanted:
            rows = [r for r in rows if wanted.issubset(r["tags"])][:limit]
    summaries = source.summaries([r["id"] for r in rows]) if metrics and rows else {}
    _add_verifications(source if page is None else store_for(source), rows)
    return [RunView.from_row(r, summaries.get(r["id"]), now) for r in rows]


def _add_verifications(source: Source, rows: list[dict[str, Any]]) -> None:
    """Each row's `nbtrack verify` entry (`verification`), None when it has none."""
    if not rows:
        return
    ids = [r["id"] for r in rows]
    if isinstance(source, SQLiteReader):
        entries = source.verifications(ids)
    else:
        from .store.verdicts import read

        entries = read(source, ids)
    for r in rows:
        r["verification"] = entries.get(r["id"])


# -- runs() -------------------------------------------------------------------------


def runs(
    experiment: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    tags: str | Iterable[str] | None = None,
    query: str | None = None,
    limit: int | None = None,
    store: str | Store | None = None,
    sweep: str | None = None,
    uses: str | None = None,
) -> pd.DataFrame:
    """All runs, newest first: one row each with `id, name, ref, status, experiment,
    notebook, start, end, duration` (seconds), `tags`, `snapshot`, `sweep`,
    `trial`, then `params.<key>` and `metrics.<key>` (last value) columns.

    Filters: `experiment`, `status` (one or several), `tags` (runs carrying all
    of them), `sweep` (the runs of one `nbtrack sweep`), `uses` (the runs that used
    an artifact version, e.g. "digits-train:v2"), and `query`, a pandas
    query string over the columns, e.g. ``"`params.lr` < 0.1 and status == 'finished'"``.
    """
    import pandas as pd

    from .store.summary_reads import last_values

    st = store_for(store)
    views = list_runs(
        st,
        experiment=experiment,
        status=status,
        tags=tags,
        sweep=sweep,
        limit=None if query or uses else limit,
        metrics=False,  # the last values alone, read lean (a run may have a million keys)
    )
    if uses is not None:
        from .artifacts.reads import runs_using

        users = set(runs_using(uses, st))
        views = [v for v in views if v.id in users]
    lasts = last_values(st, _summary_ids(views))
    return _frame(pd, views, lasts, query, limit)


def _summary_ids(views: list[RunView]) -> list[str] | None:
    """The runs whose summaries to read; None (all of them) when that is most runs."""
    return None if len(views) > 2000 else [v.id for v in views]


def _frame(
    pd: Any,
    views: list[RunView],
    lasts: list[tuple[str, str, float | None]],
    query: str | None,
    limit: int | None,
) -> pd.DataFrame:
    """The wide frame, built in one go: the run columns (the views' records), the params
    (few) and the metrics as one float block (a million keys are a million columns of
    one array, not a million column insertions)."""
    base = pd.DataFrame(record_columns(views), columns=list(RECORD_COLUMNS))
    for name in ("start", "end"):
        base[name] = pd.to_datetime(base[name].astype("float64"), unit="s", utc=True)
    base["duration"] = base["duration"].astype("float64")
    base["trial"] = base["trial"].astype("Int64")  # <NA> for runs outside sweeps

    param_keys = sorted({key for v in views for key in v.params})
    params = pd.DataFrame.from_records(
        [v.params for v in views], columns=param_keys, index=range(len(views))
    )
    # Params keep their types where some runs lack them: ints stay ints (Int64, <NA>).
    if param_keys and len(views):
        params = params.convert_dtypes()
    params.columns = ["params." + k for k in param_keys]

    metrics = _metrics_block(pd, [v.id for v in views], lasts)
    df = pd.concat([base, params, metrics], axis=1)
    if query:
        df = df.query(query)
    if limit is not None:
        df = df.head(limit)
    return df.reset_index(drop=True)


def _metrics_block(
    pd: Any, run_ids: list[str], lasts: list[tuple[str, str, float | None]]
) -> pd.DataFrame:
    """`metrics.<key>` columns (sorted by key) of the runs `run_ids`, one row each,
    from (run id, key, last) triples: one float array, filled by vectorized
    indexing. No step is quadratic, and nothing is done once per column in Python
    but naming it."""
    import numpy as np

    if not lasts:
        return pd.DataFrame(index=range(len(run_ids)))
    table = np.empty((len(lasts), 3), dtype=object)
    table[:] = lasts
    rows = pd.Index(run_ids, dtype=object).get_indexer(table[:, 0])
    mine = rows >= 0
    if not mine.all():  # summaries of runs not listed (all were read): drop them
        table, rows = table[mine], rows[mine]
    codes, keys = pd.factorize(table[:, 1])  # in order of appearance
    # Sort the distinct keys: keys arrive mostly in order (a run's summaries come
    # off its primary-key index), which Python's sort (timsort) takes in one pass.
    listed = keys.tolist()
    order = np.array(sorted(range(len(listed)), key=listed.__getitem__), dtype=np.intp)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    block = np.full((len(run_ids), len(order)), np.nan)
    block[rows, rank[codes]] = table[:, 2].astype("float64")  # None (NaN) becomes NaN
    names = np.array(["metrics."], dtype=object) + keys[order]
    return pd.DataFrame(block, columns=pd.Index(names, dtype=object))


# -- run references ----------------------------------------------------------------


def _keys(source: Source) -> list[RunKey]:
    return [
        RunKey(r["id"], r["name"], r["stem"], r["seq"])
        for r in source.select_runs(columns=["id", "name", "stem", "seq", "start_time"])
    ]


def resolve_ref(ref: str, store: str | Store | SQLiteReader | None = None) -> str:
    """The id of the run `ref` names."""
    return _resolve(ref, _source(store)).id


def _resolve(ref: str, source: Source) -> RunKey:
    """`refs.resolve`, then the aliases imported runs keep (`train#4@elsewhere`)."""
    keys = _keys(source)
    try:
        return resolve(ref, keys)
    except RunNotFoundError:
        from .store.run_aliases import lookup

        run_id = lookup(store_for(source), ref) if "@" in ref else None
        found = [k for k in keys if k.id == run_id]
        if not found:
            raise
        return found[0]


# -- single runs --------------------------------------------------------------------


@dataclass(frozen=True)
class Run(RunView):
    """One run, as stored (a RunView), with its environment and metric points a read
    away. `metrics` holds summaries: {key: {last, last_step, min, max, count}}."""

    _store: Any = field(default=None, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def env(self) -> dict[str, Any]:
        assert self._store is not None
        return self._store.environment(self.env_id)

    @property
    def inputs(self) -> list[Any]:
        """The artifact versions this run used (nbtrack.artifacts)."""
        assert self._store is not None
        if isinstance(self._store, SQLiteReader) and not self._store.has_edges(self.id, "in"):
            return []
        from .artifacts.reads import run_edges

        return run_edges(store_for(self._store), self.id, "in")

    @property
    def outputs(self) -> list[Any]:
        """The artifact versions this run made (nbtrack.artifacts)."""
        assert self._store is not None
        if isinstance(self._store, SQLiteReader) and not self._store.has_edges(self.id, "out"):
            return []
        from .artifacts.reads import run_edges

        return run_edges(store_for(self._store), self.id, "out")

    # Rich media (nbtrack/media/reads.py): media(), table(), image(), figure(), ...
    def media(self) -> pd.DataFrame:
        from .media.reads import media

        return media(self)

    def table(self, name: str, step: int | None = None) -> pd.DataFrame:
        from .media.reads import table

        return table(self, name, step)

    def image(self, name: str, step: int | None = None, index: int = 0, array: bool = False) -> Any:
        from .media.reads import image

        return image(self, name, step, index, array)

    def figure(self, name: str, step: int | None = None) -> Any:
        from .media.reads import figure

        return figure(self, name, step)

    def text(self, name: str, step: int | None = None) -> str:
        from .media.reads import text

        return text(self, name, step)

    def histogram(self, name: str, step: int | None = None) -> dict[str, Any]:
        from .media.reads import histogram

        return histogram(self, name, step)

    def set_tags(
        self,
        tags: Sequence[str] | str | None = None,
        *,
        add: Sequence[str] | str | None = None,
        remove: Sequence[str] | str | None = None,
    ) -> list[str]:
        """Replace this run's tags (`tags`), and/or `add` and `remove` some, in the
        store (what the Runs panel's tag editor does); returns the tags stored."""
        from .run_edits import edit_tags

        stored = edit_tags(store_for(self._store), self.id, tags, add=add, remove=remove)
        object.__setattr__(self, "tags", stored)
        return stored

    def set_notes(self, notes: str | None) -> str | None:
        """Replace this run's notes in the store (None clears them)."""
        from .run_edits import edit_notes

        stored = edit_notes(store_for(self._store), self.id, notes)
        object.__setattr__(self, "notes", stored)
        return stored

    def history(self, key: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Points of this run: columns `step`, `value`, `time` for one key; with
        several keys or none, the long format of `nbtrack.history`."""
        keys = [key] if isinstance(key, str) else key
        df = history([self.id], keys=keys, store=self._store)
        if isinstance(key, str):
            return df[["step", "value", "time"]].reset_index(drop=True)
        return df


def get_run(ref: str, store: str | Store | SQLiteReader | None = None) -> Run:
    """The run `ref` names: `train#4`, a name (`name~1` for the one before),
    an id prefix, or `latest` / `latest~N`."""
    source = _source(store)
    reap_crashed(source)
    run = read_run(source, _resolve(ref, source).id)
    if run is None:
        raise RunNotFoundError(f"run {ref!r} was deleted while it was being read")
    return run


def read_run(source: Source, run_id: str) -> Run | None:
    """The run with id `run_id`, in full (error, cell source, git state too), or None."""
    found = source.select_runs(ids=[run_id])
    if not found:
        return None
    summaries = source.summaries([run_id]).get(run_id)
    _add_verifications(source, found)
    return Run.from_row(found[0], summaries, time.time(), _store=source)


# -- history() ----------------------------------------------------------------------


def run_ids(runs_: Any, source: Source) -> list[str]:
    """Run ids from a reference, a Run, a list of either, or a runs() DataFrame."""
    if isinstance(runs_, (str, RunView)):
        runs_ = [runs_]
    if hasattr(runs_, "columns") and "id" in getattr(runs_, "columns", ()):
        return list(runs_["id"])
    keys: list[RunKey] | None = None
    ids = []
    for item in runs_:
        if isinstance(item, RunView):
            ids.append(item.id)
        else:
            keys = keys if keys is not None else _keys(source)
            ids.append(resolve(str(item), keys).id)
    return ids


def history(
    runs: Any,
    keys: str | Sequence[str] | None = None,
    store: str | Store | SQLiteReader | None = None,
) -> pd.DataFrame:
    """Metric points of one or more runs as a long DataFrame with columns
    `run` (id), `name`, `key`, `step`, `value`, `time` (UTC timestamps)."""
    import pandas as pd

    st = store_for(store)
    ids = run_ids(runs, st)
    names = {
        r["id"]: r["name"] for r in st.select_runs(ids=ids, columns=["id", "name", "start_time"])
    }
    wanted = [keys] if isinstance(keys, str) else keys
    # Columns straight from the store, already in (run, key, step) order.
    cols = st.point_columns(ids, wanted)
    run = pd.Series(cols["run"], dtype=object)
    return pd.DataFrame(
        {
            "run": run,
            "name": run.map(names),
            "key": pd.Series(cols["key"], dtype=object),
            "step": cols["step"],
            "value": cols["value"],
            "time": pd.to_datetime(cols["time"], unit="s", utc=True),
        }
    )
