"""Strict JSON, the one encoding of everything that leaves nbtrack as JSON: the REST
API, `--format json` on the command line, diffs. Pure; imports no numpy.

JSON has no NaN or infinity; nbtrack writes them as the strings "NaN", "Infinity"
and "-Infinity" (the convention `server/openapi.yaml` documents and the Runs panel
reads back into numbers). Numpy scalars and arrays become numbers and lists,
datetimes ISO 8601 strings, enums their values, bytes UTF-8 text.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import math
from pathlib import PurePath
from typing import Any

NAN, INFINITY, MINUS_INFINITY = "NaN", "Infinity", "-Infinity"


def finite(value: float) -> float | str:
    """A float as strict JSON allows it."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return NAN
    return INFINITY if value > 0 else MINUS_INFINITY


def finite_list(values: list[float]) -> list[float] | list[float | str]:
    """A list of floats as strict JSON; the list itself when all are finite (fast path)."""
    if all(map(math.isfinite, values)):
        return values
    return [finite(v) for v in values]


def strict(value: Any) -> Any:
    """`value` as plain JSON values: dicts (keys as text), lists, text, finite numbers,
    booleans and None, with non-finite floats as strings."""
    if value is None or isinstance(value, (str, bool, int)):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, dict):
        return {_key(k): strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return strict(_plain(value))


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key.value if isinstance(key, enum.Enum) else key
    return str(strict(key))


def _plain(value: Any) -> Any:
    """A value JSON has no type for, as one it has."""
    if type(value).__module__ == "numpy":
        # numpy scalars (float32, int64, bool_) and arrays, without importing numpy
        return value.tolist() if hasattr(value, "tolist") else value.item()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, PurePath):
        return str(value)
    return str(value)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Strict JSON text of `value` (compact, or indented by `indent`). Values that are
    already plain and finite (the hot paths build them so) are encoded directly;
    anything else is made strict first."""
    try:
        return _encode(value, indent)
    except (ValueError, TypeError):
        return _encode(strict(value), indent)


def _encode(value: Any, indent: int | None) -> str:
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=indent, separators=separators
    )
