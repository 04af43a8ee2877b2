"""nbtrack.compare's media in a real kernel: the widget view holds a step picker and
the images side by side; picking a step redraws them and updates the saved output,
whose text/html shows them in frontends without widgets."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from kernels import write_notebook
from widget_kernels import WIDGET_VIEW, descendants, displays, execute, streams
from widget_kernels import widget_state as saved_widget_state

pytestmark = pytest.mark.slow


def _cell(name: str, base: int, steps: int) -> str:
    return (
        f"%%track --no-plot --name {name}\nimport numpy as np\n"
        f"for step in range({steps}):\n"
        f"    nbtrack.log(loss=1 / (step + 1), step=step)\n"
        f"    nbtrack.log_image('pic', np.full((4, 4), {base} + step, dtype=np.uint8),"
        f" captions='<b>{name}</b>', step=step)"
    )


PICK = "view._view.step_picker.value = 2  # as the frontend's dropdown does"


def _first_pixels(html: str) -> list[int]:
    from PIL import Image

    found = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    return [
        int(np.asarray(Image.open(io.BytesIO(base64.b64decode(b)))).reshape(-1)[0]) for b in found
    ]


def test_the_step_picker_shows_the_images_at_that_step(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "media.ipynb",
        [
            "%load_ext nbtrack",
            _cell("a", 10, 3),
            _cell("b", 100, 2),
            'view = nbtrack.compare(["a", "b"], step=1)\ndisplay(view)',
            PICK,
        ],
    )
    nb, _ = execute(path)
    assert streams(nb.cells[3], "stderr") == "" and streams(nb.cells[4], "stderr") == ""
    (data,) = displays(nb.cells[3])
    assert {WIDGET_VIEW, "text/html", "text/plain", "image/svg+xml"} <= set(data)
    # The saved output was updated by the pick: a at step 2, b has no step 2.
    assert _first_pixels(data["text/html"]) == [12]
    assert "media (step 2):" in data["text/plain"] and "    b: —" in data["text/plain"]
    assert "&lt;b&gt;a&lt;/b&gt;" in data["text/html"] and "<b>a</b>" not in data["text/html"]
    models = descendants(saved_widget_state(nb), data[WIDGET_VIEW]["model_id"]).values()
    pickers = [m["state"] for m in models if m["model_name"] == "DropdownModel"]
    step = next(p for p in pickers if p.get("description") == "media step")
    assert step["_options_labels"] == ["last", "0", "1", "2"] and step["index"] == 3
    media = [
        m["state"]["value"]
        for m in models
        if m["model_name"] == "HTMLModel" and "nbtrack-compare-media" in m["state"]["value"]
    ]
    assert len(media) == 1 and _first_pixels(media[0]) == [12]
