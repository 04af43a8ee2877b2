"""Two runs compared, and a run's code got back: `nbtrack.diff`, snapshots, replay.

Resolves run references through the query layer and reads snapshots through
the versioning layer; the comparison itself is `versioning.diff_runs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Project
from .context import current_project
from .errors import NbtrackError
from .query import Run, get_run
from .versioning import DiffSide, RunDiff, SnapshotError, diff_runs, read_snapshot
from .versioning.snapshot import HISTORY, NOTEBOOK

if TYPE_CHECKING:
    from .query import Source


@dataclass(frozen=True, repr=False)  # IPython prints it as RunDiff does (_repr_pretty_)
class RunDiffWithInputs(RunDiff):
    """A run diff with its "inputs" part: the artifact versions used differently."""

    inputs: Any = None  # nbtrack.artifacts.inputs_diff.InputsDiff
    media: Any = None  # nbtrack.media.diff.MediaDiff

    @property
    def is_empty(self) -> bool:
        media_empty = self.media is None or self.media.is_empty
        return super().is_empty and (self.inputs is None or self.inputs.is_empty) and media_empty

    def __str__(self) -> str:
        shown = self.inputs is not None and self.inputs.used
        media = self.media.text() if self.media is not None else ""
        return super().__str__() + (self.inputs.text() if shown else "") + media

    def _repr_html_(self) -> str:
        shown = self.inputs is not None and self.inputs.used
        media = self.media.html() if self.media is not None else ""
        return super()._repr_html_() + (self.inputs.html() if shown else "") + media

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(),
            "inputs": self.inputs.to_json() if self.inputs else None,
            "media": self.media.to_json() if self.media else None,
        }


class NoSnapshotError(NbtrackError, LookupError):
    """The run has no snapshot (made with --no-snapshot, without git, or before one)."""


def _project_and_store(store: str | Source | None) -> tuple[Project, Source]:
    """The project and what to read runs from: `store` itself (a Store, or the command
    line's SQLiteReader), or the store at URL `store` (None: the project's)."""
    if store is not None and not isinstance(store, str):
        return current_project(store.url), store
    from .store import open_store

    project = current_project(store)
    return project, open_store(project.store_url)


def _run(ref: str | Run, store: Source) -> Run:
    return ref if isinstance(ref, Run) else get_run(str(ref), store=store)


def snapshot_files(
    run: str | Run, *, store: str | Source | None = None, root: Path | None = None
) -> dict[str, bytes]:
    """The files of a run's snapshot: notebook.ipynb, notebook.py, cell.py,
    history.py, run.json (the first two only when the notebook was known)."""
    project, st = _project_and_store(store)
    r = _run(run, st)
    if not r.snapshot:
        raise NoSnapshotError(
            f"run {r.name} ({r.ref}) has no snapshot: it ran with --no-snapshot, without "
            "git on PATH, or its snapshot failed (see the warning printed at its end)"
        )
    return read_snapshot(root or project.root, r.snapshot)


def snapshot_notebook(
    run: str | Run, *, store: str | Source | None = None, root: Path | None = None
) -> dict[str, Any]:
    """The run's notebook as it was saved when the run started (an nbformat v4
    notebook: a dict of JSON values, cell sources as strings)."""
    files = snapshot_files(run, store=store, root=root)
    if NOTEBOOK not in files:
        name = run.name if isinstance(run, Run) else run
        raise NoSnapshotError(
            f"the snapshot of {name} holds no notebook (the kernel did not know its "
            "notebook's path; set it with `%nbtrack notebook PATH`): use `nbtrack replay` "
            "for the code that ran"
        )
    from .nbformat_import import import_nbformat

    nbformat = import_nbformat()
    result: dict[str, Any] = nbformat.reads(files[NOTEBOOK].decode("utf-8"), as_version=4)
    return result


def replay_script(
    run: str | Run, *, store: str | Source | None = None, root: Path | None = None
) -> str:
    """The run's execution-history script: every cell that ran before it and the
    tracked cell, in the order they ran."""
    files = snapshot_files(run, store=store, root=root)
    return files[HISTORY].decode("utf-8", "surrogateescape")


def _side(run: Run, root: Path, label: str) -> DiffSide:
    files = None
    if run.snapshot:
        try:
            files = read_snapshot(root, run.snapshot)
        except SnapshotError as exc:  # same type: callers map missing snapshots to 404
            raise type(exc)(f"cannot diff {run.name}: {exc}") from exc
    return DiffSide(name=label, params=run.params, metrics=run.metrics, files=files)


def diff(
    a: str | Run, b: str | Run, *, store: str | Source | None = None, root: Path | None = None
) -> RunDiff:
    """What changed from run `a` to run `b`: params, metric summaries, the tracked
    cell, the notebook's script and the notebook cell by cell.

        nbtrack.diff("train#3", "train#4")   # shows as HTML in a notebook
        print(nbtrack.diff("latest~1", "latest"))

    Snapshots are read from the git repository of `root` (default: the current
    project's root).
    """
    project, st = _project_and_store(store)
    run_a, run_b = _run(a, st), _run(b, st)
    # Two runs may share a name (`baseline` twice): then label them by reference.
    same = run_a.name == run_b.name and run_a.id != run_b.id
    label_a, label_b = (run_a.ref, run_b.ref) if same else (run_a.name, run_b.name)
    where = root or project.root
    base = diff_runs(_side(run_a, where, label_a), _side(run_b, where, label_b))
    from .artifacts.inputs_diff import diff_inputs

    inputs = diff_inputs(run_a.inputs, run_b.inputs)
    return RunDiffWithInputs(**vars(base), inputs=inputs, media=_media(project, run_a, run_b))


def _media(project: Project, run_a: Run, run_b: Run) -> Any:
    """The figures, images and tables both runs logged that differ (nbtrack.media)."""
    from .media.diff import MediaDiff, diff_media
    from .store.sqlite_reads import SQLiteReader

    if isinstance(run_a._store, SQLiteReader) and not run_a._store.has_media([run_a.id, run_b.id]):
        return MediaDiff([], [], [])  # nothing to compare: the Store stays closed
    from .media.where import blobs_for_store
    from .query import store_for

    store = store_for(run_a._store)
    return diff_media(store, blobs_for_store(store.url), run_a.id, run_b.id)
