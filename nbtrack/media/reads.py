"""Reads of a run's media: the media DataFrame, a table, an image, a figure, a
text, a histogram. Hooked onto `nbtrack.Run` (query.py) as methods."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import MediaError, MediaNotFoundError
from .records import select

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["name", "kind", "step", "index", "caption", "hash", "mime", "size"]


def _store(run: Any) -> Any:
    from ..query import store_for

    return store_for(run._store)


def _blobs(run: Any) -> Any:
    """The blob storage of the run's project (media/where.py), which need not be the
    current one when the run was read through `store=`."""
    from .where import blobs_for_store

    url = getattr(run._store, "url", None)
    if url is None:
        from ..artifacts.context import context_for

        return context_for().blobs
    return blobs_for_store(url)


def media(run: Any) -> pd.DataFrame:
    """One row per logged image, figure, table, ...: name, kind, step, index
    (within a group), caption, hash, mime, size."""
    import pandas as pd

    rows = select(_store(run), run.id)
    return pd.DataFrame(
        [
            [
                r["name"],
                r["kind"],
                r["step"],
                r["idx"],
                r["caption"],
                r["hash"],
                r["mime"],
                r["size"],
            ]
            for r in rows
        ],
        columns=COLUMNS,
    )


def find(
    run: Any, name: str, kinds: tuple[str, ...], step: int | None, index: int = 0
) -> dict[str, Any]:
    """The row of `name` at `step` (default: the last step) and position `index`."""
    rows = [r for r in select(_store(run), run.id, name=name) if r["kind"] in kinds]
    if not rows:
        others = sorted({r["name"] for r in select(_store(run), run.id) if r["kind"] in kinds})
        raise MediaNotFoundError(
            f"run {run.ref} has no {' or '.join(kinds)} named {name!r}"
            + (f"; it has {', '.join(map(repr, others[:10]))}" if others else "")
            + " (run.media() lists what it logged)"
        )
    if step is None:
        step = max(r["step"] for r in rows)
    at = [r for r in rows if r["step"] == step]
    if not at:
        steps = sorted({r["step"] for r in rows})
        raise MediaNotFoundError(
            f"{name!r} of run {run.ref} has no step {step}: its steps are "
            f"{steps[:10]}{' ...' if len(steps) > 10 else ''}"
        )
    if not 0 <= index < len(at):
        raise MediaNotFoundError(
            f"{name!r} at step {step} holds {len(at)} items: index 0..{len(at) - 1}"
        )
    return at[index]


def table(run: Any, name: str, step: int | None = None) -> pd.DataFrame:
    """A logged table (or confusion matrix) as a DataFrame, NaN kept."""
    from .tables import read_parquet

    row = find(run, name, ("table", "confusion_matrix"), step)
    return read_parquet(_blobs(run).read_bytes(row["hash"]))


def image(run: Any, name: str, step: int | None = None, index: int = 0, array: bool = False) -> Any:
    """A logged image as a PIL image (array=True: a numpy array), as logged."""
    from PIL import Image

    row = find(run, name, ("image",), step, index)
    img = Image.open(io.BytesIO(_blobs(run).read_bytes(row["hash"])))
    img.load()
    if array:
        import numpy as np

        return np.asarray(img)
    return img


@dataclass
class Figure:
    """A logged figure: its PNG and SVG (matplotlib) or HTML (plotly) bytes.
    Shown in a notebook as its PNG."""

    name: str
    step: int
    png: bytes | None
    svg: bytes | None
    html: bytes | None

    def _repr_png_(self) -> bytes | None:
        return self.png

    def to_image(self) -> Any:
        from PIL import Image

        if self.png is None:
            raise MediaError(f"figure {self.name!r} is a plotly figure: it has HTML, no PNG")
        return Image.open(io.BytesIO(self.png))


def figure(run: Any, name: str, step: int | None = None) -> Figure:
    row = find(run, name, ("figure", "confusion_matrix"), step)
    blobs = _blobs(run)
    meta = row["meta"]
    if row["kind"] == "confusion_matrix":
        return Figure(
            name, row["step"], blobs.read_bytes(meta["png"]), blobs.read_bytes(meta["svg"]), None
        )
    if row["mime"] == "text/html":
        return Figure(name, row["step"], None, None, blobs.read_bytes(row["hash"]))
    return Figure(
        name, row["step"], blobs.read_bytes(row["hash"]), blobs.read_bytes(meta["svg"]), None
    )


def text(run: Any, name: str, step: int | None = None) -> str:
    row = find(run, name, ("text",), step)
    return _blobs(run).read_bytes(row["hash"]).decode("utf-8", "surrogatepass")


def histogram(run: Any, name: str, step: int | None = None) -> dict[str, Any]:
    """{edges, counts, count, nonfinite, min, max, mean} of a logged histogram."""
    import json

    row = find(run, name, ("histogram",), step)
    return dict(json.loads(_blobs(run).read_bytes(row["hash"])))
