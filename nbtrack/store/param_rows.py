"""A run's params as rows of `nbtrack_params` (schema.params): pure, and free of
SQLAlchemy, so that both write paths (store.py, sqlite_writes.py) share it."""

from __future__ import annotations

import json
import math
from typing import Any

NUMBER, STRING, OTHER, NAN = 0, 1, 2, 3


def param_rows(run_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The `nbtrack_params` rows of a run's (flat) params. Pure."""
    rows = []
    for key, value in params.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
            kind, num = (NAN, None) if math.isnan(number) else (NUMBER, number)
            text = json.dumps(value, allow_nan=True)
        elif isinstance(value, str):
            kind, num, text = STRING, None, value
        else:
            kind, num = OTHER, None
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=True)
        rows.append({"run_id": run_id, "key": key, "kind": kind, "num": num, "text": text.lower()})
    return rows
