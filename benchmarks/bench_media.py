"""Media benchmark: the speed figures of the rich-media issue, each beside its limit.

    python benchmarks/bench_media.py            # the issue's sizes (a 200-megapixel image too)
    python benchmarks/bench_media.py --quick    # small sizes, seconds

Figures, measured in one run on this machine (a fresh project in a temp folder,
local blob storage, SQLite store):

- `log_image` of a 256x256 RGB uint8 array: what the caller waits per call
  (target <= 5 ms), beside the background worker's cost per image until the
  run's end has drained the queue, and `PIL.Image.save(..., "PNG")` of the same
  array (the encoding limit the worker cannot beat);
- `log_table` of a 100,000-row DataFrame, call plus the Parquet write and store
  in the worker (target <= 0.5 s), beside `df.to_parquet` of the same frame;
- a big image (200 megapixels full, 20 quick): the original kept, a display
  copy made; time until stored, beside its PNG encoding alone.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def _row(figure: str, measured: str, limit: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("ok" if ok else "OVER")
    print(f"{figure:<48} {measured:>16}  {limit:<30} {verdict}")


def bench_images(n: int) -> None:
    import numpy as np
    from PIL import Image

    import nbtrack

    rng = np.random.default_rng(0)
    # Smooth-ish pictures (a gradient plus noise) compress like real ones.
    base = np.linspace(0, 200, 256 * 256 * 3).reshape(256, 256, 3)
    images = [(base + rng.integers(0, 50, base.shape)).astype(np.uint8) for _ in range(n)]
    waits = []
    with nbtrack.start_run(name="bench-images") as run:
        for i, img in enumerate(images):
            start = time.perf_counter()
            nbtrack.log_image("frames", img, step=i)
            waits.append(time.perf_counter() - start)
        drain_start = time.perf_counter()
    drained = time.perf_counter() - drain_start
    stored = len(nbtrack.get_run(run.ref).media())
    enc = []
    for img in images[: min(n, 50)]:
        start = time.perf_counter()
        Image.fromarray(img).save(io.BytesIO(), format="PNG")
        enc.append(time.perf_counter() - start)
    per_call = statistics.median(waits)
    p95 = sorted(waits)[int(0.95 * (len(waits) - 1))]
    _row(
        "log_image 256x256 RGB: caller waits (median)",
        f"{per_call * 1e3:.2f} ms",
        "<= 5 ms",
        per_call <= 0.005,
    )
    _row("log_image 256x256 RGB: caller waits (p95)", f"{p95 * 1e3:.2f} ms", "", None)
    _row(f"  run end drains the rest ({stored}/{n} stored)", f"{drained:.2f} s", "", stored == n)
    _row(
        "  PIL.Image.save PNG, same arrays (limit)",
        f"{statistics.median(enc) * 1e3:.2f} ms",
        "the worker's floor per image",
        None,
    )


def bench_table(rows: int) -> None:
    import numpy as np
    import pandas as pd

    import nbtrack

    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "id": np.arange(rows),
            "y_true": rng.integers(0, 10, rows),
            "y_pred": rng.integers(0, 10, rows),
            "score": rng.random(rows),
            "label": rng.choice(["cat", "dog", "bird"], rows),
        }
    )
    df.loc[::97, "score"] = np.nan
    start = time.perf_counter()
    with nbtrack.start_run(name="bench-table") as run:
        call_start = time.perf_counter()
        nbtrack.log_table("preds", df)
        call = time.perf_counter() - call_start
    total = time.perf_counter() - start
    back = nbtrack.get_run(run.ref).table("preds")
    start = time.perf_counter()
    df.to_parquet(io.BytesIO())
    limit = time.perf_counter() - start
    _row(f"log_table {rows:,} rows: call", f"{call:.3f} s", "", None)
    _row(
        f"log_table {rows:,} rows: call + stored (run end)",
        f"{total:.3f} s",
        "<= 0.5 s",
        total <= 0.5 and len(back) == rows,
    )
    _row("  df.to_parquet, same frame (limit)", f"{limit:.3f} s", "", None)


def bench_big_image(megapixels: int) -> None:
    import numpy as np
    from PIL import Image

    import nbtrack

    side = int((megapixels * 1e6) ** 0.5)
    img = np.zeros((side, side), dtype=np.uint8)
    img[::64, :] = 255
    img[:, ::64] = 255
    start = time.perf_counter()
    with nbtrack.start_run(name="bench-big") as run:
        call_start = time.perf_counter()
        nbtrack.log_image("scan", img)
        call = time.perf_counter() - call_start
    total = time.perf_counter() - start
    from nbtrack.media.records import select
    from nbtrack.query import store_for

    row = select(store_for(None), run.id)[0]
    start = time.perf_counter()
    Image.fromarray(img).save(io.BytesIO(), format="PNG")
    limit = time.perf_counter() - start
    ok = (row["meta"]["width"], row["meta"]["height"]) == (side, side) and "display" in row["meta"]
    _row(f"log_image {side * side / 1e6:.0f} MP gray: call", f"{call:.3f} s", "", None)
    _row("  stored with a display copy (run end)", f"{total:.2f} s", "original kept", ok)
    _row("  PIL.Image.save PNG alone (limit)", f"{limit:.2f} s", "", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args()
    images, rows, megapixels = (100, 100_000, 20) if args.quick else (1_000, 100_000, 200)
    base = Path(tempfile.mkdtemp(prefix="nbtrack-bench-media-"))
    os.chdir(base)
    os.environ.pop("NBTRACK_STORE", None)
    os.environ.pop("NBTRACK_ARTIFACTS", None)
    print(f"nbtrack media benchmark ({'quick' if args.quick else 'full'}), in {base}")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    from nbtrack.artifacts.context import context_for

    context_for()  # open (create and migrate) the store before anything is timed
    _row("figure", "measured", "limit", None)
    try:
        bench_images(images)
        bench_table(rows)
        bench_big_image(megapixels)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
