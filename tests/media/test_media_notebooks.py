"""Media logged from `%%track` cells in a real kernel (nbclient): kept when the
cell ends and when it fails, read back from this process, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from kernels import outputs_text, run_notebook, write_notebook

import nbtrack

pytestmark = pytest.mark.slow

CELLS = [
    "%load_ext nbtrack",
    """%%track --name train
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
digits = load_digits()
for step in range(3):
    nbtrack.log_image("digits", [d / 16.0 for d in digits.images[step * 4 : step * 4 + 4]],
                      captions=[str(t) for t in digits.target[step * 4 : step * 4 + 4]])
fig, ax = plt.subplots()
ax.plot([3, 2, 1])
nbtrack.log_figure("loss", fig)
nbtrack.log_confusion_matrix("cm", digits.target[:50], digits.target[:50])""",
    """%%track --name broken
frames = [np.full((64, 64, 3), i, dtype=np.uint8) for i in range(40)]
for i, f in enumerate(frames):
    nbtrack.log_image("frames", f, step=i)
raise RuntimeError("diverged")""",
]


def test_media_from_tracked_cells_survive_the_cell_and_its_failure(
    backend: str, project: Path
) -> None:
    nb = run_notebook(write_notebook(project / "media.ipynb", CELLS), allow_errors=True)
    assert "diverged" in outputs_text(nb)
    train = nbtrack.get_run("media#1")
    media = train.media()
    assert sorted(set(media["name"])) == ["cm", "digits", "loss"]
    digits = media[media["name"] == "digits"]
    assert sorted(set(digits["step"])) == [0, 1, 2] and len(digits) == 12
    img = train.image("digits", step=2, index=3, array=True)
    assert img.shape == (8, 8) and img.max() > 0
    assert train.table("cm").shape == (10, 11)  # the true label column and 10 classes
    broken = nbtrack.get_run("media#2")
    assert str(getattr(broken.status, "value", broken.status)) == "failed"
    assert len(broken.media()) == 40
    assert broken.image("frames", step=39, array=True)[0, 0].tolist() == [39, 39, 39]
