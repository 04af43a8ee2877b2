"""DataFrames as Parquet: a canonical serialization (same frame → same bytes in
any process with the same pyarrow), and the schema, row count and preview kept
with the version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PREVIEW_ROWS = 5
PREVIEW_TEXT = 200


def write_parquet(df: Any, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=None)
    pq.write_table(table, path, compression="zstd")


def dataset_meta(df: Any) -> dict[str, Any]:
    preview = json.loads(df.head(PREVIEW_ROWS).to_json(orient="split", default_handler=str))
    for row in preview.get("data", []):
        for i, value in enumerate(row):
            if isinstance(value, str) and len(value) > PREVIEW_TEXT:
                row[i] = value[:PREVIEW_TEXT] + "…"
    return {
        "rows": int(len(df)),
        "schema": [{"name": str(c), "dtype": str(t)} for c, t in df.dtypes.items()],
        "preview": preview,
        "format": "parquet",
    }
