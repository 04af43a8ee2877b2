"""What the REST API serves of a run's media: pages of the media index, pages of
a table as strict-JSON rows, and a blob by hash with the headers that keep it
inert in the browser. Pure functions over the store and the blob storage."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from ..store.media_tables import media as M
from .errors import MediaNotFoundError
from .records import count, select

PAGE = 100
MAX_PAGE = 1000
#: At most this many images are sent in one answer of media/images.
MAX_IMAGES = 100
#: At most this many steps of a histogram are served at once (evenly spaced, the
#: last always among them): the panel draws one row per step.
MAX_HISTOGRAM_STEPS = 200
#: A year: a blob's bytes never change (its name is their BLAKE3 hash).
CACHE_CONTROL = "private, max-age=31536000, immutable"
#: For SVG: the document may draw (inline styles, data: images) but runs no
#: script, loads nothing, and is a unique origin even when opened on its own.
SVG_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
#: Which render of a row a meta key holds.
RENDERS = {"display": "image/png", "png": "image/png", "svg": "image/svg+xml", "html": "text/html"}


def media_page(
    store: Any,
    run_id: str,
    name: str | None,
    kind: str | None,
    step: int | None,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """{"media": [...], "total", "offset", "limit", "names": [{name, kind, count}]}."""
    rows = select(store, run_id, name=name, kind=kind, step=step, offset=offset, limit=limit)
    with store.reading() as conn:
        names = [
            {"name": n, "kind": k, "count": int(c), "last_step": s}
            for n, k, c, s in conn.execute(
                sa.select(M.c.name, M.c.kind, sa.func.count(), sa.func.max(M.c.step))
                .where(M.c.run_id == run_id)
                .group_by(M.c.name, M.c.kind)
                .order_by(M.c.name)
            )
        ]
        query = sa.select(sa.func.count()).select_from(M).where(M.c.run_id == run_id)
        for col, value in (("name", name), ("kind", kind), ("step", step)):
            if value is not None:
                query = query.where(M.c[col] == value)
        total = int(conn.execute(query).scalar() or 0)
    return {
        "media": [
            {
                "name": r["name"],
                "kind": r["kind"],
                "step": r["step"],
                "index": r["idx"],
                "caption": r["caption"],
                "hash": r["hash"],
                "mime": r["mime"],
                "size": r["size"],
                "time": r["time"],
                "meta": r["meta"],
            }
            for r in rows
        ],
        "total": total,
        "offset": offset,
        "limit": limit,
        "names": names,
    }


def table_page(
    store: Any, blobs: Any, run_id: str, name: str, step: int | None, offset: int, limit: int
) -> dict[str, Any]:
    """Rows offset..offset+limit of a logged table (or confusion matrix), NaN as null."""
    import io

    import pyarrow.parquet as pq

    rows = [
        r for r in select(store, run_id, name=name) if r["kind"] in ("table", "confusion_matrix")
    ]
    if not rows:
        raise MediaNotFoundError(
            f"this run has no table named {name!r}: GET runs/{{ref}}/media lists its media"
        )
    if step is None:
        step = max(r["step"] for r in rows)
    found = [r for r in rows if r["step"] == step]
    if not found:
        steps = sorted({r["step"] for r in rows})[:10]
        raise MediaNotFoundError(f"table {name!r} has no step {step}: its steps are {steps}")
    table = pq.read_table(io.BytesIO(blobs.read_bytes(found[0]["hash"])))
    part = table.slice(offset, limit)
    columns = part.column_names
    data = [[row[c] for c in columns] for row in part.to_pylist()]
    return {
        "name": name,
        "step": step,
        "kind": found[0]["kind"],
        "columns": [{"name": f.name, "dtype": str(f.type)} for f in table.schema],
        "rows": data,
        "total": table.num_rows,
        "offset": offset,
        "limit": limit,
    }


def spaced(n: int, limit: int) -> list[int]:
    """At most `limit` indexes of 0..n-1, evenly spaced, first and last included."""
    if n <= limit:
        return list(range(n))
    if limit == 1:
        return [n - 1]
    return sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})


def histogram_steps(store: Any, blobs: Any, run_id: str, name: str, limit: int) -> dict[str, Any]:
    """{"name", "steps": [{step, edges, counts, count, nonfinite, min, max, mean}],
    "total"}: the bins a histogram was logged with at each step (at most `limit`
    steps, evenly spaced), in one answer for the panel's histogram-over-steps."""
    rows = select(store, run_id, name=name, kind="histogram")
    if not rows:
        raise MediaNotFoundError(
            f"this run has no histogram named {name!r}: GET runs/{{ref}}/media lists its media"
        )
    last: dict[int, dict[str, Any]] = {}
    for r in rows:  # one histogram per step: the last logged wins
        last[r["step"]] = r
    ordered = [last[s] for s in sorted(last)]
    steps = []
    for i in spaced(len(ordered), limit):
        r = ordered[i]
        data = json.loads(blobs.read_bytes(r["hash"]))
        steps.append(
            {
                "step": r["step"],
                **{k: data.get(k) for k in ("edges", "counts", "count", "nonfinite")},
                **{k: _finite(data.get(k)) for k in ("min", "max", "mean")},
            }
        )
    return {"name": name, "steps": steps, "total": len(ordered)}


def images(store: Any, blobs: Any, digests: list[str]) -> dict[str, Any]:
    """{"images": [{hash, mime, data (base64)}], "missing": [...]}: many small
    image blobs in one answer, so a grid of thumbnails is not one request per
    image (a browser opens six connections to a host at once). Only blobs the
    media index names and that show inline as images are sent."""
    import base64

    found: list[dict[str, Any]] = []
    missing: list[str] = []
    for digest in dict.fromkeys(digests):
        try:
            mime, disposition = blob_info(store, digest)
        except MediaNotFoundError:
            missing.append(digest)
            continue
        if disposition != "inline" or not mime.startswith("image/"):
            missing.append(digest)
            continue
        data = base64.b64encode(blobs.read_bytes(digest)).decode("ascii")
        found.append({"hash": digest, "mime": mime, "data": data})
    return {"images": found, "missing": missing}


def _finite(value: Any) -> float | None:
    import math

    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def blob_info(store: Any, digest: str) -> tuple[str, str]:
    """(content type, disposition) of a media blob, or MediaNotFoundError: only
    blobs the media index names are served here."""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise MediaNotFoundError(f"{digest[:70]!r} is not a media hash (64 hex digits)")
    with store.reading() as conn:
        row = conn.execute(sa.select(M.c.mime, M.c.kind).where(M.c.hash == digest).limit(1)).first()
        if row is not None:
            return row[0], _disposition(row[0])
        for (meta,) in conn.execute(
            sa.select(M.c.meta).where(M.c.meta.like(f'%"{digest}"%')).limit(1)
        ):
            for key, value in json.loads(meta).items():
                if value == digest and key in RENDERS:
                    return RENDERS[key], _disposition(RENDERS[key])
    raise MediaNotFoundError(
        f"no media blob {digest[:12]}: GET runs/{{ref}}/media lists a run's media"
    )


def _disposition(mime: str) -> str:
    """Images and text are shown inline; HTML, Parquet and JSON are downloads."""
    inline = mime.startswith("image/") or mime.startswith("text/plain")
    return "inline" if inline else "attachment"


def blob_headers(digest: str, mime: str, disposition: str) -> dict[str, str]:
    headers = {
        "Content-Type": mime,
        "Cache-Control": CACHE_CONTROL,
        "ETag": f'"{digest}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": disposition,
        # No media blob may run script in the page's origin, whatever it holds.
        "Content-Security-Policy": SVG_CSP,
    }
    return headers


__all__ = [
    "blob_headers",
    "blob_info",
    "count",
    "histogram_steps",
    "images",
    "media_page",
    "spaced",
    "table_page",
]
