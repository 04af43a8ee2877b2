"""A sweep's parameter combinations, from a grid or an explicit list. Pure."""

from __future__ import annotations

import ast
import itertools
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import NbtrackError

_WORDS = {"true": True, "false": False, "none": None, "null": None}


class SweepError(NbtrackError, ValueError):
    """The sweep cannot start: a bad grid, notebook or option. Nothing ran."""


def parse_value(text: str) -> Any:
    """A command-line value as Python: `0.1` → 0.1, `3` → 3, `true`/`None` → bool/None,
    `[64, 32]` → a list, anything else the string itself (as papermill's `-p` does)."""
    word = _WORDS.get(text.strip().lower(), ...)
    if word is not ...:
        return word
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text
    return list(value) if isinstance(value, tuple) else value


def combinations(grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]) -> list[dict]:
    """Every combination of a grid ({"lr": [0.1, 0.01], "layers": [1, 2]} gives 4,
    the last name varying fastest), or an explicit list of combinations as given."""
    if isinstance(grid, Mapping):
        if not grid:
            raise SweepError("the sweep has no parameters: give at least one, e.g. lr 0.1 0.01")
        for name, values in grid.items():
            _check_name(name)
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                raise SweepError(
                    f"parameter {name!r} needs a list of values, got {values!r}: "
                    f"e.g. {{{name!r}: [{values!r}]}}"
                )
            if not values:
                raise SweepError(f"parameter {name!r} has no values: give at least one")
        names = list(grid)
        products = itertools.product(*grid.values())
        combos = [dict(zip(names, values, strict=True)) for values in products]
    else:
        combos = []
        for i, combo in enumerate(grid, 1):
            if not isinstance(combo, Mapping) or not combo:
                raise SweepError(f"combination {i} must be a non-empty dict of parameters")
            for name in combo:
                _check_name(name)
            combos.append(dict(combo))
        if not combos:
            raise SweepError("the sweep has no combinations: give at least one dict")
    combos = [{name: _plain(name, value) for name, value in combo.items()} for combo in combos]
    seen: dict[str, int] = {}
    for i, combo in enumerate(combos, 1):
        key = _canonical(combo)
        if key in seen:
            raise SweepError(
                f"combinations {seen[key]} and {i} are the same ({describe(combo)}): "
                "list each value once"
            )
        seen[key] = i
    return combos


def _plain(name: str, value: Any) -> Any:
    """`value` as papermill can write it into a notebook: None, bool, int, float, str,
    lists and str-keyed dicts of those; NumPy scalars become Python numbers."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:  # np.float64(0.1), np.int64(3)
        return _plain(name, item())
    for plain in (int, float, str):  # subclasses (IntEnum, ...): their plain value
        if isinstance(value, plain):
            return plain(value)
    if isinstance(value, (list, tuple)):
        return [_plain(name, v) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _plain(name, v) for k, v in value.items()}
    raise SweepError(
        f"parameter {name!r} has a value papermill cannot write into a notebook: "
        f"{value!r} ({type(value).__name__}); use numbers, strings, booleans, None, "
        "lists or dicts"
    )


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise SweepError(f"parameter names must be Python identifiers, got {name!r}")


def _canonical(combo: Mapping[str, Any]) -> str:
    return json.dumps(combo, sort_keys=True)  # values are plain JSON by now (_plain)


def describe(combo: Mapping[str, Any]) -> str:
    """`lr=0.1 layers=2`, as people read a combination."""
    return " ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in combo.items())


def file_stem(number: int, width: int = 2) -> str:
    """The stem of a trial's output notebook: `trial-03`. The trial number only:
    parameter values (a token, a path) never go into file names; they are in the
    notebook's metadata, redacted (sweeps/outputs.py)."""
    return f"trial-{number:0{width}d}"


def new_sweep_id() -> str:
    """A short id that names the sweep in `runs(sweep=...)`: `sw-` and 8 hex digits."""
    return "sw-" + secrets.token_hex(4)
