"""What changed between two runs: params, metric summaries, cell, script, notebook.

Pure computation (no I/O): each side brings its params, metric summaries and
snapshot files; `diff_runs` compares them. Rendering lives in ``render.py``.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

from nbtrack.jsonenc import strict
from nbtrack.versioning.notebook_diff import CellChange, NotebookDiff, diff_notebook_bytes
from nbtrack.versioning.snapshot import CELL, NOTEBOOK, SCRIPT

SUMMARY_KEYS = ("last", "min", "max", "count")


@dataclass(frozen=True)
class DiffSide:
    """One run as the diff sees it.

    ``metrics`` maps a key to its summary ``{"last", "min", "max", "count"}``;
    ``files`` is the run's snapshot (`read_snapshot`), None when it has none.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] | None = None


@dataclass(frozen=True)
class ParamsDiff:
    changed: dict[str, tuple[Any, Any]]
    added: dict[str, Any]
    removed: dict[str, Any]

    @property
    def is_empty(self) -> bool:
        return not (self.changed or self.added or self.removed)


@dataclass(frozen=True)
class MetricDiff:
    """Summaries of one metric side by side (None where a run lacks it), with deltas."""

    key: str
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    delta_last: float | None
    delta_min: float | None
    delta_max: float | None = None
    delta_count: float | None = None

    def stat_changed(self, stat: str) -> bool:
        """Whether summary ``stat`` (last, min, max, count) differs between the runs."""
        return not same_value((self.a or {}).get(stat), (self.b or {}).get(stat))

    @property
    def changed(self) -> bool:
        """Whether any shown statistic differs (not bookkeeping such as last_step)."""
        if (self.a is None) != (self.b is None):
            return True
        return any(self.stat_changed(stat) for stat in SUMMARY_KEYS)

    def delta(self, stat: str) -> float | None:
        return {
            "last": self.delta_last,
            "min": self.delta_min,
            "max": self.delta_max,
            "count": self.delta_count,
        }[stat]


@dataclass(frozen=True)
class TextDiff:
    """Unified diff of one snapshot file; ``unified`` is "" when the texts are equal."""

    path: str
    unified: str

    @property
    def is_empty(self) -> bool:
        return not self.unified


@dataclass(frozen=True)
class RunDiff:
    """The difference between run ``a_name`` and run ``b_name``.

    ``cell``, ``script`` and ``notebook`` are None when a run has no snapshot
    (or neither has that file).
    """

    a_name: str
    b_name: str
    params: ParamsDiff
    metrics: dict[str, MetricDiff]
    cell: TextDiff | None
    script: TextDiff | None
    notebook: NotebookDiff | None

    @property
    def is_empty(self) -> bool:
        return (
            self.params.is_empty
            and not any(m.changed for m in self.metrics.values())
            and all(p is None or p.is_empty for p in (self.cell, self.script, self.notebook))
        )

    def __str__(self) -> str:
        from nbtrack.versioning.render import render_terminal

        return render_terminal(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        from nbtrack.versioning.render import render_html

        return render_html(self)

    def to_json(self) -> dict[str, Any]:
        """Strict-JSON form (NaN/±inf as the strings "NaN"/"Infinity"/"-Infinity")."""
        p = self.params
        nb = self.notebook
        return strict(
            {
                "params": {
                    "changed": {k: {"old": o, "new": n} for k, (o, n) in p.changed.items()},
                    "added": p.added,
                    "removed": p.removed,
                },
                "metrics": {
                    k: {
                        "a": m.a,
                        "b": m.b,
                        "delta": {stat: m.delta(stat) for stat in SUMMARY_KEYS},
                        "changed": m.changed,
                        "changed_stats": [s for s in SUMMARY_KEYS if m.stat_changed(s)],
                    }
                    for k, m in self.metrics.items()
                },
                "cell": None if self.cell is None else vars(self.cell),
                "script": None if self.script is None else vars(self.script),
                "notebook": None
                if nb is None
                else {
                    "base": nb.base,
                    "diff": nb.diff,
                    "cells": [vars(c) for c in nb.cells],
                    "metadata_changed": nb.metadata_changed,
                },
            }
        )


# --------------------------------------------------------------------------- values


def same_value(a: Any, b: Any) -> bool:
    """Equality of JSON-like values where NaN equals NaN and ``True`` is not ``1``."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _delta(a: dict[str, Any] | None, b: dict[str, Any] | None, key: str) -> float | None:
    """``b[key] - a[key]``; None when either is missing; NaN/inf propagate, never raise."""
    x = _number((a or {}).get(key))
    y = _number((b or {}).get(key))
    return None if x is None or y is None else y - x


# --------------------------------------------------------------------------- parts


def diff_params(a: dict[str, Any], b: dict[str, Any]) -> ParamsDiff:
    return ParamsDiff(
        changed={
            k: (a[k], b[k]) for k in sorted(a.keys() & b.keys()) if not same_value(a[k], b[k])
        },
        added={k: b[k] for k in sorted(b.keys() - a.keys())},
        removed={k: a[k] for k in sorted(a.keys() - b.keys())},
    )


def diff_metrics(a: dict[str, dict], b: dict[str, dict]) -> dict[str, MetricDiff]:
    out = {}
    for key in sorted(a.keys() | b.keys()):
        sa, sb = a.get(key), b.get(key)
        out[key] = MetricDiff(key, sa, sb, *(_delta(sa, sb, stat) for stat in SUMMARY_KEYS))
    return out


def unified_diff(a: str, b: str, a_label: str, b_label: str, context: int = 3) -> str:
    """Unified diff text ("" when equal), git-style headers, no trailing newline issues."""
    if a == b:
        return ""
    lines = difflib.unified_diff(
        a.splitlines(), b.splitlines(), a_label, b_label, n=context, lineterm=""
    )
    return "\n".join(lines) + "\n"


def _text(files: dict[str, bytes], path: str) -> str:
    return files.get(path, b"").decode("utf-8", "replace")


def _diff_file(a: DiffSide, b: DiffSide, path: str) -> TextDiff | None:
    if a.files is None or b.files is None or (path not in a.files and path not in b.files):
        return None
    return TextDiff(
        path,
        unified_diff(
            _text(a.files, path), _text(b.files, path), f"{a.name}/{path}", f"{b.name}/{path}"
        ),
    )


def _diff_notebook(a: DiffSide, b: DiffSide) -> NotebookDiff | None:
    if a.files is None or b.files is None or NOTEBOOK not in a.files or NOTEBOOK not in b.files:
        return None
    return diff_notebook_bytes(a.files[NOTEBOOK], b.files[NOTEBOOK])


def diff_runs(a: DiffSide, b: DiffSide) -> RunDiff:
    """Everything that differs from run ``a`` to run ``b``."""
    return RunDiff(
        a_name=a.name,
        b_name=b.name,
        params=diff_params(a.params, b.params),
        metrics=diff_metrics(a.metrics, b.metrics),
        cell=_diff_file(a, b, CELL),
        script=_diff_file(a, b, SCRIPT),
        notebook=_diff_notebook(a, b),
    )


__all__ = [
    "CellChange",
    "DiffSide",
    "MetricDiff",
    "NotebookDiff",
    "ParamsDiff",
    "RunDiff",
    "TextDiff",
    "diff_runs",
]
