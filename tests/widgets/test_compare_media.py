"""nbtrack.compare shows the runs' images and figures side by side at a chosen step
(default: each run's last step of each name), tables and confusion matrices as a
summary, "—" where a run has nothing; all user text escaped. Real runs logging
real images (Pillow, matplotlib) into both store backends."""

from __future__ import annotations

import base64
import io
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbtrack
from nbtrack.widgets.compare_media import NONE, media_grid

os.environ.setdefault("MPLBACKEND", "Agg")

CAPTION = "<script>alert('x')</script>"


@pytest.fixture(autouse=True)
def _fresh_artifact_contexts() -> Iterator[None]:
    from nbtrack.artifacts.context import forget_contexts

    forget_contexts()
    yield
    forget_contexts()


def _shade(run: int, step: int) -> int:
    return 40 * run + 10 * step


def _log_runs() -> list[str]:
    """a: pic at steps 0..2 (captioned) and a figure; b: pic at 0..1, a table and a
    confusion matrix; c: no media at all."""
    import matplotlib.pyplot as plt

    refs = []
    with nbtrack.start_run(name="a") as run:
        for step in range(3):
            pic = np.full((6, 6, 3), _shade(0, step), dtype=np.uint8)
            nbtrack.log_image("pic", pic, captions=CAPTION, step=step)
            nbtrack.log(loss=1.0 / (step + 1), step=step)
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [1, 0])
        nbtrack.log_figure("<curve>", fig)
        plt.close(fig)
    refs.append(run.ref)
    with nbtrack.start_run(name="b") as run:
        for step in range(2):
            group = [np.full((6, 6), _shade(1, step) + i, dtype=np.uint8) for i in range(2)]
            nbtrack.log_image("pic", group, step=step)
            nbtrack.log(loss=2.0 / (step + 1), step=step)
        nbtrack.log_table("per_class", pd.DataFrame({"label": ["x", "y"], "f1": [0.5, 0.7]}))
        nbtrack.log_confusion_matrix("cm", ["no", "no", "yes", "yes"], ["no", "yes", "yes", "yes"])
    refs.append(run.ref)
    with nbtrack.start_run(name="c") as run:
        nbtrack.log(loss=3.0)
    refs.append(run.ref)
    return refs


def _grid(html: str) -> dict[str, list[ET.Element]]:
    """{media name: its cells, one per run} from the comparison's HTML."""
    table = ET.fromstring(html)  # well-formed: no user text opened a tag
    rows = list(table.iter("tr"))
    out = {}
    for tr in rows[1:]:
        label, *cells = list(tr)
        out[label.find("code").text] = cells
    return out


def _pixels(cell: ET.Element) -> list[int]:
    """The first pixel's value of each image in a cell."""
    from PIL import Image

    out = []
    for img in cell.iter("img"):
        src = img.get("src")
        assert src.startswith("data:image/png;base64,")
        pic = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        first = np.asarray(pic).reshape(-1)[0]
        out.append(int(first))
    return out


def test_images_side_by_side_at_each_runs_last_step(backend: str, project: Path) -> None:
    a, b, c = _log_runs()
    view = nbtrack.compare([a, b, c])
    html = view.media_html()
    grid = _grid(html)
    assert sorted(grid) == ["<curve>", "cm", "per_class", "pic"]
    pic_a, pic_b, pic_c = grid["pic"]
    assert _pixels(pic_a) == [_shade(0, 2)]  # a's last step is 2
    assert _pixels(pic_b) == [_shade(1, 1), _shade(1, 1) + 1]  # b's is 1: its group of two
    assert "".join(pic_c.itertext()).strip() == NONE  # c logged no images
    assert len(_pixels(grid["<curve>"][0])) == 1 and _pixels(grid["<curve>"][1]) == []
    table_b = "".join(grid["per_class"][1].itertext())
    assert "2 rows × 2 columns: label, f1" in table_b
    assert "2×2 confusion matrix, accuracy 0.75 of 4" in "".join(grid["cm"][1].itertext())
    assert "".join(grid["cm"][0].itertext()).strip() == NONE
    # user text is text: the caption and the figure's name are escaped, never markup
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;curve&gt;" in html
    assert CAPTION in "".join(pic_a.itertext())
    text = repr(view)
    assert "media (each run's last step):" in text and "    c: —" in text
    assert "    b: step 1 (2 images)" in text


def test_a_chosen_step_and_runs_without_it(backend: str, project: Path) -> None:
    a, b, c = _log_runs()
    view = nbtrack.compare([a, b, c], step=1)
    pic_a, pic_b, pic_c = _grid(view.media_html())["pic"]
    assert _pixels(pic_a) == [_shade(0, 1)] and _pixels(pic_b)[0] == _shade(1, 1)
    view.at_step(2)  # what the step picker does
    assert view.media_steps() == [0, 1, 2]
    grid = _grid(view.media_html())
    pic_a, pic_b, pic_c = grid["pic"]
    assert _pixels(pic_a) == [_shade(0, 2)]
    assert "".join(pic_b.itertext()).strip() == NONE  # b has no step 2
    assert pic_b.get("title") == "no step 2; steps: 0, 1"
    # the output carries the HTML for frontends without widgets, after the text
    data = view._bundle()
    assert {"text/plain", "image/svg+xml", "text/html"} <= set(data)
    shown = data["text/html"]
    assert shown.count("data:image/png;base64,") == 1  # a's pic: the figure has no step 2
    assert shown.startswith('<div><img src="data:image/svg+xml;base64,')  # the curves first


def test_big_images_are_embedded_scaled_down(project: Path) -> None:
    from PIL import Image

    big = np.zeros((800, 1200, 3), dtype=np.uint8)
    big[:, 600:] = 255
    with nbtrack.start_run(name="photo"):
        nbtrack.log_image("photo", big)
    (cell,) = _grid(nbtrack.compare(["photo"]).media_html())["photo"]
    (img,) = cell.iter("img")
    shown = Image.open(io.BytesIO(base64.b64decode(img.get("src").split(",", 1)[1])))
    assert shown.size == (480, 320)  # twice the 240 px shown: sharp, not megabytes
    assert np.asarray(shown)[160, 100].tolist() == [0, 0, 0]
    assert np.asarray(shown)[160, 380].tolist() == [255, 255, 255]
    run = nbtrack.get_run("photo")
    assert run.image("photo").size == (1200, 800)  # the original is kept


def test_runs_without_media_add_nothing(project: Path) -> None:
    with nbtrack.start_run(name="plain"):
        nbtrack.log(loss=1.0)
    view = nbtrack.compare(["plain"])
    assert view.media_html() == "" and view.media_text() == ""
    assert "text/html" not in view._bundle() and "media" not in repr(view)


def test_grid_by_name_across_kinds_and_steps() -> None:
    def row(name: str, kind: str, step: int, idx: int = 0) -> dict:
        return {"name": name, "kind": kind, "step": step, "idx": idx, "meta": {}}

    runs = [
        [row("p", "image", 0), row("p", "image", 4, 1), row("p", "image", 4, 0)],
        [row("t", "text", 0), row("p", "image", 2)],
    ]
    (p,) = media_grid(runs, None)  # texts are not shown side by side
    assert [c.step for c in p.cells] == [4, 2]
    assert [r["idx"] for r in p.cells[0].rows] == [0, 1]
    (p,) = media_grid(runs, 2)
    assert p.cells[0].rows == [] and p.cells[0].other_steps == [0, 4]
    assert p.cells[1].step == 2
