"""The read model of a run: typed status, ref, one duration rule, its encodings. Pure."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from nbtrack import jsonenc
from nbtrack.refs import RunKey, ref
from nbtrack.runview import (
    RECORD_COLUMNS,
    RunStatus,
    RunView,
    UnknownStatusError,
    duration,
    flat_records,
)

T0 = 1_700_000_000.0


def row(**overrides: Any) -> dict[str, Any]:
    """A store row as `Store.select_runs` gives it (JSON fields decoded)."""
    base: dict[str, Any] = {
        "id": "01jabc",
        "name": "baseline",
        "stem": "train",
        "seq": 4,
        "status": "finished",
        "experiment": "train.ipynb",
        "notebook": "nbs/train.ipynb",
        "start_time": T0,
        "end_time": T0 + 12.5,
        "tags": ["cnn"],
        "notes": None,
        "params": {"lr": 0.1, "bad": math.nan},
        "snapshot": "abc123",
        "sweep": None,
        "trial": None,
    }
    return base | overrides


SUMMARIES = {
    "loss": {"last": 0.25, "last_step": 9, "min": 0.25, "max": 1.0, "count": 10},
    "gone": {"last": math.nan, "last_step": 3, "min": -math.inf, "max": math.inf, "count": 4},
}


def test_status_is_typed_and_reads_as_its_value() -> None:
    view = RunView.from_row(row(), SUMMARIES, T0 + 20)
    assert view.status is RunStatus.FINISHED and view.status == "finished"
    assert f"{view.status}" == str(view.status) == "finished"
    assert json.dumps({"s": view.status}) == '{"s": "finished"}'
    assert RunStatus.values() == (
        "running",
        "finished",
        "failed",
        "interrupted",
        "crashed",
        "pruned",
    )


def test_an_unknown_status_is_refused_saying_what_to_do() -> None:
    with pytest.raises(UnknownStatusError, match=r"unknown run status 'queued'.*upgrade nbtrack"):
        RunView.from_row(row(status="queued"), None, T0)
    with pytest.raises(UnknownStatusError):
        RunStatus.parse("Finished")  # statuses are lowercase, as stored


def test_ref_is_stem_and_sequence_number_everywhere() -> None:
    view = RunView.from_row(row(), None, T0)
    assert view.ref == ref("train", 4) == RunKey("01jabc", "baseline", "train", 4).ref == "train#4"


def test_duration_of_an_ended_run_is_start_to_end() -> None:
    view = RunView.from_row(row(), None, T0 + 1000)
    assert view.duration == 12.5


def test_duration_of_a_running_run_is_up_to_when_it_was_read() -> None:
    view = RunView.from_row(row(status="running", end_time=None), None, T0 + 7)
    assert view.duration == 7.0
    assert view.to_record()["duration"] == view.to_dict()["duration"] == 7.0


def test_duration_is_never_negative() -> None:
    # Another host's clock may be behind this one's.
    assert duration(T0, None, T0 - 3) == 0.0
    assert duration(T0, T0 + 2, T0) == 2.0


def test_to_json_is_strict_and_keeps_the_apis_fields() -> None:
    view = RunView.from_row(row(), SUMMARIES, T0)
    data = view.to_json()
    assert list(data) == [
        "id", "ref", "name", "status", "experiment", "notebook", "start", "end",
        "duration", "tags", "notes", "params", "metrics", "snapshot", "sweep", "trial", "verdict",
        "user", "host",
    ]  # fmt: skip
    assert data["params"] == {"lr": 0.1, "bad": "NaN"}
    assert data["metrics"]["gone"] == {
        "last": "NaN",
        "last_step": 3,
        "min": "-Infinity",
        "max": "Infinity",
        "count": 4,
    }
    assert data["start"] == T0 and data["status"] == "finished"
    json.loads(jsonenc.dumps(data))  # encodes without the fallback walk
    assert json.dumps(data, allow_nan=False)


def test_to_json_for_the_command_line() -> None:
    view = RunView.from_row(row(git={"branch": "main", "dirty": False}), SUMMARIES, T0)
    data = view.to_json(detail=True, iso_times=True, last_metrics=True)
    assert data["start"] == "2023-11-14T22:13:20+00:00" and data["end"].endswith("+00:00")
    assert data["metrics"] == {"loss": 0.25, "gone": "NaN"}
    assert data["git"] == {"branch": "main", "dirty": False}
    assert {"error", "cell_source", "git"} <= set(data)
    running = RunView.from_row(row(end_time=None, status="running"), None, T0)
    assert running.to_json(iso_times=True)["end"] is None


def test_to_dict_keeps_python_floats_for_the_widgets() -> None:
    data = RunView.from_row(row(), SUMMARIES, T0).to_dict()
    assert math.isnan(data["metrics"]["gone"]["last"]) and math.isnan(data["params"]["bad"])


def test_to_record_is_one_flat_row() -> None:
    record = RunView.from_row(row(), SUMMARIES, T0).to_record()
    assert list(record)[: len(RECORD_COLUMNS)] == list(RECORD_COLUMNS)
    assert record["status"] == "finished" and type(record["status"]) is str
    assert record["params.lr"] == 0.1 and record["metrics.loss"] == 0.25
    assert math.isnan(record["metrics.gone"])


def test_flat_records_name_every_column_sorted_by_key() -> None:
    a = RunView.from_row(row(params={"z": 1}), {"b": SUMMARIES["loss"]}, T0)
    b = RunView.from_row(row(id="01jabd", params={"a": 2}), {"a": SUMMARIES["loss"]}, T0)
    records, columns = flat_records([a, b])
    assert columns == [*RECORD_COLUMNS, "params.a", "params.z", "metrics.a", "metrics.b"]
    assert [r["id"] for r in records] == ["01jabc", "01jabd"]


def test_columns_a_listing_does_not_read_are_none() -> None:
    view = RunView.from_row(row(), None, T0)  # no error, cell_source, git, env_id columns
    assert (view.error, view.cell_source, view.git, view.env_id, view.metrics) == (
        None,
        None,
        None,
        None,
        {},
    )


def test_views_compare_by_content_not_by_when_they_were_read() -> None:
    a = RunView.from_row(row(), SUMMARIES, T0)
    assert a == RunView.from_row(row(), SUMMARIES, T0 + 5)
    assert a != RunView.from_row(row(notes="changed"), SUMMARIES, T0)
    assert len({a, RunView.from_row(row(), SUMMARIES, T0 + 5)}) == 1
