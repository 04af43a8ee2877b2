"""Text renditions shown where no widget or picture can be."""

from __future__ import annotations

import math

from nbtrack.widgets.text import compare_table, final_values, live_summary

SUMMARY = {
    "loss": {"last": 0.002, "last_step": 499, "min": 0.002, "max": 1.0, "count": 500},
    "acc": {"last": 0.998, "last_step": 499, "min": 0.0, "max": 0.998, "count": 500},
    "bad": {"last": math.nan, "last_step": 3, "min": 1.0, "max": 2.0, "count": 4},
}


def test_live_summary_holds_status_duration_and_final_values() -> None:
    text = live_summary("baseline", "finished", 1.23, SUMMARY)
    lines = text.splitlines()
    assert lines[0] == "nbtrack: baseline · finished · 1.2s"
    assert lines[1].split() == ["metric", "last", "step", "min", "max", "points"]
    assert lines[2].split() == ["loss", "0.002", "499", "0.002", "1", "500"]
    assert lines[4].split() == ["bad", "nan", "3", "1", "2", "4"]


def test_live_summary_without_metrics() -> None:
    assert (
        live_summary("r#1", "failed", 0.04, {})
        == "nbtrack: r#1 · failed · 0.0s · no metrics logged"
    )


def test_final_values_line() -> None:
    assert final_values(SUMMARY, limit=2) == (
        "loss=0.002 (min 0.002, max 1) · acc=0.998 (min 0, max 0.998) · +1 more"
    )


def test_compare_table_stars_the_params_that_differ() -> None:
    runs = [
        {
            "name": "a",
            "status": "finished",
            "params": {"lr": 0.1},
            "metrics": {"loss": {"last": 1}},
        },
        {"name": "b", "status": "running", "params": {"lr": 0.01}, "metrics": {}},
    ]
    lines = compare_table(runs, ["lr"], ["loss"]).splitlines()
    assert lines[0].split() == ["run", "status", "*lr", "loss"]
    assert lines[1].split() == ["a", "finished", "0.1", "1"]
    assert lines[2].split() == ["b", "running", "0.01"]
    assert lines[-1] == "(* params that differ between the runs)"
