"""Plain-text renderings of runs: durations, values, tables, run details, summaries."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack.format import (
    format_duration,
    format_table,
    format_time,
    format_value,
    run_details,
    runs_table,
    summary_line,
)
from nbtrack.query import Run


@pytest.fixture
def utc() -> Iterator[None]:
    """Local time is UTC for this test, so rendered times are predictable."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


def epoch(*args: int) -> float:
    return dt.datetime(*args, tzinfo=dt.timezone.utc).timestamp()


# -- format_duration ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0.0s"),
        (0.04, "0.0s"),
        (0.1, "0.1s"),
        (9.94, "9.9s"),
        (9.96, "10s"),
        (12.34, "12s"),
        (59.4, "59s"),
        (60, "1m 00s"),
        (61.4, "1m 01s"),
        (184, "3m 04s"),
        (3599, "59m 59s"),
        (3600, "1h 00m"),
        (3720, "1h 02m"),
        (3600 * 25 + 7 * 60, "25h 07m"),
        (-2, "0.0s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_duration_just_under_a_minute_rounds_to_a_minute() -> None:
    assert format_duration(59.6) == "1m 00s"
    assert format_duration(3599.6) == "1h 00m"


def test_format_duration_unknown_is_blank() -> None:
    assert format_duration(None) == ""
    assert format_duration(float("nan")) == ""


# -- format_value -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "True"),
        (False, "False"),
        (3, "3"),
        (0.05, "0.05"),
        (0.123456, "0.1235"),
        (1234567.0, "1.235e+06"),
        (float("nan"), "nan"),
        ("adam", "adam"),
        ([1, 2], "[1, 2]"),
        ({"a": "é"}, '{"a": "é"}'),
    ],
)
def test_format_value(value: Any, text: str) -> None:
    assert format_value(value) == text


# -- format_time --------------------------------------------------------------------------


def test_format_time_is_local_minutes(utc: None) -> None:
    assert format_time(epoch(2024, 3, 5, 14, 7, 59)) == "2024-03-05 14:07"
    assert format_time(None) == ""


# -- format_table -------------------------------------------------------------------------


def test_format_table_aligns_columns() -> None:
    text = format_table(["name", "lr"], [["a", "0.1"], ["longer", "0.01"]])
    assert text.splitlines() == [
        "name    lr",
        "a       0.1",
        "longer  0.01",
    ]


def test_format_table_clips_long_cells_and_flattens_newlines() -> None:
    text = format_table(["note"], [["x" * 40], ["two\nlines"]])
    lines = text.splitlines()
    assert lines[1] == "x" * 15 + "…"
    assert lines[2] == "two lines"
    assert all(len(line) <= 16 for line in lines)


def test_format_table_hides_columns_that_do_not_fit_and_names_them() -> None:
    header = ["name", "a", "b", "c", "d", "e", "f"]
    rows = [["n" * 10, "1" * 10, "2" * 10, "3" * 10, "4" * 10, "5" * 10, "6" * 10]]
    text = format_table(header, rows, width=34)
    lines = text.splitlines()
    # Three columns of 10 and two gaps of 2 = 34.
    assert lines[0].split() == ["name", "a", "b"]
    assert all(len(line) <= 34 for line in lines[:2])
    assert lines[-1] == "(+4 more columns: c, d, e, f; see --format csv or json)"


def test_format_table_footer_elides_past_four_hidden_columns() -> None:
    header = ["name", *"abcdef"]
    rows = [["n" * 20, *(["v" * 10] * 6)]]
    footer = format_table(header, rows, width=20).splitlines()[-1]
    assert footer == "(+6 more columns: a, b, c, d, …; see --format csv or json)"


def test_format_table_always_shows_the_first_column() -> None:
    text = format_table(["name", "x"], [["n" * 16, "1"]], width=5)
    assert text.splitlines()[1] == "n" * 16
    assert "(+1 more columns: x" in text


def test_format_table_without_rows_is_the_header() -> None:
    assert format_table(["name", "status"], []) == "name  status"


# -- runs_table ---------------------------------------------------------------------------


def test_runs_table_of_no_runs_says_how_to_make_one(project: Path) -> None:
    text = runs_table(nbtrack.runs())
    assert text.startswith("no runs yet")
    assert "%%track" in text


def test_runs_table_from_real_runs(project: Path, utc: None) -> None:
    notebook = project / "train.ipynb"
    with nbtrack.start_run(
        name="base", params={"lr": 0.1, "epochs": 3, "opt": "adam"}, notebook=notebook
    ):
        nbtrack.log(loss=0.5)
        nbtrack.log(loss=0.25)
    with nbtrack.start_run(params={"lr": 0.2}, notebook=notebook):
        nbtrack.log(acc=0.9)
    with pytest.raises(RuntimeError), nbtrack.start_run(name="broken", notebook=notebook):
        raise RuntimeError("boom")

    df = nbtrack.runs()
    text = runs_table(df, width=200)
    lines = text.splitlines()

    # Fixed columns (the ref tells apart runs of one name), then metrics (what
    # readers compare), then params.
    assert lines[0].split() == [
        "name",
        "ref",
        "status",
        "start",
        "duration",
        "acc",
        "loss",
        "epochs",
        "lr",
        "opt",
    ]
    # Newest first.
    assert [line.split()[:2] for line in lines[1:]] == [
        ["broken", "train#3"],
        ["train#2", "train#2"],
        ["base", "train#1"],
    ]
    assert lines[1].split()[2] == "failed"
    assert lines[3].split()[2] == "finished"

    today = format_time(df["start"].iloc[0].timestamp())
    assert today in lines[3]

    # Missing params and metrics are blanks, never 'nan' or '<NA>'.
    assert "nan" not in text.lower()
    assert "<NA>" not in text
    columns = {h: lines[0].index(h) for h in ("acc", "loss", "epochs", "lr", "opt")}
    base, second = lines[3], lines[2]
    assert base[columns["loss"] :].split()[0] == "0.25"  # the last value
    assert base[columns["epochs"] :].split()[:3] == ["3", "0.1", "adam"]
    assert second[columns["acc"] :].split()[0] == "0.9"
    assert second[columns["loss"] : columns["lr"]].strip() == ""
    assert second[columns["lr"] :].split() == ["0.2"]


def test_runs_table_hides_columns_past_the_width(project: Path) -> None:
    params = {f"p{i}": i for i in range(10)}
    with nbtrack.start_run(name="wide", params=params, notebook=project / "nb.ipynb"):
        pass
    text = runs_table(nbtrack.runs(), width=60)
    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines[:-1])
    assert lines[-1].startswith("(+")
    assert "more columns" in lines[-1]


def test_runs_table_from_a_hand_built_frame(utc: None) -> None:
    import pandas as pd

    start = pd.Timestamp(epoch(2024, 1, 2, 3, 4), unit="s", tz="UTC")
    df = pd.DataFrame.from_records(
        [
            {
                "id": "01b",
                "name": "slow",
                "status": "running",
                "start": start,
                "duration": 7325.0,
                "params.cfg.opt": "sgd",
                "metrics.loss": float("nan"),
            },
            {
                "id": "01a",
                "name": "fast",
                "status": "finished",
                "start": start,
                "duration": 1.25,
                "params.cfg.opt": None,
                "metrics.loss": 0.5,
            },
        ]
    )
    assert runs_table(df).splitlines() == [
        "name  status    start             duration  loss  cfg.opt",
        "slow  running   2024-01-02 03:04  2h 02m          sgd",
        "fast  finished  2024-01-02 03:04  1.2s      0.5",
    ]


# -- run_details --------------------------------------------------------------------------


def make_run(**overrides: Any) -> Run:
    fields: dict[str, Any] = dict(
        id="01jabcdef0123456789",
        name="baseline",
        status="finished",
        experiment="default",
        notebook="nbs/train.ipynb",
        seq=3,
        stem="train",
        start=epoch(2024, 5, 6, 7, 8),
        end=epoch(2024, 5, 6, 7, 10, 5),
        params={},
        metrics={},
        tags=[],
        notes=None,
        error=None,
        cell_source=None,
        git=None,
        snapshot=None,
    )
    fields.update(overrides)
    return Run(**fields)


def test_run_details_minimal(utc: None) -> None:
    assert run_details(make_run()).splitlines() == [
        "baseline  (train#3, id 01jabcdef0123456789)",
        "  status      finished",
        "  experiment  default",
        "  notebook    nbs/train.ipynb",
        "  started     2024-05-06 07:08   duration 2m 05s",
    ]


def test_run_details_unknown_notebook() -> None:
    assert "  notebook    (unknown)" in run_details(make_run(notebook=None)).splitlines()


def test_run_details_everything(utc: None) -> None:
    run = make_run(
        tags=["good", "v2"],
        notes="first try",
        git={"branch": "main", "commit": "0123456789abcdef", "dirty": True},
        snapshot="fedcba9876543210",
        params={"opt": "adam", "lr": 0.001, "layers": [64, 32]},
        metrics={
            "loss": {"last": 0.25, "min": 0.125, "max": 1.5, "count": 40},
            "a_really_long_metric_name": {"last": 1, "min": 0, "max": 2, "count": 3},
        },
        error="Traceback (most recent call last):\n"
        + "".join(f"  line {i}\n" for i in range(20))
        + "ValueError: bad\n",
    )
    lines = run_details(run).splitlines()
    assert "  tags        good, v2" in lines
    assert "  notes       first try" in lines
    assert "  git         main 0123456789 (uncommitted changes)" in lines
    assert "  snapshot    fedcba9876" in lines
    # Params sorted by key.
    start = lines.index("params")
    assert lines[start + 1 : start + 4] == [
        "  layers = [64, 32]",
        "  lr = 0.001",
        "  opt = adam",
    ]
    header = lines.index("metrics                last        min        max   count")
    assert lines[header + 1].split() == ["a_really_long_met…", "1", "0", "2", "3"]
    assert lines[header + 2].split() == ["loss", "0.25", "0.125", "1.5", "40"]
    # The error keeps its last 12 lines, indented.
    error = lines[lines.index("error") + 1 :]
    assert len(error) == 12
    assert error[-1] == "  ValueError: bad"
    assert all(line.startswith("  ") for line in error)


def test_run_details_clean_detached_checkout() -> None:
    run = make_run(git={"branch": None, "commit": "abcdef1234567", "dirty": False})
    assert "  git         (detached) abcdef1234" in run_details(run).splitlines()


def test_run_details_of_a_real_run(project: Path) -> None:
    with nbtrack.start_run(
        name="real", params={"lr": 0.5}, tags=["t"], notebook=project / "exp.ipynb"
    ):
        nbtrack.log(loss=2.0)
        nbtrack.log(loss=1.0)
    text = run_details(nbtrack.get_run("real"))
    lines = text.splitlines()
    assert lines[0].startswith("real  (exp#1, id ")
    assert "  status      finished" in lines
    assert "  tags        t" in lines
    assert "  lr = 0.5" in lines
    assert lines[-1].split() == ["loss", "1", "1", "2", "2"]


# -- summary_line ---------------------------------------------------------------------------


def test_summary_line_without_metrics() -> None:
    assert summary_line("train#1", "finished", 3.21, {}) == "nbtrack: train#1 finished in 3.2s"


def test_summary_line_with_metrics() -> None:
    metrics = {"loss": {"last": 0.123456}, "acc": {"last": 0.9}}
    assert (
        summary_line("base", "failed", 75, metrics)
        == "nbtrack: base failed in 1m 15s · loss=0.1235 acc=0.9"
    )


def test_summary_line_shows_six_metrics_and_counts_the_rest() -> None:
    metrics = {f"m{i}": {"last": i} for i in range(9)}
    line = summary_line("r", "finished", 1, metrics)
    assert line.endswith("· m0=0 m1=1 m2=2 m3=3 m4=4 m5=5 (+3 more)")
    assert "m6" not in line


def test_runs_table_keeps_a_param_and_a_metric_of_one_name_apart(project: Path) -> None:
    with nbtrack.start_run(params={"loss": "huber", "lr": 0.1}):
        nbtrack.log(loss=0.5)
    header = runs_table(nbtrack.runs(), width=200).splitlines()[0].split()
    assert header[5:] == ["metrics.loss", "params.loss", "lr"]


def test_headings_of_forty_thousand_columns_are_distinct_and_short() -> None:
    """A store with tens of thousands of keys: headings stay correct (and the
    computation linear: the old list.count loop took 20 s here)."""
    from nbtrack.format import _headings

    n = 20_000
    columns = [f"metrics.m{i}" for i in range(n)] + [f"params.p{i}" for i in range(n - 1)]
    columns.append("params.m7")  # one clash: a param named like a metric
    headings = _headings(columns)
    assert len(headings) == 2 * n and len(set(headings)) == 2 * n
    assert headings[7] == "metrics.m7" and headings[-1] == "params.m7"
    assert headings[8] == "m8" and headings[n] == "p0"
