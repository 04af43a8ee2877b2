"""The server's pure parts: cursors, parameters, run records."""

from __future__ import annotations

import re

import pytest

from nbtrack.server import cursor, params, runfilter
from nbtrack.server.errors import ApiError

# -- cursors --------------------------------------------------------------------------


@pytest.mark.parametrize("last_id", [0, 1, 123456, cursor.MAX_ID])
def test_cursor_round_trip(last_id: int) -> None:
    assert cursor.decode(cursor.encode(last_id)) == last_id


@pytest.mark.parametrize(
    "text", ["", "12", "v1.", "v1.-1", "v1.01", "v2.5", "v1.5 ", "v1.99999999999999999999", "%00"]
)
def test_malformed_cursors_are_refused_with_what_to_do(text: str) -> None:
    with pytest.raises(cursor.CursorError, match="previous metrics response"):
        cursor.decode(text)


def test_cursor_beyond_bigint_is_refused() -> None:
    with pytest.raises(cursor.CursorError):
        cursor.decode(f"v1.{cursor.MAX_ID + 1}")


# -- parameters -----------------------------------------------------------------------


def test_runs_query_defaults() -> None:
    q = params.runs_query({})
    assert (q.limit, q.offset, q.sort, q.descending, q.q, q.status) == (
        1000,
        0,
        "start",
        True,
        "",
        None,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"limit": "10001"}, "limit must be an integer from 1 to 10000"),
        ({"limit": "0"}, "limit must be"),
        ({"limit": "ten"}, "limit must be"),
        ({"limit": "1" * 400}, "limit must be"),
        ({"offset": "-1"}, "offset must be"),
        ({"sort": "colour"}, "sort must be one of"),
        ({"sort": "params."}, "sort must be one of"),
        ({"order": "up"}, "order must be asc or desc"),
        ({"status": "running,done"}, "unknown: 'done'"),
    ],
)
def test_bad_runs_parameters_say_what_is_accepted(args: dict[str, str], message: str) -> None:
    with pytest.raises(ApiError, match=message) as info:
        params.runs_query(args)
    assert info.value.status == 400


def test_metrics_query_parses_keys_cursor_and_budget() -> None:
    q = params.metrics_query({"keys": "loss, acc,,loss", "after": "v1.42", "max_points": "10"})
    assert (q.keys, q.after, q.max_points) == (("loss", "acc"), 42, 10)
    assert params.metrics_query({}).max_points == 5000
    with pytest.raises(ApiError, match="max_points must be an integer from 4 to 100000"):
        params.metrics_query({"max_points": "100001"})
    with pytest.raises(ApiError, match="NUL"):
        params.metrics_query({"keys": "a\x00"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({"status": "finished"}, "unknown fields: 'status'"),
        ({"name": ""}, "name must be"),
        ({"name": 3}, "name must be"),
        ({"tags": "cnn"}, "tags must be"),
        ({"tags": ["ok", 1]}, "tags must be"),
        ({"tags": [" "]}, "tags must be"),
        ({"notes": 5}, "notes must be"),
        ({"name": "a\x00b"}, "without NUL"),
        ({"tags": ["\ud800"]}, "unpaired surrogates"),
    ],
)
def test_bad_patch_bodies_are_refused(body: object, message: str) -> None:
    with pytest.raises(ApiError, match=message):
        params.run_patch(body)


def test_patch_values_are_cleaned() -> None:
    assert params.run_patch({"name": " x ", "tags": ["b", "a", "b"], "notes": None}) == {
        "name": "x",
        "tags": ["a", "b"],
        "notes": None,
    }


# -- the runs list's filter language ---------------------------------------------------

PARAMS = ["lr", "opt.name", "Batch"]
METRICS = ["loss", "acc", "lr_final"]


def parse(text: str) -> list[runfilter.Term]:
    return runfilter.parse(text, PARAMS, METRICS)


def test_filter_terms_of_every_form() -> None:
    C, F, T = runfilter.Compare, runfilter.Field, runfilter.Text
    assert parse("  CNN  status:Failed tag:Best sweep:sw-1 ref:train# ") == [
        T("cnn"),
        F("status", "failed"),
        F("tag", "best"),
        F("sweep", "sw-1"),
        F("ref", "train#"),
    ]
    assert parse("lr<0.1 params.lr>=1e-3 metrics.loss<=0.5 batch=32 acc!=1 duration>60") == [
        C("param", "lr", "<", 0.1),
        C("param", "lr", ">=", 1e-3),
        C("metric", "loss", "<=", 0.5),
        C("param", "Batch", "=", 32.0),
        C("metric", "acc", "!=", 1.0),
        C("duration", "", ">", 60.0),
    ]
    assert parse("opt.name:ADAM params.lr:0.1") == [
        runfilter.ParamText("opt.name", "adam"),
        runfilter.ParamText("lr", "0.1"),
    ]
    assert parse("") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr<", "nothing after '<'"),
        ("lr<abc", "put a number after the operator"),
        ("lr<nan", "put a number"),
        ("foo:bar", "no field or param is called 'foo'"),
        ("status:done", "a status is one of running"),
        ("colour<3", "no run has a param or metric called 'colour'"),
        ("params.loss<3", "no run has a param called 'loss'"),
        ("metrics.lr<3", "no run has a metric called 'lr'"),
        ("x" * 600, "at most 500"),
        (" ".join(["a"] * 21), "at most 20"),
        ("a\x00b", "NUL"),
    ],
)
def test_filters_the_server_cannot_read_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(runfilter.FilterError, match=re.escape(message)) as caught:
        parse(text)
    assert caught.value.status == 400


def test_runs_cursor_round_trip_and_refusal() -> None:
    assert cursor.decode_time(cursor.encode_time(1796040820.4556)) == 1796040820.456
    for bad in ("", "v1.5", "t1.", "t1.-5", "t1.1e9", "t1." + "9" * 40):
        with pytest.raises(cursor.CursorError, match="changed_since"):
            cursor.decode_time(bad)
    assert params.runs_query({"changed_since": "t1.5"}).changed_since == 5.0
