"""Log media into the Galata server's project, for the Media view specs:

    python media_seed.py compare TAG   # runs media-TAG-a and media-TAG-b: image groups at
                                       # steps 0-2 (captions a2-0, b1-1, ...) and a
                                       # histogram "weights" over 30 steps each
    python media_seed.py grid TAG 1000 # run grid-TAG: 1,000 images (32x32) at one step

Real runs through `nbtrack.start_run` and the real media path (PNG encoding,
content-addressed blobs, the media index), in the project the server serves
(the working folder is its root). Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys

from seed_runs import server_root


def _image(seed: int, side: int) -> object:
    import numpy as np

    yy, xx = np.mgrid[0:side, 0:side]
    r = (xx * 7 + seed * 37) % 256
    g = (yy * 5 + seed * 91) % 256
    b = np.full((side, side), (seed * 53) % 256)
    return np.stack([r, g, b], -1).astype(np.uint8)


def compare(tag: str) -> dict[str, object]:
    import numpy as np

    import nbtrack

    refs = []
    for who, (n_images, spread) in {"a": (3, 1.0), "b": (2, 0.4)}.items():
        rng = np.random.default_rng(len(who))
        offset = 50 if who == "b" else 0
        with nbtrack.start_run(f"media-{tag}-{who}") as run:
            for step in range(3):
                nbtrack.log_image(
                    "samples",
                    [_image(step * 10 + i + offset, 48) for i in range(n_images)],
                    captions=[f"{who}{step}-{i}" for i in range(n_images)],
                    step=step,
                )
            for step in range(30):
                values = rng.normal(step * 0.1 * (1 if who == "a" else -1), spread, 500)
                nbtrack.log_histogram("weights", values, step=step)
        refs.append(run.ref)
    return {"runs": refs}


def grid(tag: str, n: int) -> dict[str, object]:
    import nbtrack

    with nbtrack.start_run(f"grid-{tag}") as run:
        nbtrack.log_image(
            "grid", [_image(i, 32) for i in range(n)], captions=[f"g{i}" for i in range(n)], step=0
        )
    return {"run": run.ref, "images": n}


if __name__ == "__main__":
    os.chdir(server_root())
    what, tag = sys.argv[1], sys.argv[2]
    out = compare(tag) if what == "compare" else grid(tag, int(sys.argv[3]))
    print(json.dumps(out))
