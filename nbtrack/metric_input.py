"""What `nbtrack.log()` accepts: metric names, steps and values, checked before
anything is queued. Pure: no run, no store."""

from __future__ import annotations

from typing import Any

from .errors import MetricValueError

MAX_KEY_CHARS = 250
MIN_STEP = -(2**63)
MAX_STEP = 2**63 - 1


def check_key(key: Any) -> str:
    """`key` if it can be a metric name in both backends, else MetricValueError
    naming it and saying what to do."""
    if not isinstance(key, str) or not key:
        raise MetricValueError(
            f"metric names must be non-empty strings, got {key!r} ({type(key).__name__})"
        )
    shown = ascii(key)[:80]
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise MetricValueError(
            f"metric name {shown} is not valid text (it holds a lone surrogate); use a plain string"
        ) from None
    if "\0" in key:
        raise MetricValueError(f"metric name {shown} contains a NUL character; remove it")
    if len(key) > MAX_KEY_CHARS:
        raise MetricValueError(
            f"metric name {shown}... is {len(key)} characters long; "
            f"names are limited to {MAX_KEY_CHARS} characters"
        )
    return key


def as_step(step: Any) -> int:
    import operator

    if isinstance(step, bool):
        raise MetricValueError("step= must be an integer, not a bool")
    try:
        value = operator.index(step)
    except TypeError:
        raise MetricValueError(
            f"step= must be an integer, got {step!r} ({type(step).__name__})"
        ) from None
    if not MIN_STEP <= value <= MAX_STEP:
        raise MetricValueError(
            f"step={value} is out of range: steps are 64-bit integers ({MIN_STEP} to {MAX_STEP})"
        )
    return value


def as_float(key: str, value: Any) -> float:
    if isinstance(value, (str, bytes)) or value is None:
        raise MetricValueError(
            f"metric {key!r} must be a real number, got {value!r} ({type(value).__name__})"
        )
    if isinstance(value, complex) or getattr(getattr(value, "dtype", None), "kind", "") == "c":
        raise MetricValueError(
            f"metric {key!r} must be a real number, got the complex {value!r}; "
            "log its .real, .imag or abs() under their own names"
        )
    try:
        return float(value)  # ints, bools, numpy scalars, 0-d arrays, one-element tensors
    except (TypeError, ValueError, OverflowError):
        raise MetricValueError(
            f"metric {key!r} must be a real number, got {type(value).__name__} "
            f"{str(value)[:60]!r}; log one number per key (e.g. loss.item())"
        ) from None
