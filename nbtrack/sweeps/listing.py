"""What the store knows of its sweeps: one row per sweep (grid or search) for
`nbtrack sweeps`, and one sweep's trials for `nbtrack sweep show ID`. Reads
only: the studies' journal (study.py), and Optuna's RDB tables of earlier
versions when they exist, never created."""

from __future__ import annotations

from typing import Any

from .grid import SweepError, describe


def _studies(store_url: str) -> dict[str, Any]:
    """{sweep id: FrozenStudy} of the search sweeps in the store, if any."""
    from .study import all_studies

    return all_studies(store_url)


def _trial_rows(store_url: str, sweep_id: str | None = None) -> list[dict[str, Any]]:
    from ..query import reap_crashed, store_for

    st = store_for(store_url)
    reap_crashed(st)
    rows = st.select_runs(
        sweep=sweep_id,
        columns=["id", "stem", "seq", "status", "sweep", "trial", "start_time", "params"],
    )
    return [r for r in rows if r["sweep"] is not None]


def sweeps(store_url: str) -> list[dict[str, Any]]:
    """Every sweep, newest first: id, method, target, metric, goal, trials,
    finished/pruned/failed counts, best value and its run."""
    from ..query import store_for

    studies = _studies(store_url)
    by_sweep: dict[str, list[dict[str, Any]]] = {}
    for row in _trial_rows(store_url):
        by_sweep.setdefault(row["sweep"], []).append(row)
    summaries = store_for(store_url).summaries(
        [r["id"] for rows in by_sweep.values() for r in rows]
    )
    out = []
    for sweep_id, rows in by_sweep.items():
        study = studies.get(sweep_id)
        attrs = (study.user_attrs.get("nbtrack") if study else None) or {}
        metric, goal = attrs.get("metric"), attrs.get("goal", "max")
        best, best_run = None, None
        for r in rows:
            value = summaries.get(r["id"], {}).get(metric or "", {}).get("last")
            if r["status"] != "finished" or value is None or value != value:
                continue
            if best is None or (value > best if goal == "max" else value < best):
                best, best_run = value, f"{r['stem']}#{r['seq']}"
        status = [r["status"] for r in rows]
        out.append(
            {
                "sweep": sweep_id,
                "method": attrs.get("method", "grid"),
                "target": attrs.get("target") or (rows[0]["stem"] + ".ipynb"),
                "metric": metric,
                "goal": goal if metric else None,
                "trials": len({r["trial"] for r in rows}),
                "finished": status.count("finished"),
                "pruned": status.count("pruned"),
                "failed": sum(s in ("failed", "crashed", "interrupted") for s in status),
                "running": status.count("running"),
                "best": best,
                "best_run": best_run,
                "started": min(r["start_time"] for r in rows),
            }
        )
    out.sort(key=lambda r: r["started"], reverse=True)
    return out


def show(store_url: str, sweep_id: str) -> str:
    """One sweep as text: what it searches, then each trial's run, status and value."""
    from ..query import store_for

    rows = _trial_rows(store_url, sweep_id)
    if not rows:
        known = [r["sweep"] for r in sweeps(store_url)[:5]]
        hint = f"; the latest: {', '.join(known)}" if known else ""
        raise SweepError(f"no sweep {sweep_id!r} in this store{hint} (nbtrack sweeps lists them)")
    (summary,) = [s for s in sweeps(store_url) if s["sweep"] == sweep_id]
    metric = summary["metric"]
    values = store_for(store_url).summaries([r["id"] for r in rows])
    head = f"sweep {sweep_id}: {summary['method']} over {summary['target']}"
    if metric:
        head += f", {summary['goal']} {metric}"
    lines = [
        head,
        f"{summary['trials']} trials: {summary['finished']} finished, {summary['pruned']} "
        f"pruned, {summary['failed']} failed"
        + (f", {summary['running']} running" if summary["running"] else ""),
    ]
    if summary["best"] is not None:
        lines.append(f"best: {metric} = {summary['best']:g} ({summary['best_run']})")
    lines.append("")
    for r in sorted(rows, key=lambda r: (r["trial"] or 0, r["start_time"])):
        value = values.get(r["id"], {}).get(metric or "", {}).get("last")
        shown = f" {metric}={value:g}" if value is not None and value == value else ""
        params = describe(r["params"] or {})
        lines.append(
            f"  trial {r['trial']:>3}  {r['stem']}#{r['seq']:<5} {r['status']:<11}{shown}  {params}"
        )
    from ..capture.environment import public_text

    return public_text("\n".join(lines))


def detail(store_url: str, sweep_id: str) -> dict[str, Any]:
    """One sweep as data (the panel's Sweeps view): its summary row, each trial's
    run, number, state, params and the metric's last value, and the best-so-far
    series over finished trials in trial order."""
    from ..query import store_for

    # No sweep id holds a NUL byte, and PostgreSQL refuses one in a query.
    rows = [] if "\x00" in sweep_id else _trial_rows(store_url, sweep_id)
    if not rows:
        known = [r["sweep"] for r in sweeps(store_url)[:5]]
        hint = f"; the latest: {', '.join(known)}" if known else ""
        raise SweepNotFound(
            f"no sweep {sweep_id!r} in this store{hint} (nbtrack sweeps lists them)"
        )
    (summary,) = [s for s in sweeps(store_url) if s["sweep"] == sweep_id]
    metric, goal = summary["metric"], summary["goal"]
    values = store_for(store_url).summaries([r["id"] for r in rows])
    trials, best_so_far, best = [], [], None
    for r in sorted(rows, key=lambda r: (r["trial"] or 0, r["start_time"])):
        value = values.get(r["id"], {}).get(metric or "", {}).get("last")
        if value is not None and value != value:
            value = None
        trials.append(
            {
                "run": f"{r['stem']}#{r['seq']}",
                "run_id": r["id"],
                "trial": r["trial"],
                "state": r["status"],
                "params": r["params"] or {},
                "value": value,
            }
        )
        if r["status"] == "finished" and value is not None:
            if best is None or (value > best if goal == "max" else value < best):
                best = value
            best_so_far.append({"trial": r["trial"], "value": value, "best": best})
    return {"summary": summary, "trials": trials, "best_so_far": best_so_far}


class SweepNotFound(SweepError, LookupError):
    """No sweep of that id in the store (the REST API answers 404)."""
