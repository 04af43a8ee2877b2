"""The run lifecycle and the public logging API: start, log, finish, fail.

One run is active per process at a time. `log()` is the hot path: it checks
its input and appends tuples to the writer's queue, nothing else.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from . import session as _sessions
from .capture.environment import (
    capture_environment,
    environment_id,
    redact,
    secret_values,
)
from .capture.gitstate import git_state
from .capture.params import clean_params
from .capture.sweep import SweepContext, sweep_context
from .capture.who import run_user
from .config import Project, resolve_project
from .errors import MetricValueError, NbtrackError, NoActiveRunError, StoreError, TrialPruned
from .ids import new_id
from .metric_input import MAX_STEP, MIN_STEP, as_float, as_step, check_key
from .processes import host_name
from .session import current
from .snapshots import SnapshotJob, finish_snapshot, start_snapshot
from .store.writer import MetricWriter, Release

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_clock = time.time  # a global, not an attribute, for log()
_HOST = host_name()
#: How long a run's end waits for its git state to be read.
GIT_TIMEOUT_S = 30.0
#: How long a deferred run's row and first points may wait for its end (its
#: writer holds its flushes): a shorter run is written in one transaction.
DEFER_S = 0.5  # DESIGN.md: a writer flushes at least every 0.5 s


def writer_for(project: Project) -> MetricWriter:
    """The metric writer of `project`'s store (this process's session keeps one per store)."""
    return current().writer_for(project)


class ActiveRun:
    """The run being recorded in this process. (A plain class, not a dataclass:
    importing dataclasses loads inspect and ast, a cost every cold start paid.)"""

    def __init__(
        self,
        *,
        id: str,
        name: str,
        seq: int,
        stem: str,
        project: Project,
        writer: MetricWriter,
        start_time: float,
        notebook: str | None,
        params: dict[str, Any],
        warnings: list[str] | None = None,
        secrets: list[str] | None = None,
        deferred: bool = False,
    ) -> None:
        self.id = id
        self.name = name
        self.seq = seq
        self.stem = stem
        self.project = project
        self.writer = writer
        self.start_time = start_time
        self.notebook = notebook
        self.params = params
        self.steps: dict[str, int] = {}
        # The keys log() has checked, each mapped to the key stored (secrets redacted).
        self.keys: dict[Any, str] = {}
        self.secrets: list[str] = [] if secrets is None else secrets
        self.summaries: dict[str, dict[str, Any]] = {}
        self._params_pending = False
        self.status = "running"
        self.warnings: list[str] = [] if warnings is None else warnings
        #: Short flags the live chart's status line shows (`stale inputs: x`).
        self.flags: list[str] = []
        self.snapshot: str | None = None
        #: time.time() when the run ended (when its code stopped, not when nbtrack
        #: had finished writing it down); None while it runs.
        self.end_time: float | None = None
        #: The commit of the notebook snapshot being made (None without one).
        self.snapshot_job: SnapshotJob | None = None
        #: The git state of the notebook's folder, once its background read is over.
        self.git: dict[str, Any] | None = None
        #: Its row waits for the store's next write (`begin_run(defer=True)`).
        self.deferred = deferred
        # Called after each log() call has queued its points, with the run, the
        # (key, value) pairs and the step given (None: each key's own count, in
        # run.steps). A search sweep's pruner listens here (sweeps/pruning.py).
        self.on_log: list[Callable[[ActiveRun, list[tuple[str, float]], int | None], None]] = []
        # Called when the run ends, before its end is recorded: background work the
        # run's end must wait for (the media worker drains its queue here).
        self.on_end: list[Callable[[ActiveRun], None]] = []
        #: Kept open by an integration for the next stage of its training (Lightning's
        #: test() after fit()): the next run to begin ends it as finished first.
        self.ends_when_next_begins = False
        #: The system metrics thread (sysmetrics.SystemSampler), None when they are off.
        self.sampler: Any = None

    def __repr__(self) -> str:
        return f"ActiveRun({self.name!r}, id={self.id!r}, status={self.status!r})"

    def log(
        self, data: Mapping[str, Any] | None = None, /, *, step: int | None = None, **metrics: Any
    ) -> None:
        _log_to(self, data, step, metrics)

    def log_params(self, params: Mapping[str, Any] | None = None, /, **kw: Any) -> None:
        log_params_to(self, {**(params or {}), **kw})

    def set_tags(
        self,
        tags: list[str] | tuple[str, ...] | str | None = None,
        *,
        add: list[str] | tuple[str, ...] | str | None = None,
        remove: list[str] | tuple[str, ...] | str | None = None,
    ) -> list[str]:
        """Replace this run's tags (`tags`), and/or add and remove some; returns them."""
        from .run_edits import edit_tags

        return edit_tags(self.writer.store, self.id, tags, add=add, remove=remove)

    def set_notes(self, notes: str | None) -> str | None:
        """Replace this run's notes (None clears them)."""
        from .run_edits import edit_notes

        return edit_notes(self.writer.store, self.id, notes)

    @property
    def ref(self) -> str:
        return f"{self.stem}#{self.seq}"


def active_run() -> ActiveRun | None:
    """The run this process is recording, or None."""
    return current().active


def replaying(on: bool = True) -> None:
    """While replaying a run's history script (`nbtrack replay`), `log()` outside
    a run does nothing instead of raising, so the replayed cells run as they did."""
    current().replaying = on


def _running(what: str) -> ActiveRun:
    run = current().active
    if run is None or run.status != "running":
        raise NoActiveRunError(
            f"nbtrack.{what}() was called outside a run: start one with `%%track` on the "
            "cell, or `with nbtrack.start_run(): ...`; to change a finished run, use "
            f"nbtrack.get_run(REF).{what}(...)"
        )
    return run


def set_tags(
    tags: list[str] | tuple[str, ...] | str | None = None,
    *,
    add: list[str] | tuple[str, ...] | str | None = None,
    remove: list[str] | tuple[str, ...] | str | None = None,
) -> list[str]:
    """Set the active run's tags: `set_tags(["candidate"])` replaces them,
    `set_tags(add=["best"], remove=["wip"])` edits them. Returns the tags stored."""
    return _running("set_tags").set_tags(tags, add=add, remove=remove)


def set_notes(notes: str | None) -> str | None:
    """Replace the active run's notes (None clears them)."""
    return _running("set_notes").set_notes(notes)


def log_params(params: Mapping[str, Any] | None = None, /, **kw: Any) -> None:
    """Record params computed while the run goes on (`log_params(hidden=h, lr=lr)`),
    merged into the active run's params. A param logged again, or one the cell also
    assigns, records the last value (like W&B's `config.update(allow_val_change=True)`):
    the run's params are what the code ended up using."""
    log_params_to(_running("log_params"), {**(params or {}), **kw})


def log_params_to(run: ActiveRun, params: Mapping[str, Any]) -> None:
    if run.status != "running":
        raise NoActiveRunError(f"run {run.name} has ended ({run.status}); start a new run")
    add_params(run, params)


# -- log ----------------------------------------------------------------------------


def log(
    data: Mapping[str, Any] | None = None, /, *, step: int | None = None, **metrics: Any
) -> None:
    """Record metric values for the active run: `log(loss=0.3, acc=0.9, step=10)`
    or `log({"loss": 0.3})`. Without `step`, each key counts its own steps from 0."""
    # current().active without its two calls: log() is the hot path.
    run = _sessions._session._active
    if run is None:
        if _sessions._session.replaying:
            return
        raise NoActiveRunError(
            "nbtrack.log() was called outside a run: start one with `%%track` on the "
            "cell (after `%load_ext nbtrack`), or `with nbtrack.start_run(): ...` in a script"
        )
    # The commonest call, one float of a key the run has seen (`log(loss=x)`,
    # `log(loss=x, step=i)`), queues its point right here: no second call, no
    # list. Anything else (a new key, another type, a refusal) goes to _log_to.
    if (
        data is None
        and len(metrics) == 1
        and (step is None or (type(step) is int and MIN_STEP <= step <= MAX_STEP))
        and run.status == "running"
    ):
        for key in metrics:
            value = metrics[key]
        stored = run.keys.get(key)
        if stored is not None and type(value) is float:
            now = _clock()
            steps = run.steps
            if step is None:
                at = steps.get(stored, 0)
                steps[stored] = at + 1
            else:
                at = step
                if step >= steps.get(stored, 0):
                    steps[stored] = step + 1
            writer = run.writer
            queue = writer.queue
            queue.append((run.id, stored, at, value, now))
            if run.on_log:
                _call_hooks(run, [(stored, value)], step)
            # Backpressure, as in _log_to.
            n = len(queue)
            if n == 1:
                writer.due = now + writer.max_age
            if n >= writer.room or now > writer.due:
                writer.make_room()
            return
    _log_to(run, data, step, metrics)


def _log_to(
    run: ActiveRun,
    data: Mapping[str, Any] | None,
    step: Any,
    metrics: dict[str, Any],
    hooks: bool = True,
) -> None:
    """Check and queue one log() call's points. `hooks=False` (the system-metrics
    thread) skips `run.on_log`: a hook such as a sweep's pruner stops the cell by
    raising, which only the thread running the cell can do."""
    if data is not None:
        if not isinstance(data, Mapping):
            raise MetricValueError(
                f"nbtrack.log() takes a dict or keywords, not {type(data).__name__}: "
                "log({'loss': 0.1}) or log(loss=0.1)"
            )
        metrics = {**data, **metrics}
    if step is not None and (type(step) is not int or not MIN_STEP <= step <= MAX_STEP):
        step = as_step(step)
    if run.status != "running":
        raise NoActiveRunError(f"run {run.name} has ended ({run.status}); start a new run to log")
    # Everything is checked before anything is queued: one bad key or value
    # refuses the whole call, and nothing invalid ever reaches the writer. One
    # pass builds the points; a refusal undoes the step counts it had taken.
    keys = run.keys
    steps = run.steps
    run_id = run.id
    now = _clock()
    points = []
    try:
        for key, value in metrics.items():
            stored = keys.get(key) if isinstance(key, str) else None
            if stored is None:
                stored = _new_key(run, key)
            if type(value) is not float:
                value = as_float(stored, value)
            if step is None:
                s = steps.get(stored, 0)
                steps[stored] = s + 1
                points.append((run_id, stored, s, value, now))
            else:
                points.append((run_id, stored, step, value, now))
    except BaseException:
        if step is None:
            _uncount(steps, points)
        raise
    if step is not None:
        for point in points:
            if step >= steps.get(point[1], 0):
                steps[point[1]] = step + 1
    writer = run.writer
    queue = writer.queue
    queue.extend(points)
    if hooks and run.on_log:
        _call_hooks(run, [(p[1], p[3]) for p in points], step)
    # Backpressure: the writer must keep up, so the backlog (and what a kill
    # can lose) stays within its bound of points and of age. `room` and `due`
    # are the writer's (writer.py): a queue that holds only these points (the
    # writer took the rest) starts a new age. The writer thread may take the
    # queue at any time: `due` is then early, and make_room just sets it again.
    n = len(queue)
    if n and n == len(points):
        writer.due = now + writer.max_age
    if n >= writer.room or now > writer.due:
        writer.make_room()


def _call_hooks(run: ActiveRun, rows: list[tuple[str, float]], step: int | None) -> None:
    for hook in run.on_log:
        hook(run, rows, step)


def _uncount(steps: dict[str, int], points: list[tuple[str, str, int, float, float]]) -> None:
    """Give back the steps a refused log() call had counted (a key never counted
    before leaves run.steps again)."""
    for point in reversed(points):
        if point[2]:
            steps[point[1]] = point[2]
        else:
            del steps[point[1]]


def _new_key(run: ActiveRun, key: Any) -> str:
    """Check a metric name the first time a run sees it; returns the name stored
    (secret values redacted)."""
    stored = check_key(key)
    if run.secrets:
        stored = redact(stored, run.secrets)
    run.keys[key] = stored
    return stored


# -- run lifecycle --------------------------------------------------------------------


def _stem_and_notebook(notebook: Path | None, root: Path) -> tuple[str, str | None]:
    if notebook is None:
        script = Path(sys.argv[0]) if sys.argv and sys.argv[0].endswith(".py") else None
        if script is None or "ipykernel" in script.name:
            return "run", None
        notebook = script.resolve()
        if notebook.name == "__main__.py":  # `python -m package`: name it by the package
            return notebook.parent.name, str(notebook.parent)
    try:
        shown = notebook.resolve().relative_to(root).as_posix()
    except ValueError:
        shown = str(notebook)
    return notebook.stem, shown


def begin_run(
    *,
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: list[str] | tuple[str, ...] | None = None,
    notes: str | None = None,
    experiment: str | None = None,
    notebook: Path | str | None = None,
    cell_source: str | None = None,
    project: Project | None = None,
    snapshot: bool = False,
    history: list[str] | None = None,
    first_execution_count: int = 1,
    replay: dict[str, Any] | None = None,
    late_params: bool = False,
    system_metrics: bool | None = None,
    git: dict[str, Any] | None | bool = True,
    defer: bool = False,
) -> ActiveRun:
    """Create a run in the store and make it the active run of this process.

    With `snapshot`, the notebook as saved, its script, `cell_source` and the
    execution `history` (inputs in the order they ran, the first one as
    `In[first_execution_count]`) are committed on the notebook's hidden git ref;
    `replay` (which cells raised, RNG states: `capture.replay_record`) goes with
    them, for `nbtrack replay`/`verify`. `late_params`: params will change while the
    run goes on, so the snapshot commits at its end with the final ones. `git`: the
    git state already read (a sweep's driver reads it once for all its trials), so
    that this run runs no `git`; True (the default) reads it in the background.
    `defer` (a named run): its row is written with its first points, at most
    `DEFER_S` later, or with its end (a sweep's function trial: one transaction)."""
    session = current()
    active = session.active
    if active is not None and active.status == "running" and active.ends_when_next_begins:
        end_run(active)
    if active is not None and active.status == "running":
        raise NbtrackError(
            f"run {active.name} is still active: finish it before starting another "
            "(nbtrack records one run at a time per kernel)"
        )
    nb_path = Path(notebook).resolve() if notebook is not None else None
    if project is None:
        project = resolve_project(nb_path.parent if nb_path is not None else None)
    writer = session.writer_for(project)
    stem, shown = _stem_and_notebook(nb_path, project.root)
    secrets = secret_values()
    sweep, sweep_warnings = _sweep()
    # A sweep's parameters for this execution, then what the run itself names:
    # a cell that assigns a swept name overrides it, and that value is what ran.
    merged = {**(sweep.params if sweep else {}), **(params or {})}
    flat, warnings_ = _clean_params(merged, secrets)
    warnings_ = sweep_warnings + warnings_
    env = redact(capture_environment(project.settings.get("env_vars", ())), secrets)
    env_id = environment_id(env)
    writer.store.ensure_environment(env_id, env)
    start = time.time()
    run_id = new_id(start)
    row = {
        "id": run_id,
        "experiment": redact(experiment or shown or "default", secrets),
        "notebook": shown,
        "stem": stem,
        "name": redact(name, secrets) if name else None,
        "status": "running",
        "start_time": start,
        "heartbeat": start,
        "host": _HOST,
        "user_name": run_user(),
        "pid": os.getpid(),
        "cell_source": redact(cell_source, secrets),
        "params": flat,
        "tags": redact(sorted(set(tags or ())), secrets),
        "notes": redact(notes, secrets),
        "env_id": env_id,
        "sweep": sweep.id if sweep else None,
        "trial": sweep.trial if sweep else None,
    }
    defer = defer and bool(row["name"]) and hasattr(writer.store, "defer_run")
    if defer:
        writer.store.defer_run(row)
        seq, run_name = 0, row["name"]  # its number once its row is written
    else:
        seq, run_name = writer.store.create_run(row)
    run = ActiveRun(
        id=run_id,
        name=run_name,
        seq=seq,
        stem=stem,
        project=project,
        writer=writer,
        start_time=start,
        notebook=shown,
        params=flat,
        warnings=warnings_,
        secrets=secrets,
        deferred=defer,
    )
    folder = nb_path.parent if nb_path is not None else Path.cwd()
    if git is True:
        session.spawn(run_id, "git", _capture_git, run, folder)
    else:
        run.git = git or None
    if snapshot and project.settings.get("snapshot", True) is not False:
        run.snapshot_job = start_snapshot(
            run,
            nb_path,
            cell_source or "",
            history or [],
            first_execution_count,
            replay,
            late_params=late_params,
        )
    if defer:
        writer.watch(run_id)
        writer.hold(DEFER_S)
    else:
        writer.watch(run_id, {**row, "seq": seq, "name": run_name})
    session.activate(run)
    _start_system_metrics(run, system_metrics)
    if sweep is not None and sweep.search is not None:
        from .sweeps.pruning import attach_pruner

        attach_pruner(run, sweep)
    return run


def _start_system_metrics(run: ActiveRun, enabled: bool | None) -> None:
    """Start sampling `sys/...` metrics when asked (`enabled`), or, when not said,
    when the project's `[tool.nbtrack] system_metrics` is true."""
    if enabled is False or (enabled is None and not run.project.settings.get("system_metrics")):
        return
    from . import sysmetrics

    on, interval = sysmetrics.settings(run.project.settings, enabled)
    if on:
        run.sampler = sysmetrics.start(run, interval)


def record_failed_run(
    *,
    notebook: Path,
    project: Project,
    params: Mapping[str, Any],
    error: str,
    start_time: float,
    sweep: str | None = None,
    trial: int | None = None,
    notes: str | None = None,
) -> str:
    """Record, after the fact, a run of `notebook` that failed before any tracked
    cell could record it (a sweep's notebook failing outside `%%track`). Returns
    its reference."""
    store = current().writer_for(project).store
    stem, shown = _stem_and_notebook(notebook.resolve(), project.root)
    secrets = secret_values()
    flat, _ = _clean_params(params, secrets)
    seq, _name = store.create_run(
        {
            "id": new_id(start_time),
            "experiment": shown or "default",
            "notebook": shown,
            "stem": stem,
            "status": "failed",
            "start_time": start_time,
            "end_time": time.time(),
            "host": _HOST,
            "user_name": run_user(),
            "error": redact(error, secrets),
            "params": flat,
            "tags": [],
            "notes": redact(notes, secrets),
            "sweep": sweep,
            "trial": trial,
        }
    )
    return f"{stem}#{seq}"


def _sweep() -> tuple[SweepContext | None, list[str]]:
    try:
        return sweep_context(), []
    except ValueError as exc:
        return None, [str(exc)]


def _capture_git(run: ActiveRun, folder: Path) -> None:
    run.git = git_state(folder)


def _clean_params(
    params: Mapping[str, Any], secrets: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Params flattened with dotted keys, JSON-typed, with what cannot be stored
    (oversized, invalid text, nested too deep) left out and named in the
    warnings, and secrets redacted. Never raises: a bad param costs itself, not
    the run."""
    flat, warnings_ = clean_params(params)
    return redact(flat, secrets), warnings_


def add_params(run: ActiveRun, params: Mapping[str, Any]) -> None:
    """Record more params on a running run (e.g. values known only at the end).
    With the store away, they are kept and written with the run's end."""
    flat, warnings_ = _clean_params(params, secret_values())
    run.warnings += warnings_
    if flat:
        run.params.update(flat)
        try:
            run.writer.store.update_run(run.id, params=run.params)
        except StoreError:
            run._params_pending = True


def end_run(run: ActiveRun, status: str = "finished", error: BaseException | None = None) -> None:
    """Write the run's points and record how it ended. Safe to call once per run.

    Never raises because of the store: a store that stays away past the grace
    period gets the run's last points and its end through the journal (written
    when it is back), and the run is never `finished` with points missing."""
    if run.status != "running":
        return
    session = current()
    if not session.owns(run):
        # A forked child logging to its parent's run (a DataLoader worker that
        # leaves, or dies, inside the parent's `with start_run()`): the run is
        # the parent's to end. The child's points are written, nothing more.
        _flush_quietly(run)
        return
    if run.sampler is not None:
        # The last sample and the run's sys/ summaries, while it still runs.
        run.sampler.stop()
    # The run's clock stops now: what follows (the last points, waiting for the
    # git state and the snapshot commit) is nbtrack's time, not the run's.
    run.end_time = time.time()
    run.status = status
    session.deactivate(run)
    for hook in list(run.on_end):
        try:
            hook(run)
        except Exception as exc:  # noqa: BLE001 - the run's end is recorded regardless
            run.warnings.append(f"nbtrack: {exc}")
    secrets = secret_values()
    # A run with nothing left to wait for (no git read, no snapshot: a sweep's
    # function trial) records its end in the transaction of its last points.
    writer = run.writer
    alone = run.snapshot_job is None and session.job(run.id, "git") is None
    clean = run.id not in writer.lost and run.id not in writer.rejected
    end = _end_values(run, status, error, "", secrets) if alone and clean else None
    released = writer.release(run.id, end=end)
    run.summaries = released.summaries
    created = writer.store.deferred_created(run.id) if run.deferred else None
    if created is not None:
        run.seq, run.name = created
    session.join_job(run.id, "git", GIT_TIMEOUT_S)
    run.snapshot = finish_snapshot(run.snapshot_job, run)
    session.forget_jobs(run.id)
    problems = _lost_points_message(released)
    if released.ended and not problems:
        return
    values = _end_values(run, status, error, problems, secrets)
    run.status = values["status"]
    if problems:
        run.warnings.append(problems)
    if released.error is None:
        try:
            run.writer.store.update_run(run.id, **values)
            return
        except StoreError as exc:
            released.error = exc
    row = writer.store.take_deferred(run.id) if run.deferred else None
    journal = writer.journal_update(run.id, values, create=row)
    if journal is not None:
        run.warnings.append(
            f"{released.error}. Run {run.ref}'s end"
            + (f" and its last {released.journaled} points" if released.journaled else "")
            + f" are kept in {journal} and written to the store when it is back "
            "(the next run recorded in this project writes them)"
        )
    else:
        run.warnings.append(
            f"{released.error}. Run {run.ref}'s end could not be recorded: the store "
            "will show it as crashed. Check the store, then re-run the cell."
        )


def _end_values(
    run: ActiveRun, status: str, error: BaseException | None, problems: str, secrets: list[str]
) -> dict[str, Any]:
    """What `update_run` records of the run's end: `problems` (points lost or
    refused) turn a finished run crashed and go first in its error."""
    values: dict[str, Any] = {"status": status, "end_time": run.end_time}
    if run.snapshot is not None:
        values["snapshot"] = run.snapshot
    if run.git is not None:
        values["git"] = redact(run.git, secrets)
    if run._params_pending:
        values["params"] = run.params
    if problems and status == "finished":
        values["status"] = "crashed"
    text = format_error(error) if error is not None else ""
    if problems:
        text = f"{problems}\n{text}" if text else problems
    if text:
        values["error"] = redact(text, secrets)
    return values


def _flush_quietly(run: ActiveRun) -> None:
    try:
        run.writer.flush()
    except StoreError:
        pass  # kept queued: the exit hook journals what the store cannot take


def _lost_points_message(released: Release) -> str:
    parts = []
    if released.lost:
        parts.append(
            f"{released.lost} points could not be kept: the store was away "
            f"({released.error}) and the local journal could not be written either"
        )
    if released.rejected:
        parts.append(
            f"the store refused {released.rejected} points for their content "
            "(see the warnings above); the others were written"
        )
    return "; ".join(parts)


def status_for(exc: BaseException) -> str:
    if isinstance(exc, TrialPruned):
        return "pruned"
    return "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"


def format_error(exc: BaseException) -> str:
    """The traceback as a user saw it, without nbtrack's own frames on top."""
    import traceback  # only when a run fails: it loads textwrap and linecache

    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


@contextlib.contextmanager
def start_run(
    name: str | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    tags: list[str] | tuple[str, ...] | None = None,
    notes: str | None = None,
    experiment: str | None = None,
    notebook: Path | str | None = None,
    system_metrics: bool | None = None,
) -> Iterator[ActiveRun]:
    """Record a run around a block of code, for scripts and integrations:

        with nbtrack.start_run(name="baseline", params={"lr": 0.1}) as run:
            nbtrack.log(loss=0.5)

    An exception marks the run failed (KeyboardInterrupt: interrupted) and propagates.
    `system_metrics`: sample CPU, memory, disk, network and GPUs as `sys/...` metrics
    (None: as `[tool.nbtrack] system_metrics` says; see nbtrack/sysmetrics.py).
    """
    run = begin_run(
        name=name,
        params=params,
        tags=tags,
        notes=notes,
        experiment=experiment,
        notebook=notebook,
        system_metrics=system_metrics,
    )
    try:
        yield run
    except BaseException as exc:
        end_run(run, status_for(exc), exc)
        raise
    end_run(run, "finished")
