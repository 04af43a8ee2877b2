"""`nbtrack sweep NOTEBOOK -p lr 0.1 0.01 -p layers 1 2 [--parallel N]` (a grid),
`nbtrack sweep NOTEBOOK -p lr loguniform:1e-4:1e-1 --method tpe --metric val_acc
--trials 40` (a search), `nbtrack sweep show ID`, `nbtrack sweeps`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parsers(sub: Any) -> None:
    sweep = sub.add_parser(
        "sweep",
        help="run a notebook per parameter combination, or search (Optuna) for the best; "
        "`sweep show ID` shows one",
        description="Run NOTEBOOK once per combination of the -p values through papermill, "
        "or with --metric search the space with Optuna (--method random, tpe, cmaes, grid). "
        "The notebook needs a cell tagged 'parameters'; each execution's tracked cells "
        "become runs grouped under one sweep id (nbtrack runs --sweep ID). A failing "
        "trial is recorded as failed and the others still run. Exits 1 if any "
        "trial failed. `nbtrack sweep show ID` shows a sweep's trials.",
    )
    sweep.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb to run (or: show)")
    sweep.add_argument("show_id", nargs="?", metavar="ID", help=argparse.SUPPRESS)
    sweep.add_argument(
        "-p",
        "--param",
        nargs="+",
        action="append",
        metavar=("NAME", "VALUE"),
        help="a parameter and its values, e.g. -p lr 0.1 0.01 (repeat for more; "
        "values parse as Python literals: 3, 0.1, true, None, '[64, 32]', else text); "
        "or a range to search: -p lr loguniform:1e-4:1e-1, uniform:0:0.5, int:1:8",
    )
    sweep.add_argument(
        "--method",
        choices=["grid", "random", "tpe", "cmaes"],
        help="search with Optuna's sampler (needs --metric; default tpe)",
    )
    sweep.add_argument("--metric", help="the logged metric to optimize (its last value)")
    sweep.add_argument("--goal", choices=["max", "min"], default="max")
    sweep.add_argument("--trials", type=int, metavar="N", help="how many trials in all")
    sweep.add_argument(
        "--prune",
        choices=["median", "hyperband"],
        help="stop unpromising trials as they log the metric",
    )
    sweep.add_argument(
        "--executor", choices=["local", "dask"], default="local", help="where trials run"
    )
    sweep.add_argument("--scheduler", metavar="ADDR", help="a Dask scheduler, tcp://host:8786")
    sweep.add_argument("--seed", type=int, help="the sampler's seed")
    sweep.add_argument(
        "--parallel", type=int, default=1, metavar="N", help="run N combinations at a time"
    )
    sweep.add_argument("-k", "--kernel", help="kernel name (default: the notebook's)")
    sweep.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="fail a cell that runs longer than this"
    )
    sweep.add_argument(
        "--output-dir",
        metavar="DIR",
        help="where the executed notebooks go (default: .nbtrack/sweeps/<sweep id>/)",
    )
    sweep.add_argument(
        "--id",
        dest="sweep_id",
        help="the sweep's id (default: a new one; an existing one continues)",
    )
    sub.add_parser("sweeps", help="list sweeps: method, trials done/pruned/failed, best value")


def grid_from_args(pairs: list[list[str]]) -> dict[str, list[Any]]:
    """{name: values} from `-p NAME V1 V2 ...` groups."""
    from .sweeps.grid import SweepError, parse_value

    grid: dict[str, list[Any]] = {}
    for pair in pairs:
        name, values = pair[0], pair[1:]
        if not values:
            raise SweepError(f"-p {name} needs at least one value, e.g. -p {name} 0.1 0.01")
        if name in grid:
            raise SweepError(f"-p {name} is given twice: list all its values after one -p")
        grid[name] = [parse_value(v) for v in values]
    return grid


def run_sweep(args: argparse.Namespace) -> int:
    from .sweeps.grid import SweepError

    if args.notebook == "show" and args.show_id:
        from .query import current_project
        from .sweeps.listing import show

        print(show(current_project(args.store).store_url, args.show_id))
        return 0
    if args.show_id:
        raise SweepError(f"unexpected argument {args.show_id!r}: nbtrack sweep NOTEBOOK -p ...")
    if not args.param:
        raise SweepError("say what to sweep: -p NAME VALUE... (e.g. -p lr 0.1 0.01)")
    if args.metric or args.method not in (None, "grid") or args.executor != "local":
        return _run_search(args)
    from .sweeps import Sweep, Trial, sweep

    grid = grid_from_args(args.param)
    done = 0

    def start(s: Sweep) -> None:
        n = len(s.trials)
        print(
            f"sweep {s.id}: {n} combination{'s' if n != 1 else ''} of {', '.join(grid)} "
            f"over {s.notebook.name}, {min(args.parallel, n)} at a time",
            flush=True,
        )

    def report(trial: Trial, s: Sweep) -> None:
        nonlocal done
        done += 1
        print(f"[{done}/{len(s.trials)}] {trial.line()}", flush=True)

    result = sweep(
        args.notebook,
        grid,
        parallel=args.parallel,
        kernel_name=args.kernel,
        timeout=args.timeout,
        output_dir=args.output_dir,
        sweep_id=args.sweep_id,
        store=args.store,
        on_start=start,
        on_trial=report,
    )
    failed = len(result.failed)
    print(
        f"sweep {result.id}: {len(result.trials) - failed} finished, {failed} failed; "
        f"executed notebooks in {result.output_dir}\n"
        f"see them with: nbtrack runs --sweep {result.id}"
    )
    if failed:
        print(
            f"nbtrack: {failed} of {len(result.trials)} combinations failed (their runs say why: "
            "nbtrack show REF)",
            file=sys.stderr,
        )
        return 1
    return 0


def space_from_args(pairs: list[list[str]]) -> dict[str, object]:
    """{name: Distribution or choices} from `-p NAME SPEC...` groups."""
    from .sweeps.grid import SweepError
    from .sweeps.space import parse_spec

    space: dict[str, object] = {}
    for pair in pairs:
        name, words = pair[0], pair[1:]
        if not words:
            raise SweepError(f"-p {name} needs values or a range, e.g. -p {name} 0.1 0.01")
        if name in space:
            raise SweepError(f"-p {name} is given twice: list all its values after one -p")
        space[name] = parse_spec(name, words)
    return space


def _run_search(args: argparse.Namespace) -> int:
    from .sweeps import HyperbandPruner, MedianPruner, SearchSweep, SearchTrial, sweep

    space = space_from_args(args.param)
    prune = (
        {"median": MedianPruner, "hyperband": HyperbandPruner}[args.prune]() if args.prune else None
    )
    done = 0

    def start(s: SearchSweep) -> None:
        print(
            f"sweep {s.id}: {s.method} search of {s.goal} {s.metric} over {', '.join(space)}, "
            f"{args.parallel} at a time ({args.executor})",
            flush=True,
        )

    def report(trial: SearchTrial, s: SearchSweep) -> None:
        nonlocal done
        done += 1
        print(f"[{done}] {trial.line()}", flush=True)

    result = sweep(
        args.notebook,
        space,
        method=args.method or "tpe",
        metric=args.metric,
        goal=args.goal,
        trials=args.trials,
        parallel=args.parallel,
        prune=prune,
        sweep_id=args.sweep_id,
        executor=args.executor,
        scheduler=args.scheduler,
        store=args.store,
        kernel_name=args.kernel,
        timeout=args.timeout,
        output_dir=args.output_dir,
        seed=args.seed,
        on_start=start,
        on_trial=report,
    )
    assert isinstance(result, SearchSweep)
    for problem in result.problems:
        print(f"nbtrack: {problem}", file=sys.stderr)
    try:
        best = result.best()
        print(
            f"best: {result.metric} = {best.metrics[result.metric]['last']:g} ({best.ref}) "
            f"with {', '.join(f'{k}={v}' for k, v in best.params.items() if k in space)}"
        )
    except Exception as exc:  # noqa: BLE001 - no finished trial: said below
        print(f"nbtrack: {exc}", file=sys.stderr)
    print(f"continue it with --id {result.id}; see it with: nbtrack sweep show {result.id}")
    return 1 if result.failed else 0


def run_sweeps(args: argparse.Namespace) -> int:
    import datetime

    from .query import current_project
    from .sweeps.listing import sweeps

    rows = sweeps(current_project(args.store).store_url)
    if not rows:
        print("no sweeps yet: nbtrack sweep NOTEBOOK -p NAME VALUES... starts one")
        return 0
    print(
        f"{'sweep':<14}{'method':<8}{'trials':>7}{'done':>6}{'pruned':>8}{'failed':>8}  "
        f"{'best':<22}{'started':<18}target"
    )
    for r in rows:
        best = f"{r['metric']}={r['best']:g} {r['best_run']}" if r["best"] is not None else "-"
        when = datetime.datetime.fromtimestamp(r["started"]).strftime("%Y-%m-%d %H:%M")
        print(
            f"{r['sweep']:<14}{r['method']:<8}{r['trials']:>7}{r['finished']:>6}"
            f"{r['pruned']:>8}{r['failed']:>8}  {best:<22}{when:<18}{r['target']}"
        )
    return 0


COMMANDS = {"sweep": run_sweep, "sweeps": run_sweeps}
