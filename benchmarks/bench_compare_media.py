"""nbtrack.compare's media grid: how long the side-by-side HTML takes, and how big
it is, for runs with many images (no target in the issue: figures to watch).

    python benchmarks/bench_compare_media.py            # 4 runs x 5 names x 10 steps
    python benchmarks/bench_compare_media.py --quick    # 2 runs x 2 names x 2 steps (CI)

Four real runs (SQLite store in a temp project), each logging 5 image names x 10
steps x a group of 8 random 256x256 RGB images (1,600 media rows). Random noise is
the worst case for PNG size; photos and figures are several times smaller.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main(runs: int = 4, names: int = 5, steps: int = 10) -> None:
    import numpy as np

    import nbtrack

    rng = np.random.default_rng(0)
    refs = []
    for r in range(runs):
        with nbtrack.start_run(name=f"r{r}") as run:
            for step in range(steps):
                for n in range(names):
                    group = [rng.integers(0, 255, (256, 256, 3), dtype=np.uint8) for _ in range(8)]
                    nbtrack.log_image(f"img{n}", group, step=step)
        refs.append(run.ref)
    t0 = time.perf_counter()
    view = nbtrack.compare(refs)
    t1 = time.perf_counter()
    html = view.media_html()
    t2 = time.perf_counter()
    view.media_html()  # a poll's redraw with nothing new
    t3 = time.perf_counter()
    view.at_step(min(3, steps - 1))
    t4 = time.perf_counter()
    view.media_html()
    t5 = time.perf_counter()
    rows = runs * names * steps * 8
    print(
        f"{runs} runs x {names} names x {steps} steps x 8 images of 256x256 ({rows:,} media rows)"
    )
    print(f"{'compare() (runs, curves, media rows)':<44} {t1 - t0:>8.3f} s")
    print(f"{f'first media grid ({runs * names * 8} images embedded)':<44} {t2 - t1:>8.3f} s")
    print(f"{'  its HTML':<44} {len(html) / 1e6:>8.1f} MB")
    print(f"{'redraw, nothing changed':<44} {t3 - t2:>8.3f} s")
    print(f"{'another step (images read once)':<44} {t5 - t4:>8.3f} s")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        os.environ.pop("NBTRACK_STORE", None)
        quick = "--quick" in sys.argv[1:]
        main(*((2, 2, 2) if quick else (4, 5, 10)))
