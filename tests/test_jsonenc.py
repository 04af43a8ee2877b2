"""The one strict-JSON encoder: what every JSON answer of nbtrack is made of. Pure."""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
from pathlib import Path

import numpy as np

from nbtrack import jsonenc


def test_non_finite_floats_become_strings_everywhere() -> None:
    value = {"a": [math.nan, math.inf, -math.inf, 1.5, (2.0, math.nan)], "b": {"c": math.inf}}
    assert json.loads(jsonenc.dumps(value)) == {
        "a": ["NaN", "Infinity", "-Infinity", 1.5, [2.0, "NaN"]],
        "b": {"c": "Infinity"},
    }


def test_the_text_is_strict_json_that_other_parsers_accept() -> None:
    text = jsonenc.dumps({"x": [math.nan, np.float32("inf")]}, indent=2)
    assert 'NaN"' in text and 'Infinity"' in text
    # Python's own parser refuses the bare NaN/Infinity tokens of non-strict JSON.
    json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))


def test_finite_list_is_unchanged_when_all_finite() -> None:
    values = [1.0, 2.0]
    assert jsonenc.finite_list(values) is values
    assert jsonenc.finite_list([1.0, math.nan, -math.inf]) == [1.0, "NaN", "-Infinity"]


def test_numpy_scalars_and_arrays_become_numbers_and_lists() -> None:
    value = {
        "f": np.float64(0.5),
        "f32": np.float32(0.25),
        "nan": np.float64("nan"),
        "i": np.int64(7),
        "b": np.bool_(True),
        "a": np.array([[1, 2], [3, 4]]),
        "fa": np.array([1.0, np.nan]),
    }
    assert json.loads(jsonenc.dumps(value)) == {
        "f": 0.5,
        "f32": 0.25,
        "nan": "NaN",
        "i": 7,
        "b": True,
        "a": [[1, 2], [3, 4]],
        "fa": [1.0, "NaN"],
    }
    assert type(jsonenc.strict(np.int64(7))) is int


def test_datetimes_enums_paths_bytes_and_keys() -> None:
    class Color(str, enum.Enum):
        RED = "red"

    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    value = {
        "when": when,
        "day": dt.date(2024, 5, 6),
        "color": Color.RED,
        "path": Path("a/b.ipynb"),
        "raw": b"caf\xc3\xa9",
        "set": {"b", "a"},
        1: "one",
        Color.RED: "by enum",
    }
    assert json.loads(jsonenc.dumps(value)) == {
        "when": "2024-05-06T07:08:09+00:00",
        "day": "2024-05-06",
        "color": "red",
        "path": "a/b.ipynb",
        "raw": "café",
        "set": ["a", "b"],
        "1": "one",
        "red": "by enum",
    }


def test_plain_values_take_the_fast_path_unchanged() -> None:
    value = {"name": "ünïcode", "n": [1, 2.5, None, True]}
    assert jsonenc.dumps(value) == '{"name":"ünïcode","n":[1,2.5,null,true]}'
    assert jsonenc.strict(value) == value
