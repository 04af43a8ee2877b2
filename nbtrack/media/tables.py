"""Tables, confusion matrices, histograms and texts: pure conversions to the
bytes stored (Parquet, JSON bins, UTF-8)."""

from __future__ import annotations

import json
from typing import Any

from .errors import MediaError

MAX_ROWS = 1_000_000
DEFAULT_BINS = 64


def arrow_table(df: Any) -> Any:
    """A snapshot of a DataFrame as an Arrow table (NaN kept), or MediaError."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise MediaError(
            f"log_table takes a pandas DataFrame, not {type(df).__name__}: wrap it, e.g. "
            "pd.DataFrame(rows)"
        )
    if len(df) > MAX_ROWS:
        raise MediaError(
            f"log_table keeps up to {MAX_ROWS:,} rows; this frame has {len(df):,}: log a "
            "sample (df.sample(100_000)) or store the whole frame with nbtrack.log_dataset"
        )
    import pyarrow as pa

    # Arrow shares numeric columns with pandas: a deep copy (a memcpy) keeps the
    # logged values when the caller changes the frame before the worker writes it.
    frame = df.copy(deep=True)
    frame.columns = [str(c) for c in frame.columns]
    try:
        return pa.Table.from_pandas(frame, preserve_index=None)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise MediaError(
            f"log_table cannot store this frame as Parquet ({exc}): convert mixed-type "
            "object columns with df[col].astype(str)"
        ) from None


def parquet_bytes(table: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue())


def table_meta(table: Any) -> dict[str, Any]:
    return {
        "rows": table.num_rows,
        "columns": [{"name": f.name, "dtype": str(f.type)} for f in table.schema],
    }


def read_parquet(data: bytes) -> Any:
    import io

    import pandas as pd

    return pd.read_parquet(io.BytesIO(data))


def _labels(values: Any) -> Any:
    import numpy as np

    arr = np.asarray(values)
    if arr.ndim != 1:
        raise MediaError(
            f"log_confusion_matrix takes 1-D label sequences; got shape {arr.shape}: pass "
            "class labels (y_pred.argmax(axis=1) for scores)"
        )
    return arr


def confusion(y_true: Any, y_pred: Any, labels: Any = None) -> tuple[Any, list[Any]]:
    """(counts[true, predicted], labels): labels given, else the sorted union."""
    import numpy as np

    t, p = _labels(y_true), _labels(y_pred)
    if len(t) != len(p):
        raise MediaError(
            f"log_confusion_matrix got {len(t)} true labels and {len(p)} predictions: "
            "pass one prediction per example"
        )
    names = list(labels) if labels is not None else sorted(set(t.tolist()) | set(p.tolist()))
    index = {v: i for i, v in enumerate(names)}
    matrix = np.zeros((len(names), len(names)), dtype=np.int64)
    unknown = [v for v in set(t.tolist()) | set(p.tolist()) if v not in index]
    if unknown:
        raise MediaError(
            f"log_confusion_matrix: labels {sorted(map(str, unknown))[:5]} appear in the "
            f"data but not in labels={names[:10]}: add them, or leave labels out"
        )
    for a, b in zip(t.tolist(), p.tolist(), strict=True):
        matrix[index[a], index[b]] += 1
    return matrix, names


def confusion_frame(matrix: Any, names: list[Any]) -> Any:
    import pandas as pd

    labels = [str(n) for n in names]
    df = pd.DataFrame(matrix, columns=labels)
    df.insert(0, "true", labels)
    return df


def histogram(values: Any, bins: int | Any = DEFAULT_BINS) -> dict[str, Any]:
    """Bins of the finite values (edges, counts), and how many were not finite."""
    import numpy as np

    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise MediaError(
            f"log_histogram takes numbers (a list, numpy array or tensor), not "
            f"{type(values).__name__}"
        ) from None
    finite = arr[np.isfinite(arr)]
    counts, edges = np.histogram(finite, bins=bins) if finite.size else (np.zeros(0), np.zeros(0))
    return {
        "edges": edges.tolist(),
        "counts": [int(c) for c in counts],
        "count": int(finite.size),
        "nonfinite": int(arr.size - finite.size),
        "min": float(finite.min()) if finite.size else None,
        "max": float(finite.max()) if finite.size else None,
        "mean": float(finite.mean()) if finite.size else None,
    }


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True).encode()
