"""Runs and histories as pandas DataFrames, single runs, and run references."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .context import current_project
from .processes import pid_alive
from .refs import RunKey, resolve
from .store import Store, open_store
from .store.writer import live_run_ids

if TYPE_CHECKING:
    import pandas as pd

# A running run whose heartbeat is older than this is reported crashed.
STALE_AFTER_S = 60.0
_HOST = socket.gethostname()

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
)
RUN_COLUMNS = ["id", "name", "status", "experiment", "notebook", "start", "end", "duration", "tags"]


def store_for(store: str | Store | None) -> Store:
    """`store` itself, the store at URL `store`, or (None) the current project's."""
    if isinstance(store, Store):
        return store
    return open_store(current_project(store).store_url)


def reap_crashed(store: Store) -> list[str]:
    """Report running runs whose process died (same host) or whose heartbeat
    stopped as crashed. Runs of this process that are still live are left alone."""
    live = live_run_ids()
    running = store.running_runs()
    dead = [
        row.id
        for row in running
        if row.id not in live
        and row.host == _HOST
        and row.pid is not None
        and (row.pid == os.getpid() or not pid_alive(row.pid))
    ]
    stale_before = time.time() - STALE_AFTER_S
    stale = any(r.heartbeat is not None and r.heartbeat < stale_before for r in running)
    if not dead and not stale:
        return []  # nothing to mark: readers never take the store's write lock
    return store.mark_crashed(stale_before, dead)


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
    """All runs, newest first: one row each with `id, name, status, experiment,
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
    rows = _select_rows(st, experiment, status, tags, None if query or uses else limit, sweep)
    if uses is not None:
        from .artifacts.reads import runs_using

        users = set(runs_using(uses, st))
        rows = [r for r in rows if r["id"] in users]
    lasts = last_values(st, _summary_ids(rows))
    return _frame(pd, rows, lasts, query, limit)


def run_records(
    experiment: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    tags: str | Iterable[str] | None = None,
    limit: int | None = None,
    store: str | Store | None = None,
    sweep: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, dict[str, Any]]]]:
    """Runs as stored (dicts, newest first) and their metric summaries, filtered."""
    st = store_for(store)
    rows = _select_rows(st, experiment, status, tags, limit, sweep)
    return rows, st.summaries(_summary_ids(rows))


def _select_rows(
    st: Store,
    experiment: str | Sequence[str] | None,
    status: str | Sequence[str] | None,
    tags: str | Iterable[str] | None,
    limit: int | None,
    sweep: str | None,
) -> list[dict[str, Any]]:
    reap_crashed(st)
    rows = st.select_runs(
        experiment=experiment,
        status=status,
        sweep=sweep,
        limit=None if tags else limit,
        columns=LIST_COLUMNS,
    )
    if tags:
        wanted = {tags} if isinstance(tags, str) else set(tags)
        rows = [r for r in rows if wanted.issubset(r["tags"])][:limit]
    return rows


def _summary_ids(rows: list[dict[str, Any]]) -> list[str] | None:
    """The runs whose summaries to read; None (all of them) when that is most runs."""
    return None if len(rows) > 2000 else [r["id"] for r in rows]


def _frame(
    pd: Any,
    rows: list[dict[str, Any]],
    lasts: list[tuple[str, str, float | None]],
    query: str | None,
    limit: int | None,
) -> pd.DataFrame:
    """The wide frame, built in one go: the run columns, the params (few) and the
    metrics as one float block (a million keys are a million columns of one array,
    not a million column insertions)."""
    now = time.time()
    base = pd.DataFrame(
        {
            "id": [r["id"] for r in rows],
            "name": [r["name"] for r in rows],
            "status": [r["status"] for r in rows],
            "experiment": [r["experiment"] for r in rows],
            "notebook": [r["notebook"] for r in rows],
            "start": [r["start_time"] for r in rows],
            "end": [r["end_time"] for r in rows],
            "duration": [
                (r["end_time"] if r["end_time"] is not None else now) - r["start_time"]
                for r in rows
            ],
            "tags": [r["tags"] for r in rows],
            "snapshot": [r["snapshot"] for r in rows],
            "sweep": [r["sweep"] for r in rows],
            "trial": [r["trial"] for r in rows],
        },
        columns=[*RUN_COLUMNS, "snapshot", "sweep", "trial"],
    )
    for name in ("start", "end"):
        base[name] = pd.to_datetime(base[name].astype("float64"), unit="s", utc=True)
    base["trial"] = base["trial"].astype("Int64")  # <NA> for runs outside sweeps

    param_keys = sorted({key for r in rows for key in r["params"]})
    params = pd.DataFrame.from_records(
        [r["params"] for r in rows], columns=param_keys, index=range(len(rows))
    )
    # Params keep their types where some runs lack them: ints stay ints (Int64, <NA>).
    if param_keys and len(rows):
        params = params.convert_dtypes()
    params.columns = ["params." + k for k in param_keys]

    metrics = _metrics_block(pd, [r["id"] for r in rows], lasts)
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


def _keys(st: Store) -> list[RunKey]:
    return [
        RunKey(r["id"], r["name"], r["stem"], r["seq"])
        for r in st.select_runs(columns=["id", "name", "stem", "seq", "start_time"])
    ]


def resolve_ref(ref: str, store: str | Store | None = None) -> str:
    """The id of the run `ref` names."""
    return resolve(ref, _keys(store_for(store))).id


# -- single runs --------------------------------------------------------------------


@dataclass
class Run:
    """One run, as stored. `metrics` holds summaries: {key: {last, min, max, count}}."""

    id: str
    name: str
    status: str
    experiment: str
    notebook: str | None
    seq: int
    stem: str
    start: float
    end: float | None
    params: dict[str, Any]
    metrics: dict[str, dict[str, Any]]
    tags: list[str]
    notes: str | None
    error: str | None
    cell_source: str | None
    git: dict[str, Any] | None
    snapshot: str | None
    env_id: str | None = None
    sweep: str | None = None
    trial: int | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def ref(self) -> str:
        return f"{self.stem}#{self.seq}"

    @property
    def duration(self) -> float:
        return (self.end if self.end is not None else time.time()) - self.start

    @property
    def env(self) -> dict[str, Any]:
        assert self._store is not None
        return self._store.environment(self.env_id)

    @property
    def inputs(self) -> list[Any]:
        """The artifact versions this run used (nbtrack.artifacts)."""
        from .artifacts.reads import run_edges

        assert self._store is not None
        return run_edges(self._store, self.id, "in")

    @property
    def outputs(self) -> list[Any]:
        """The artifact versions this run made (nbtrack.artifacts)."""
        from .artifacts.reads import run_edges

        assert self._store is not None
        return run_edges(self._store, self.id, "out")

    def history(self, key: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Points of this run: columns `step`, `value`, `time` for one key; with
        several keys or none, the long format of `nbtrack.history`."""
        keys = [key] if isinstance(key, str) else key
        df = history([self.id], keys=keys, store=self._store)
        if isinstance(key, str):
            return df[["step", "value", "time"]].reset_index(drop=True)
        return df


def get_run(ref: str, store: str | Store | None = None) -> Run:
    """The run `ref` names: `train#4`, a name (`name~1` for the one before),
    an id prefix, or `latest` / `latest~N`."""
    st = store_for(store)
    reap_crashed(st)
    run_id = resolve(ref, _keys(st)).id
    (row,) = st.select_runs(ids=[run_id])
    return Run(
        id=row["id"],
        name=row["name"],
        status=row["status"],
        experiment=row["experiment"],
        notebook=row["notebook"],
        seq=row["seq"],
        stem=row["stem"],
        start=row["start_time"],
        end=row["end_time"],
        params=row["params"],
        metrics=st.summaries([run_id]).get(run_id, {}),
        tags=row["tags"],
        notes=row["notes"],
        error=row["error"],
        cell_source=row["cell_source"],
        git=row["git"],
        snapshot=row["snapshot"],
        env_id=row["env_id"],
        sweep=row["sweep"],
        trial=row["trial"],
        _store=st,
    )


# -- history() ----------------------------------------------------------------------


def run_ids(runs_: Any, st: Store) -> list[str]:
    """Run ids from a reference, a Run, a list of either, or a runs() DataFrame."""
    if isinstance(runs_, (str, Run)):
        runs_ = [runs_]
    if hasattr(runs_, "columns") and "id" in getattr(runs_, "columns", ()):
        return list(runs_["id"])
    keys: list[RunKey] | None = None
    ids = []
    for item in runs_:
        if isinstance(item, Run):
            ids.append(item.id)
        else:
            keys = keys if keys is not None else _keys(st)
            ids.append(resolve(str(item), keys).id)
    return ids


def history(
    runs: Any, keys: str | Sequence[str] | None = None, store: str | Store | None = None
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
    points = st.points(ids, wanted)
    df = pd.DataFrame.from_records(points, columns=["run", "key", "step", "value", "time"])
    df.insert(1, "name", df["run"].map(names))
    df["time"] = pd.to_datetime(df["time"], unit="s", utc=True)
    order = {run_id: i for i, run_id in enumerate(ids)}
    df = df.sort_values(
        ["run", "key", "step"], key=lambda s: s.map(order) if s.name == "run" else s, kind="stable"
    )
    return df.reset_index(drop=True)
