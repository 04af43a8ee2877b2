"""Strict JSON for the REST API: NaN and ±inf become the strings "NaN",
"Infinity" and "-Infinity", as in the CLI's `--format json`. Pure."""

from __future__ import annotations

import json
import math
from typing import Any

_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def finite(value: float) -> float | str:
    """A float as strict JSON allows it."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else _NON_FINITE[value]


def strict(value: Any) -> Any:
    """`value` (dicts, lists, tuples, scalars) with every non-finite float replaced."""
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return value


def finite_list(values: list[float]) -> list[float | str]:
    """A list of floats as strict JSON; the list itself when all are finite (fast path)."""
    if all(map(math.isfinite, values)):
        return values
    return [finite(v) for v in values]


def dumps(value: Any) -> str:
    """Strict JSON text. Values already strict (the hot paths build them so) are
    encoded directly; anything else is walked with `strict` first."""
    try:
        return _encode(value)
    except ValueError:
        return _encode(strict(value))


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
