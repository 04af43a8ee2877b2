"""The runs list's filter language, parsed. Pure.

Whitespace-separated terms, all of which a run must match (case-insensitive):

- `status:failed` — the status (one of STATUSES);
- `tag:cnn`, `sweep:sw-1a`, `name:x`, `notebook:x`, `experiment:x`, `ref:train#`,
  `user:alice`, `host:gpu-01` — a substring of that field;
- `lr<0.1`, `params.lr>=1e-3`, `metrics.loss<0.5`, `batch=32`, `acc!=1` — a number
  compared with a param or a metric's last value (`params.`/`metrics.` as in the
  DataFrame; a bare key is a param if some run has that param, else a metric);
  `duration>60` compares seconds;
- `lr:0.1`, `params.opt:adam` — a substring of a param's value;
- anything else — a substring of the name, ref, notebook, experiment, status, tags,
  notes, sweep id, user or host.

A term that cannot mean anything (`lr<`, `foo:bar`, a key no run has) is a
FilterError saying what is wrong, so that a mistyped filter never reads as "no
runs match".
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass

from ..runview import RunStatus
from .errors import ApiError

STATUSES = RunStatus.values()
TEXT_FIELDS = ("tag", "sweep", "name", "notebook", "experiment", "ref", "user", "host")
OPERATORS = ("<=", ">=", "!=", "<", ">", "=")
MAX_TERMS = 20
MAX_TERM = 500

_COMPARISON = re.compile(r"^(?P<key>[^<>=!:]+)(?P<op><=|>=|!=|<|>|=)(?P<value>.*)$")
_FIELD = re.compile(r"^(?P<field>[^:]+):(?P<value>.*)$")


class FilterError(ApiError):
    """A filter term the server cannot read (400), with what to type instead."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


@dataclass(frozen=True)
class Text:
    """A substring of any of the run's text fields."""

    needle: str


@dataclass(frozen=True)
class Field:
    """A substring of one field (`tag`, `sweep`, ...), or the status exactly."""

    field: str
    needle: str


@dataclass(frozen=True)
class ParamText:
    """A substring of a param's value (as JSON text for non-strings)."""

    key: str
    needle: str


@dataclass(frozen=True)
class Compare:
    """`kind` is "param", "metric" or "duration"; `op` one of OPERATORS."""

    kind: str
    key: str
    op: str
    value: float


Term = Text | Field | ParamText | Compare


def parse(text: str, params: Collection[str], metrics: Collection[str]) -> list[Term]:
    """The terms of `text`, with keys looked up in the known `params` and `metrics`."""
    words = text.split()
    if len(words) > MAX_TERMS:
        raise FilterError(f"the filter has {len(words)} terms; use at most {MAX_TERMS}")
    return [_term(word, params, metrics) for word in words]


def _term(word: str, params: Collection[str], metrics: Collection[str]) -> Term:
    if len(word) > MAX_TERM:
        raise FilterError(f"a filter term is {len(word)} characters long; at most {MAX_TERM}")
    if "\0" in word:
        raise FilterError("the filter holds a NUL character (\\u0000): remove it")
    m = _COMPARISON.match(word)
    if m:
        return _comparison(word, m.group("key"), m.group("op"), m.group("value"), params, metrics)
    m = _FIELD.match(word)
    if m:
        return _field(word, m.group("field"), m.group("value"), params)
    return Text(word.lower())


def _comparison(
    word: str, key: str, op: str, raw: str, params: Collection[str], metrics: Collection[str]
) -> Compare:
    value = _number(raw)
    if value is None:
        shown = f"nothing after {op!r}" if not raw else f"{raw[:40]!r}"
        raise FilterError(
            f"{word[:60]!r} compares {key[:40]!r} with {shown}: put a number after the "
            "operator, e.g. lr<0.1 or metrics.loss<=0.5"
        )
    if key.lower() == "duration":
        return Compare("duration", "", op, value)
    kind, found = _key(word, key, params, metrics)
    return Compare(kind, found, op, value)


def _field(word: str, field: str, value: str, params: Collection[str]) -> Term:
    name = field.lower()
    if name == "tags":
        name = "tag"
    if name == "status":
        wanted = value.lower()
        if wanted not in STATUSES:
            raise FilterError(
                f"{word[:60]!r}: a status is one of {', '.join(STATUSES)}, not {value[:40]!r}"
            )
        return Field("status", wanted)
    if name in TEXT_FIELDS:
        return Field(name, value.lower())
    key = field[7:] if field.lower().startswith("params.") else field
    found = _lookup(key, params)
    if found is not None:
        return ParamText(found, value.lower())
    raise FilterError(
        f"{word[:60]!r}: no field or param is called {field[:40]!r}; filter with "
        f"{', '.join(f + ':' for f in ('status', *TEXT_FIELDS))}, a param (lr:0.1) or a "
        "comparison (lr<0.1, metrics.loss<0.5)"
    )


def _key(word: str, key: str, params: Collection[str], metrics: Collection[str]) -> tuple[str, str]:
    """("param" | "metric", the stored key) that `key` names."""
    lowered = key.lower()
    if lowered.startswith("params."):
        kinds = [("param", key[7:], params)]
    elif lowered.startswith("metrics."):
        kinds = [("metric", key[8:], metrics)]
    else:
        kinds = [("param", key, params), ("metric", key, metrics)]
    for kind, name, known in kinds:
        found = _lookup(name, known)
        if found is not None:
            return kind, found
    what = "param" if len(kinds) == 1 and kinds[0][0] == "param" else "metric"
    what = what if len(kinds) == 1 else "param or metric"
    raise FilterError(f"{word[:60]!r}: no run has a {what} called {kinds[0][1][:60]!r}")


def _lookup(key: str, known: Collection[str]) -> str | None:
    """`key` as stored: exactly, else the one known key equal to it ignoring case."""
    if key in known:
        return key
    folded = [k for k in known if k.lower() == key.lower()]
    return folded[0] if len(folded) == 1 else None


def _number(raw: str) -> float | None:
    text = raw.strip()
    if not text or len(text) > 40:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
