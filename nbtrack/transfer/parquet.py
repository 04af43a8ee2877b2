"""Runs tables as Parquet files: columns Parquet cannot type are written as JSON.

`nbtrack.runs()` has object columns mixing numbers, text, lists and NaN (a param
that is 0.1 in one run and "auto" in another); Parquet needs one type per column.
Such a column is written as JSON text (missing values stay null) and named in the
file's key-value metadata (``nbtrack.json_columns``), so `read_parquet` restores it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

JSON_COLUMNS_KEY = b"nbtrack.json_columns"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _kinds(values: Any) -> set[type]:
    return {type(v) for v in values if not _missing(v)}


def write_parquet(df: Any, path: str | Path) -> list[str]:
    """Write ``df`` to ``path``; returns the columns written as JSON text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = df.copy()
    as_json = []
    for column in frame.columns:
        if frame[column].dtype != object:
            continue
        kinds = _kinds(frame[column])
        if kinds <= {str} or (kinds == {list} and _all_text_lists(frame[column])):
            continue
        as_json.append(column)
        frame[column] = [
            None if _missing(v) else json.dumps(v, allow_nan=True) for v in frame[column]
        ]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[JSON_COLUMNS_KEY] = json.dumps(as_json).encode()
    pq.write_table(table.replace_schema_metadata(meta), str(path))
    return as_json


def _all_text_lists(values: Any) -> bool:
    return all(isinstance(x, str) for v in values if isinstance(v, list) for x in v)


def read_parquet(path: str | Path) -> Any:
    """A DataFrame written by `write_parquet`, its JSON columns decoded."""
    import pyarrow.parquet as pq

    table = pq.read_table(str(path))
    as_json = json.loads((table.schema.metadata or {}).get(JSON_COLUMNS_KEY, b"[]"))
    frame = table.to_pandas()
    for column in as_json:
        frame[column] = [
            None if _missing(v) else json.loads(v) for v in frame[column].astype(object)
        ]
    return frame
