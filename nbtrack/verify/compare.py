"""Judge a replay against the run it replays: pure functions, no kernel, no store.

Params must be equal exactly; each metric's last/min/max within a relative
tolerance (integral values exactly), its count exactly.
"""

from __future__ import annotations

import math
from typing import Any

DEFAULT_RTOL = 1e-6
_STATS = ("last", "min", "max")


def _same(a: Any, b: Any, rtol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a.is_integer() and b.is_integer():
        return a == b
    return math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)


def _rel(a: Any, b: Any) -> float | None:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return None
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else 0.0


def compare_metrics(
    original: dict[str, dict[str, Any]], replayed: dict[str, dict[str, Any]], rtol: float
) -> dict[str, dict[str, Any]]:
    """key -> what differs ({stat: {"was", "now", "rel"}} or {"missing": ...})."""
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(set(original) | set(replayed)):
        if key not in replayed:
            out[key] = {"missing": "logged by the run, not by the replay"}
            continue
        if key not in original:
            out[key] = {"missing": "logged by the replay, not by the run"}
            continue
        was, now = original[key], replayed[key]
        diffs: dict[str, Any] = {}
        for stat in _STATS:
            if not _same(was.get(stat), now.get(stat), rtol):
                diffs[stat] = {
                    "was": was.get(stat),
                    "now": now.get(stat),
                    "rel": _rel(was.get(stat), now.get(stat)),
                }
        if was.get("count") != now.get("count"):
            diffs["count"] = {"was": was.get("count"), "now": now.get("count")}
        if diffs:
            out[key] = diffs
    return out


def compare_params(original: dict[str, Any], replayed: dict[str, Any]) -> dict[str, Any]:
    """key -> {"was", "now"} for params that are not exactly equal."""
    missing = object()
    out = {}
    for key in sorted(set(original) | set(replayed)):
        was, now = original.get(key, missing), replayed.get(key, missing)
        if was != now or type(was) is not type(now):
            out[key] = {
                "was": None if was is missing else was,
                "now": None if now is missing else now,
            }
    return out


def judge(
    params: dict[str, Any],
    metrics: dict[str, dict[str, Any]],
    replay_params: dict[str, Any],
    replay_metrics: dict[str, dict[str, Any]],
    rtol: float = DEFAULT_RTOL,
) -> tuple[str, dict[str, Any]]:
    """("reproduced" | "differs", detail)."""
    p = compare_params(params, replay_params)
    m = compare_metrics(metrics, replay_metrics, rtol)
    if not p and not m:
        return "reproduced", {"rtol": rtol}
    detail: dict[str, Any] = {"rtol": rtol}
    if p:
        detail["params"] = p
    if m:
        detail["metrics"] = m
    return "differs", detail


def describe(verdict: str, detail: dict[str, Any]) -> str:
    """One paragraph for a terminal: the verdict and why."""
    lines = [verdict + (f": {detail['reason']}" if detail.get("reason") else "")]
    for key, d in sorted((detail.get("params") or {}).items()):
        lines.append(f"  param {key}: was {d['was']!r}, now {d['now']!r}")
    for key, d in sorted((detail.get("metrics") or {}).items()):
        if "missing" in d:
            lines.append(f"  metric {key}: {d['missing']}")
            continue
        for stat, v in d.items():
            rel = f" (rel. diff {v['rel']:.3g})" if v.get("rel") is not None else ""
            lines.append(f"  metric {key} {stat}: was {v['was']}, now {v['now']}{rel}")
    if detail.get("cell"):
        lines.append(f"  in In [{detail['cell']}]: {detail.get('error', '')}")
    for line in detail.get("guarded") or []:
        lines.append(f"  guarded {line}")
    if detail.get("not_restored"):
        lines.append(f"  not restored: {detail['not_restored']}")
    if detail.get("files") and not detail["files"].startswith("the project's files at commit"):
        lines.append(f"  replayed against {detail['files']}")
    return "\n".join(lines)
