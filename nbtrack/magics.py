"""IPython magics: `%%track` makes a run of one cell execution; `%nbtrack` answers questions."""

from __future__ import annotations

import ast
import shlex
import sys
import time
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from . import context
from .capture.params import extract_params
from .errors import NbtrackError, StoreError
from .format import summary_line
from .params_capture import notebook_params
from .session import current

if TYPE_CHECKING:
    from . import tracking

_MISSING = object()


def register(ipython: Any) -> None:
    """Cheap on purpose (`%load_ext` must answer at once): what runs need loads
    in the session's background warm-up, in the order runs need it (see
    `warm_up_stages`), and each waits only for its own stage."""
    import nbtrack

    from .capture.cell_errors import watch

    ipython.register_magics(NbtrackMagics)
    ipython.push({"nbtrack": nbtrack})
    if watch(ipython):  # which cells raise, for replays; names parsed for the stale check
        from .verify.stale import watch as watch_names

        watch_names(ipython)
    current().warm_up.start(warm_up_stages())


def warm_up_stages() -> list[tuple[str, Any]]:
    """What the warm-up loads, stage by stage:

    - "run": the store layer (SQLAlchemy), the environment capture and, when
      the project's store exists already, the store itself: all a tracked
      cell needs before its body runs, so the first one waits for this alone;
    - "chart": ipywidgets and bqplot (the live chart comes up once they are in);
    - "snapshot": nbformat and jupytext, which only the snapshot thread uses.
    """
    return [("run", _load_run), ("chart", _load_chart), ("snapshot", _load_snapshot)]


def _load_run() -> None:
    from . import tracking
    from .capture import replay_record  # noqa: F401 - read as each tracked cell starts
    from .capture.environment import capture_environment
    from .verify import stale  # noqa: F401 - the stale-inputs check at each tracked cell
    from .versioning import snapshot  # noqa: F401 - what start_snapshot reads with
    from .widgets import live  # noqa: F401 - the view opens (as text) when the run starts

    capture_environment()
    project = context.current_project()
    if _store_exists(project.store_url):
        tracking.writer_for(project)


def _store_exists(url: str) -> bool:
    """Is there a store at `url` to open? (Opening one that is not there would
    create it: a project gets a store when it tracks a run, not on `%load_ext`.)"""
    from .store.sqlite_files import plain_sqlite_path

    plain = plain_sqlite_path(url)
    if plain is not None:  # the common case, answered without importing SQLAlchemy
        return plain.exists()
    import sqlalchemy as sa

    from .store.engine import sqlite_path

    parsed = sa.make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return True
    path = sqlite_path(parsed)
    return path is not None and path.exists()


def _load_chart() -> None:
    from .widgets.frontend import ChartUnavailableError, in_kernel, widget_libraries

    if in_kernel():  # the live chart will need ipywidgets and bqplot (about 0.5 s)
        try:
            widget_libraries()
        except ChartUnavailableError:
            pass  # the first tracked cell says so, where the user sees it
        import numpy  # noqa: F401 - the curves' arrays

        from .widgets import charts  # noqa: F401


def _load_snapshot() -> None:
    from .versioning import preload

    preload()


def unregister(ipython: Any) -> None:
    for kind in ("cell", "line"):
        for name in ("track", "nbtrack"):
            ipython.magics_manager.magics[kind].pop(name, None)


def run_cell_body(shell: Any, source: str) -> None:
    """Run `source` in the user's namespace as a cell would: IPython syntax works,
    the last expression is displayed, exceptions propagate with their traceback."""
    __tracebackhide__ = True  # noqa: F841 - read by IPython's traceback formatter
    code = shell.transform_cell(source)
    tree = ast.parse(code)
    if not tree.body:
        return
    filename = shell.compile.cache(code, shell.execution_count, raw_code=source)
    body, last = tree.body, None
    if isinstance(body[-1], ast.Expr):
        body, last = body[:-1], body[-1]
    ns_globals, ns_locals = shell.user_global_ns, shell.user_ns
    if body:
        exec(
            compile(ast.Module(body=body, type_ignores=[]), filename, "exec"), ns_globals, ns_locals
        )
    if last is not None:
        exec(compile(ast.Interactive(body=[last]), filename, "single"), ns_globals, ns_locals)


def _read_vars(shell: Any, names: list[str]) -> dict[str, Any]:
    return {n: shell.user_ns[n] for n in names if n in shell.user_ns}


@magics_class
class NbtrackMagics(Magics):
    @magic_arguments()
    @argument("-n", "--name", help="run name (default: <notebook stem>#<seq>)")
    @argument("-t", "--tag", action="append", default=[], help="a tag; repeat for more")
    @argument("--notes", help="free-text notes")
    @argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME",
        help="record this variable's value as a param; repeat for more",
    )
    @argument("--no-params", action="store_true", help="do not capture params from the cell")
    @argument("-e", "--experiment", help="experiment (default: the notebook's path)")
    @argument("--no-plot", action="store_true", help="no live chart under the cell")
    @argument("--no-snapshot", action="store_true", help="do not commit a snapshot of the notebook")
    @argument(
        "--system-metrics",
        action="store_true",
        help="sample CPU, memory, disk, network and GPUs as sys/... metrics",
    )
    @cell_magic
    def track(self, line: str, cell: str) -> None:
        """Record this cell's execution as an nbtrack run.

        Literal top-level assignments become params; `nbtrack.log(...)` in the cell
        records metrics. An exception marks the run failed and propagates."""
        __tracebackhide__ = True  # noqa: F841
        # shlex, not IPython's splitter: --notes "first try" must lose its quotes.
        args = self.track.parser.parse_args(shlex.split(line))
        # Before the run's clock starts: only the store layer, not the chart's
        # widgets nor the snapshot's modules, which load on while the cell runs.
        current().warm_up.wait("run")
        from . import tracking
        from .capture import fresh_rng, replay_record
        from .verify import stale as stale_check
        from .widgets import live  # noqa: F401 - imported off the run's clock

        shell = self.shell
        params: dict[str, Any] = {}
        if not args.no_params:
            try:
                params = extract_params(shell.transform_cell(cell))
            except SyntaxError:
                params = {}
        history = list(shell.user_ns.get("In", [""])[1:])
        # papermill's parameters (cells run before this one): the cell's own win.
        params = {**notebook_params(history[:-1], context.current_notebook()), **params}
        params.update(_read_vars(shell, args.param))
        stale = stale_check.at_start(context.current_notebook(), history, cell)
        # from here until the cell ends, unseeded default_rng() calls are replayable
        replay = {**replay_record.record(), "stale": stale}
        try:
            run = tracking.begin_run(
                name=args.name,
                params=params,
                tags=args.tag,
                notes=args.notes,
                experiment=args.experiment,
                notebook=context.current_notebook(),
                cell_source=cell,
                snapshot=not args.no_snapshot,
                history=history,
                replay=replay,
                # -p values are read again at the end, and log_params adds some: the
                # snapshot's run.json and commit message must say the final ones.
                late_params=bool(args.param) or "log_params" in cell,
                system_metrics=True if args.system_metrics else None,
            )
            if stale:
                stale_check.flag(run, stale)
            for message in run.warnings:
                print(f"nbtrack: {message}", file=sys.stderr)
            view = _open_view(run, args.no_plot)
            try:
                run_cell_body(shell, cell)
            except BaseException as exc:
                self._end(run, tracking.status_for(exc), args.param, exc, view)
                raise
            self._end(run, "finished", args.param, None, view)
        finally:
            fresh_rng.stop()

    def _end(
        self,
        run: tracking.ActiveRun,
        status: str,
        param_names: list[str],
        error: BaseException | None,
        view: Any = None,
    ) -> None:
        from . import tracking

        values = _read_vars(self.shell, param_names)
        missing = [n for n in param_names if n not in values]
        shown = len(run.warnings)
        try:
            if values:
                tracking.add_params(run, values)
        finally:
            tracking.end_run(run, status, error)
        # A -p value is read again at the end: a warning about it (too big) was
        # already printed when the cell started.
        for message in dict.fromkeys(run.warnings[shown:]):
            if message not in run.warnings[:shown]:
                print(f"nbtrack: {message}", file=sys.stderr)
        for name in missing:
            print(
                f"nbtrack: -p {name}: no variable named {name!r} after the cell ran",
                file=sys.stderr,
            )
        summary = _stored_summary(run)
        _close_view(view, status, summary)
        end = run.end_time if run.end_time is not None else time.time()
        print(summary_line(run.name, status, end - run.start_time, summary))

    @line_magic
    def nbtrack(self, line: str) -> Any:
        """%nbtrack runs [N] | show REF | diff A B | verify REF | status | notebook [PATH] | pair"""
        from . import format as fmt
        from . import query, tracking

        words = shlex.split(line)
        command, rest = (words[0], words[1:]) if words else ("status", [])
        try:
            if command == "runs":
                limit = int(rest[0]) if rest else None
                return query.runs(limit=limit)
            if command == "show" and len(rest) == 1:
                from .verify.show import verdict_text

                run = query.get_run(rest[0])
                print(fmt.run_details(run) + verdict_text(run))
                return None
            if command == "diff" and len(rest) == 2:
                from .rundiff import diff

                return diff(rest[0], rest[1])
            if command == "verify" and len(rest) == 1:
                from .verify.api import check

                print(check(rest[0]))
                return None
            if command == "pair" and not rest:
                self._pair()
                return None
            if command == "notebook":
                if rest:
                    path = context.set_notebook(rest[0])
                    print(f"nbtrack: this kernel's notebook is {path}")
                else:
                    print(f"nbtrack: notebook {context.current_notebook() or '(unknown)'}")
                return None
            if command == "status":
                active = tracking.active_run()
                project = context.current_project()
                from .store.urls import mask_url

                print(f"nbtrack: store {mask_url(project.store_url)}")
                print(f"nbtrack: notebook {context.current_notebook() or '(unknown)'}")
                print(f"nbtrack: active run {active.name if active else '(none)'}")
                return None
        except NbtrackError as exc:
            print(f"nbtrack: {exc}", file=sys.stderr)
            return None
        print(
            "usage: %nbtrack runs [N] | show REF | diff A B | verify REF | status | "
            "notebook [PATH] | pair",
            file=sys.stderr,
        )
        return None

    def _pair(self) -> None:
        from .pairing import pair_notebook

        notebook = context.current_notebook()
        if notebook is None:
            raise NbtrackError(
                "this kernel does not know its notebook: name it first with "
                "`%nbtrack notebook PATH`, then `%nbtrack pair`"
            )
        script = pair_notebook(notebook)
        print(
            f"nbtrack: paired {notebook.name} with {script.name} (jupytext ipynb,py:percent). "
            "Reload the notebook from disk (File > Reload Notebook from Disk) so the editor "
            "keeps the pairing; from then on every save updates the script."
        )


def _open_view(run: tracking.ActiveRun, no_plot: bool) -> Any:
    """The live chart under the cell (nbtrack.widgets), or None when it is off.
    A chart that cannot be shown never fails the run: it says why and steps aside."""
    if no_plot or run.project.settings.get("plot", True) is False:
        return None
    try:
        from .widgets.live import open_live_view

        return open_live_view(run)
    except Exception as exc:  # a broken widget stack must not cost the user their run
        print(f"nbtrack: live chart unavailable ({exc}); tracking continues", file=sys.stderr)
        return None


def _close_view(view: Any, status: str, summary: dict[str, dict[str, Any]]) -> None:
    if view is None:
        return
    try:
        view.close(status, summary)
    except Exception as exc:
        print(f"nbtrack: could not finish the live chart ({exc})", file=sys.stderr)


def _stored_summary(run: tracking.ActiveRun) -> dict[str, dict[str, Any]]:
    """The run's summaries as the writer kept them at its end (they hold every
    point, the journaled ones too, and need no store, which may be away)."""
    if run.summaries:
        return run.summaries
    try:
        return run.writer.store.summaries([run.id]).get(run.id, {})
    except StoreError:
        return {}
