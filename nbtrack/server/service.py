"""RunService: what the REST handlers ask of the store, one method per endpoint.

Blocking (the store is synchronous): handlers call these methods off the
event loop. Results are plain dicts and lists, ready for `jsonenc.dumps`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

from .. import query, refs
from ..errors import StoreError
from ..jsonenc import finite_list, strict
from ..series import Point, downsample
from ..store import Store, open_store
from ..store.extremes import downsampled
from ..store.sqlite_files import plain_sqlite_path
from . import cursor, run_query, runfilter
from .errors import ApiError, bad_request
from .params import MetricsQuery, RunsQuery
from .run_totals import RunTotals

_SEQ_REF = re.compile(r"^(?P<stem>.+)#(?P<seq>\d+)$")
_BACK_REF = re.compile(r"^.+?~\d+$")
_ID_LENGTH = 26
_MAX_SEQ = 2**31 - 1  # the seq column is a 32-bit INTEGER


class RunService:
    """The runs of one store, for the server extension. Thread-safe."""

    def __init__(
        self, store_url: str | None, project_root: Path | None = None, error: str | None = None
    ) -> None:
        self.store_url = store_url
        self.project_root = project_root
        self._error = error
        self._store: Store | None = None
        self._lock = threading.Lock()
        self.totals = RunTotals()
        self.warming: threading.Thread | None = None

    def warm_up(self, log: logging.Logger | None = None) -> threading.Thread | None:
        """Open an existing store in a background thread, so that the panel's first
        request does not wait for the database driver's imports, the connection and
        the schema check (0.6-1 s on PostgreSQL). The server never creates a store:
        a SQLite file that does not exist yet is left alone, and a store that fails
        to open is left for the first request to report."""
        if self.store_url is None:
            return None
        path = plain_sqlite_path(self.store_url)
        if path is not None and not path.exists():
            return None
        thread = threading.Thread(
            target=self._warm, args=(log,), name="nbtrack-store-warm-up", daemon=True
        )
        thread.start()
        self.warming = thread
        return thread

    def _warm(self, log: logging.Logger | None) -> None:
        try:
            self.store.all_keys()  # the panel's first read: also warms the database's cache
        except Exception as exc:  # the first request opens it again and says what is wrong
            if log is not None:
                log.debug("nbtrack: the store did not open in the background: %s", exc)

    @property
    def store(self) -> Store:
        """The store, opened (and migrated) on first use or by `warm_up`."""
        if self.store_url is None:
            raise StoreError(self._error or "the nbtrack server extension has no store")
        with self._lock:
            if self._store is None:
                self._store = open_store(self.store_url)
            return self._store

    # -- run references -----------------------------------------------------------

    def resolve(self, ref: str) -> str:
        """The id of the run `ref` names, as `nbtrack.query.resolve_ref` finds it, by
        indexed lookups when the reference allows (ids, `stem#seq`, names): polling
        clients never make the server read every run."""
        st = self.store
        text = ref.strip()
        if text and "\0" not in text and not _BACK_REF.match(text) and text != "latest":
            if _SEQ_REF.match(text):
                found = self._by_seq(text)
                if found:
                    return found[0]
            else:
                named = st.find_run_ids(name=text)
                if named:
                    return named[0]
                if len(text) == _ID_LENGTH and st.select_runs(ids=[text.lower()], columns=["id"]):
                    return text.lower()
        return query.resolve_ref(ref, store=st)

    def _by_seq(self, text: str) -> list[str]:
        """Ids of the runs whose `notebook#N` is `text` (one at most)."""
        m = _SEQ_REF.match(text)
        if m is None or "\0" in text or len(m.group("seq")) > refs.MAX_DIGITS:
            return []  # the resolver finds it by name or says what is wrong
        if int(m.group("seq")) > _MAX_SEQ:
            return []
        return self.store.find_run_ids(stem=m.group("stem"), seq=int(m.group("seq")))

    # -- runs ---------------------------------------------------------------------

    def list_runs(self, q: RunsQuery) -> dict[str, Any]:
        """One page of the runs that match `q` (filtered, sorted and paged in SQL), the
        number that match, every param and metric key of the store, and a cursor. With
        `changed_since`, the page holds only the matching runs that may have changed since
        that cursor (running ones among them)."""
        st = self.store
        # One connection for every read of the answer (one checkout, one ping on
        # PostgreSQL); a poll's reads are few and small, so round trips are its cost.
        with st.one_reader() as conn:
            if query.reap_crashed(st):
                conn.rollback()  # see the runs just marked crashed
            now = time.time()
            return self._list_runs(st, q, now)

    def _list_runs(self, st: Store, q: RunsQuery, now: float) -> dict[str, Any]:
        param_keys, metric_keys = st.all_keys()
        terms = runfilter.parse(q.q, param_keys, metric_keys)
        changeable: list[str] | None = None
        if q.changed_since is None:
            where = run_query.conditions(terms, q.status, now)
        else:
            # The runs changed since the poll's cursor and since the kept count's
            # boundary, found in one statement.
            boundary = self.totals.boundary(terms, q.status, now)
            times = [q.changed_since] + ([] if boundary is None else [boundary])
            changed = run_query.changed_sets(st, times)
            changeable = changed[1] if boundary is not None else None
            where = run_query.changed_where(terms, q.status, q.changed_since, now, changed[0])
        total = self.totals.count(st, terms, q.status, now, changeable)
        # A poll for changes is answered newest first whatever the view's sort: the
        # panel patches the rows it holds, and walking a param's or a metric's sort
        # index to find the few changed runs read every run (0.2-0.3 s at 100,000).
        polling = q.changed_since is not None
        page = query.Page(
            where,
            run_query.order_by(
                "start" if polling else q.sort, True if polling else q.descending, now
            ),
            q.limit,
            0 if polling else q.offset,
        )
        views = query.list_runs(st, page=page, now=now, reap=False)  # reaped above
        return {
            "runs": [v.to_json() for v in views],
            "total": total,
            "params": param_keys,
            "metrics": metric_keys,
            "cursor": cursor.encode_time(now),
        }

    def get_run(self, ref: str) -> dict[str, Any]:
        """One run with its error, cell source, git state and environment."""
        query.reap_crashed(self.store)
        return self._run(self.resolve(ref))

    def _run(self, run_id: str) -> dict[str, Any]:
        run = query.read_run(self.store, run_id)
        if run is None:
            raise ApiError(404, "the run was deleted while it was being read: reload the list")
        return {**run.to_json(detail=True), "environment": strict(run.env)}

    def update_run(self, ref: str, values: dict[str, Any]) -> dict[str, Any]:
        st = self.store
        run_id = self.resolve(ref)
        if "name" in values:
            (row,) = st.select_runs(ids=[run_id], columns=["id", "stem", "seq", "start_time"])
            own_ref = refs.ref(row["stem"], row["seq"])
            check_name(values["name"], own_ref, taken=bool(self._by_seq(values["name"])))
        if values:
            st.update_run(run_id, **values)
            self.totals.clear()
        return self._run(run_id)

    def delete_run(self, ref: str) -> None:
        st = self.store
        query.reap_crashed(st)
        run_id = self.resolve(ref)
        found = st.select_runs(ids=[run_id], columns=["id", "name", "status", "start_time"])
        if not found:
            return
        row = found[0]
        if row["status"] == "running":
            raise ApiError(
                409,
                f"run {row['name']} is still running: stop it (interrupt its kernel) "
                "before deleting it",
            )
        st.delete_run(run_id)
        self.totals.clear()

    # -- metrics ------------------------------------------------------------------

    def metrics(self, ref: str, q: MetricsQuery) -> dict[str, Any]:
        """Series of the run's metric keys, whole (downsampled past `max_points`) or,
        with `after`, only the points written since that cursor."""
        st = self.store
        run_id = self.resolve(ref)
        upto = st.last_point_id(run_id)
        if q.after is not None and q.after > upto:
            upto = q.after  # nothing new; keep the client's place
        if q.after is not None:
            series, downsampled = self._points_since(run_id, q, upto)
        elif q.keys is None:
            series, downsampled = self._every_series(run_id, upto, q.max_points)
        else:
            series, downsampled = {}, False
            for key in q.keys:
                points, cut = self._whole_series(run_id, key, upto, q.max_points)
                series[key] = points
                downsampled = downsampled or cut
        return {
            "cursor": cursor.encode(upto),
            "series": {key: columns(points) for key, points in series.items()},
            "downsampled": downsampled,
        }

    def _points_since(
        self, run_id: str, q: MetricsQuery, upto: int
    ) -> tuple[dict[str, list[Point]], bool]:
        assert q.after is not None
        rows = self.store.points_since(run_id, q.after, upto, q.keys)
        series: dict[str, list[Point]] = {key: [] for key in q.keys or ()}
        for i, key, step, value, t in rows:
            series.setdefault(key, []).append(Point(i, step, value, t))
        downsampled = False
        for key, points in series.items():
            points.sort(key=lambda p: (p.step, p.id))
            if len(points) > q.max_points:
                series[key] = downsample(points, q.max_points)
                downsampled = True
        return series, downsampled

    def _every_series(
        self, run_id: str, upto: int, max_points: int
    ) -> tuple[dict[str, list[Point]], bool]:
        """Every key's series: the short ones (by their summaries' counts) in one read
        of the run, the long ones (more than `max_points`) read and downsampled key by
        key. However many keys the run has, that is two queries plus one per series too
        long to send whole."""
        st = self.store
        counts = {k: s["count"] for k, s in st.summaries([run_id]).get(run_id, {}).items()}
        long_keys = sorted(k for k, n in counts.items() if n > max_points)
        series: dict[str, list[Point]] = {key: [] for key in sorted(counts)}
        for key, *point in st.run_points(run_id, upto, skip_keys=long_keys):
            series.setdefault(key, []).append(Point(*point))
        downsampled = False
        for key, points in series.items():
            if len(points) > max_points:
                series[key] = downsample(points, max_points)
                downsampled = True
        for key in long_keys:
            series[key], cut = self._whole_series(run_id, key, upto, max_points)
            downsampled = downsampled or cut
        return series, downsampled

    def _whole_series(
        self, run_id: str, key: str, upto: int, max_points: int
    ) -> tuple[list[Point], bool]:
        """A key's points with `id <= upto`, at most `max_points` of them: one read of
        its columns, and only the points sent become Python objects (a series longer
        than `max_points` is downsampled over its numpy columns: extremes.py)."""
        series = self.store.key_series(run_id, key, upto)
        cut = len(series) > max_points
        return [Point(*row) for row in downsampled(series, max_points)], cut

    # -- snapshots and diffs ------------------------------------------------------

    def _root(self) -> Path:
        if self.project_root is None:
            raise StoreError("the nbtrack server extension does not know its project folder")
        return Path(self.project_root)

    def snapshot(self, ref: str) -> dict[str, Any]:
        """The run's snapshot commit and the notebook in it (nbformat JSON)."""
        from ..rundiff import snapshot_notebook

        st = self.store
        run = query.get_run(self.resolve(ref), store=st)
        notebook = snapshot_notebook(run, store=st, root=self._root())
        return {"commit": run.snapshot, "notebook": notebook}

    def diff(self, a: str, b: str) -> dict[str, Any]:
        """`nbtrack.diff(a, b).to_json()`, with snapshots read from the server's project."""
        from ..rundiff import diff

        st = self.store
        run_a, run_b = self.resolve(a), self.resolve(b)
        return diff(run_a, run_b, store=st, root=self._root()).to_json()


def columns(points: list[Point]) -> dict[str, list[Any]]:
    """{"step": [...], "value": [...], "time": [...]} with non-finite values as strings."""
    return {
        "step": [p.step for p in points],
        "value": finite_list([p.value for p in points]),
        "time": [p.time for p in points],
    }


def check_name(name: str, own_ref: str, taken: bool) -> None:
    """Refuse names that run references would read as another run: `latest`, and
    another run's `notebook#N` (`taken`)."""
    if name == own_ref:
        return
    if name == "latest" or taken:
        raise bad_request(
            f"the name {name!r} would be read as a reference to "
            f"{'the latest run' if name == 'latest' else 'run ' + name}: choose another"
        )
