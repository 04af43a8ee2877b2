"""A search space: names mapped to distributions (`uniform`, `loguniform`,
`intuniform`) or lists of choices (categorical). Pure: checks and canonical
text here, Optuna's distribution objects built on demand.

    {"lr": nbtrack.loguniform(1e-4, 1e-1), "hidden": [32, 64, 128],
     "dropout": nbtrack.uniform(0, 0.5)}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .grid import SweepError, _check_name, _plain


@dataclass(frozen=True)
class Distribution:
    """A range to sample from: `kind` is "uniform", "loguniform" or "intuniform"."""

    kind: str
    low: float
    high: float
    step: float | None = None

    def describe(self) -> str:
        text = f"{self.kind}:{_num(self.low)}:{_num(self.high)}"
        return text + (f":{_num(self.step)}" if self.step is not None else "")


def _num(value: float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _bounds(kind: str, low: Any, high: Any) -> tuple[float, float]:
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SweepError(f"{kind}({low!r}, {high!r}): {name} must be a number")
        if not math.isfinite(value):
            raise SweepError(f"{kind}({low!r}, {high!r}): {name} must be finite")
    if low > high:
        raise SweepError(f"{kind}({low!r}, {high!r}): low is above high; swap them")
    return low, high


def uniform(low: float, high: float) -> Distribution:
    """A float drawn evenly between `low` and `high`."""
    low, high = _bounds("uniform", low, high)
    return Distribution("uniform", float(low), float(high))


def loguniform(low: float, high: float) -> Distribution:
    """A float drawn evenly on a log scale (learning rates): both bounds positive."""
    low, high = _bounds("loguniform", low, high)
    if low <= 0:
        raise SweepError(
            f"loguniform({low!r}, {high!r}): both bounds must be above 0 (a log scale "
            "has no 0 or negatives); e.g. loguniform(1e-5, 1e-1), or uniform() for a "
            "range that includes 0"
        )
    return Distribution("loguniform", float(low), float(high))


def intuniform(low: int, high: int, step: int = 1) -> Distribution:
    """A whole number from `low` to `high` inclusive, by `step`."""
    for name, value in (("low", low), ("high", high), ("step", step)):
        if type(value) is not int:
            raise SweepError(f"intuniform({low!r}, {high!r}): {name} must be a whole number")
    _bounds("intuniform", low, high)
    if step < 1:
        raise SweepError(f"intuniform({low!r}, {high!r}, step={step!r}): step must be ≥ 1")
    return Distribution("intuniform", low, high, step)


def check_space(space: Any) -> dict[str, Distribution | list[Any]]:
    """The space with every entry checked: a Distribution, or a non-empty list of
    plain values (a categorical). SweepError says what is wrong."""
    if not isinstance(space, Mapping):
        raise SweepError(
            f"the search space must be a dict of names to values or ranges, got "
            f"{type(space).__name__}: e.g. {{'lr': nbtrack.loguniform(1e-4, 1e-1)}}"
        )
    if not space:
        raise SweepError(
            "the search space is empty: give at least one parameter, e.g. "
            "{'lr': nbtrack.loguniform(1e-4, 1e-1)}"
        )
    checked: dict[str, Distribution | list[Any]] = {}
    for name, values in space.items():
        _check_name(name)
        if isinstance(values, Distribution):
            checked[name] = values
            continue
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise SweepError(
                f"parameter {name!r} needs a list of choices or a range, got {values!r}: "
                f"e.g. {{{name!r}: [{values!r}]}} or nbtrack.uniform(0, 1)"
            )
        if not values:
            raise SweepError(f"parameter {name!r} has no values: give at least one")
        choices = [_plain(name, v) for v in values]
        if len({json.dumps(c, sort_keys=True) for c in choices}) != len(choices):
            raise SweepError(f"parameter {name!r} lists a value twice: list each value once")
        checked[name] = choices
    return checked


def canonical(space: Mapping[str, Distribution | list[Any]]) -> dict[str, Any]:
    """The space as JSON-able text values, to compare two sweeps' spaces."""
    return {
        name: value.describe() if isinstance(value, Distribution) else list(value)
        for name, value in sorted(space.items())
    }


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What changed between two canonical spaces, as people read it."""
    out = []
    for name in sorted(set(old) | set(new)):
        if name not in new:
            out.append(f"{name} was swept before and is not now")
        elif name not in old:
            out.append(f"{name} is new")
        elif old[name] != new[name]:
            out.append(f"{name} was {old[name]} and is now {new[name]}")
    return out


def is_grid(space: Mapping[str, Distribution | list[Any]]) -> bool:
    return all(not isinstance(v, Distribution) for v in space.values())


def grid_size(space: Mapping[str, Distribution | list[Any]]) -> int:
    return math.prod(len(v) for v in space.values() if not isinstance(v, Distribution))


def optuna_distributions(space: Mapping[str, Distribution | list[Any]]) -> dict[str, Any]:
    """The space as Optuna distributions (for `study.ask`)."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for name, value in space.items():
        if isinstance(value, Distribution):
            if value.kind == "intuniform":
                out[name] = IntDistribution(
                    int(value.low), int(value.high), step=int(value.step or 1)
                )
            else:
                out[name] = FloatDistribution(value.low, value.high, log=value.kind == "loguniform")
        else:
            # Optuna's categorical holds None, bool, int, float and str; others as JSON text.
            out[name] = CategoricalDistribution([_choice(v) for v in value])
    return out


def _choice(value: Any) -> Any:
    if value is None or type(value) in (bool, int, float, str):
        return value
    return json.dumps(value, sort_keys=True)


def from_choice(space: Mapping[str, Distribution | list[Any]], name: str, value: Any) -> Any:
    """A sampled value back as the space gave it (a JSON-encoded list → the list)."""
    spec = space.get(name)
    if isinstance(spec, list) and isinstance(value, str) and value not in spec:
        for choice in spec:
            if _choice(choice) == value:
                return choice
    return value


def parse_spec(name: str, words: list[str]) -> Distribution | list[Any]:
    """A command-line `-p NAME ...`: `loguniform:1e-4:1e-1`, `uniform:0:0.5`,
    `int:1:8` (or `intuniform:1:8[:step]`), else a list of choices."""
    from .grid import parse_value

    if len(words) == 1 and ":" in words[0]:
        kind, *rest = words[0].split(":")
        kinds = {
            "uniform": uniform,
            "loguniform": loguniform,
            "int": intuniform,
            "intuniform": intuniform,
        }
        if kind in kinds:
            try:
                bounds = [parse_value(v) for v in rest]
            except ValueError:
                bounds = rest
            if len(bounds) not in (2, 3) or (len(bounds) == 3 and kinds[kind] is not intuniform):
                raise SweepError(
                    f"-p {name} {words[0]}: write {kind}:LOW:HIGH, e.g. loguniform:1e-4:1e-1"
                )
            return kinds[kind](*bounds)
    return [parse_value(w) for w in words]
