"""The public media API: log_image, log_figure, log_table, log_confusion_matrix,
log_histogram, log_text. Each checks its input in the caller's thread (a clear
error at once), then queues the slow part (encoding, storing) for the run's
media worker and returns."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from .errors import MediaError
from .worker import MediaQueue, queue_for


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise MediaError(f"a media name is a short non-empty string like 'samples', not {name!r}")
    return name


def _run_queue(what: str) -> MediaQueue | None:
    from ..errors import NoActiveRunError
    from ..session import current

    session = current()
    run = session.active
    if run is None or run.status != "running":
        if session.replaying:
            return None
        raise NoActiveRunError(
            f"nbtrack.{what}() was called outside a run: start one with `%%track` on the "
            "cell (after `%load_ext nbtrack`), or `with nbtrack.start_run(): ...` in a script"
        )
    return queue_for(run)


def _put(blobs: Any, data: bytes) -> str:
    from ..artifacts.hashing import hash_bytes

    digest = hash_bytes(data)
    blobs.put_bytes(data, digest)
    return digest


def _row(
    name: str,
    kind: str,
    step: int,
    idx: int,
    caption: Any,
    digest: str,
    mime: str,
    size: int,
    meta: dict[str, Any],
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "step": step,
        "idx": idx,
        "caption": caption,
        "hash": digest,
        "mime": mime,
        "size": size,
        "meta": meta,
    }


def _as_list(images: Any) -> list[Any]:
    if isinstance(images, (list, tuple)):
        return list(images)
    return [images]


def log_image(
    name: str,
    images: Any,
    captions: Sequence[str] | str | None = None,
    step: int | None = None,
    max_pixels: int | None = None,
) -> None:
    """Log one image or a group (a list): numpy arrays (H, W) / (H, W, C) of uint8
    or float in [0, 1], PIL images or image files. The original is kept; an image
    over `max_pixels` (default 2048 x 2048) also gets a downscaled display copy.
    Encoding runs in the background; the run's end waits for it."""
    from .images import encode, take

    name = _name(name)
    items = _as_list(images)
    if not items:
        raise MediaError("log_image got an empty list: pass at least one image")
    caps: list[Any]
    if captions is None:
        caps = [None] * len(items)
    else:
        caps = [captions] if isinstance(captions, str) else list(captions)
        if len(caps) != len(items):
            raise MediaError(
                f"log_image got {len(items)} images and {len(caps)} captions: pass one "
                "caption per image (or none)"
            )
    if max_pixels is not None and (not isinstance(max_pixels, int) or max_pixels < 1):
        raise MediaError(f"max_pixels is a positive int, not {max_pixels!r}")
    taken = [take(obj) for obj in items]
    q = _run_queue("log_image")
    if q is None:
        return
    at = q.next_step(name, step)

    def job(blobs: Any) -> list[dict[str, Any]]:
        rows = []
        for idx, ((kind, value), cap) in enumerate(zip(taken, caps, strict=True)):
            out = encode(kind, value, max_pixels)
            data, mime = out["main"]
            meta = {k: out[k] for k in ("width", "height", "mode")}
            if out["display"] is not None:
                meta["display"] = _put(blobs, out["display"])
            rows.append(
                _row(
                    name,
                    "image",
                    at,
                    idx,
                    None if cap is None else str(cap),
                    _put(blobs, data),
                    mime,
                    len(data),
                    meta,
                )
            )
        return rows

    q.submit(name, job)


def log_figure(name: str, fig: Any, step: int | None = None) -> None:
    """Log a matplotlib figure (PNG + SVG) or a plotly figure (HTML). A figure that
    fails to render is a warning: the run goes on."""
    from .figures import kind_of, render

    name = _name(name)
    kind_of(fig)
    q = _run_queue("log_figure")
    if q is None:
        return
    try:
        rendered = render(fig)
    except Exception as exc:  # noqa: BLE001 - a broken figure must not end training
        warnings.warn(
            f"nbtrack: figure {name!r} could not be rendered ({type(exc).__name__}: {exc}); "
            "it was not logged and the run goes on",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    at = q.next_step(name, step)
    title = _title(fig)

    def job(blobs: Any) -> list[dict[str, Any]]:
        if "html" in rendered:
            data, mime, meta = rendered["html"], "text/html", {"title": title}
        else:
            data, mime = rendered["png"], "image/png"
            meta = {"svg": _put(blobs, rendered["svg"]), "title": title}
        return [_row(name, "figure", at, 0, None, _put(blobs, data), mime, len(data), meta)]

    q.submit(name, job)


def _title(fig: Any) -> str | None:
    try:
        if hasattr(fig, "get_suptitle") and fig.get_suptitle():
            return str(fig.get_suptitle())
        axes = fig.get_axes() if hasattr(fig, "get_axes") else []
        return str(axes[0].get_title()) or None if axes else None
    except Exception:  # noqa: BLE001 - a title is a nicety
        return None


def log_table(name: str, df: Any, step: int | None = None) -> None:
    """Log a DataFrame (up to 1,000,000 rows) as Parquet; NaN stays NaN."""
    from .tables import arrow_table, parquet_bytes, table_meta

    name = _name(name)
    table = arrow_table(df)
    q = _run_queue("log_table")
    if q is None:
        return
    at = q.next_step(name, step)

    def job(blobs: Any) -> list[dict[str, Any]]:
        data = parquet_bytes(table)
        return [
            _row(
                name,
                "table",
                at,
                0,
                None,
                _put(blobs, data),
                "application/vnd.apache.parquet",
                len(data),
                table_meta(table),
            )
        ]

    q.submit(name, job)


def log_confusion_matrix(
    name: str,
    y_true: Any,
    y_pred: Any,
    labels: Sequence[Any] | None = None,
    step: int | None = None,
) -> None:
    """Log the confusion matrix of predictions (rows: true labels, columns:
    predicted), stored as a table and rendered as a heat map (PNG + SVG)."""
    from .figures import heatmap
    from .tables import arrow_table, confusion, confusion_frame, parquet_bytes, table_meta

    name = _name(name)
    matrix, names = confusion(y_true, y_pred, labels)
    table = arrow_table(confusion_frame(matrix, names))
    q = _run_queue("log_confusion_matrix")
    if q is None:
        return
    at = q.next_step(name, step)

    def job(blobs: Any) -> list[dict[str, Any]]:
        data = parquet_bytes(table)
        meta = table_meta(table)
        meta["labels"] = [str(n) for n in names]
        meta["matrix"] = matrix.tolist() if len(names) <= 100 else None
        pictures = heatmap(matrix, meta["labels"], name)
        meta["png"] = _put(blobs, pictures["png"])
        meta["svg"] = _put(blobs, pictures["svg"])
        return [
            _row(
                name,
                "confusion_matrix",
                at,
                0,
                None,
                _put(blobs, data),
                "application/vnd.apache.parquet",
                len(data),
                meta,
            )
        ]

    q.submit(name, job)


def log_histogram(name: str, values: Any, step: int | None = None, bins: Any = None) -> None:
    """Log the distribution of `values` as bins (64 by default), not the raw array."""
    from .tables import DEFAULT_BINS, histogram, json_bytes

    name = _name(name)
    hist = histogram(values, DEFAULT_BINS if bins is None else bins)
    q = _run_queue("log_histogram")
    if q is None:
        return
    at = q.next_step(name, step)
    data = json_bytes(hist)

    def job(blobs: Any) -> list[dict[str, Any]]:
        meta = {k: hist[k] for k in ("count", "nonfinite", "min", "max", "mean")}
        return [
            _row(
                name,
                "histogram",
                at,
                0,
                None,
                _put(blobs, data),
                "application/json",
                len(data),
                meta,
            )
        ]

    q.submit(name, job)


def log_text(name: str, text: str, step: int | None = None) -> None:
    """Log a piece of text (a sample generation, a report) at a step."""
    name = _name(name)
    if not isinstance(text, str):
        raise MediaError(f"log_text takes a str, not {type(text).__name__}: pass str(value)")
    q = _run_queue("log_text")
    if q is None:
        return
    at = q.next_step(name, step)
    data = text.encode("utf-8", "surrogatepass")
    preview = text[:200]

    def job(blobs: Any) -> list[dict[str, Any]]:
        return [
            _row(
                name,
                "text",
                at,
                0,
                None,
                _put(blobs, data),
                "text/plain; charset=utf-8",
                len(data),
                {"preview": preview, "chars": len(text)},
            )
        ]

    q.submit(name, job)
