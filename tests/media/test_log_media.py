"""log_image / log_figure / log_table / log_confusion_matrix / log_histogram /
log_text, read back through the Run object, on both store backends, with real
Pillow, matplotlib (Agg), pandas and pyarrow."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbtrack
from nbtrack.errors import NoActiveRunError
from nbtrack.media import MediaError


def _rgb(seed: int = 0, h: int = 64, w: int = 48) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_images_grouped_and_stepped_read_back_pixel_exact(backend: str, project: Path) -> None:
    from PIL import Image

    a, b = _rgb(1), _rgb(2)
    gray = np.linspace(0.0, 1.0, 32 * 16).reshape(32, 16)
    (project / "pic.png").write_bytes(b"")
    Image.fromarray(_rgb(3)).save(project / "pic.png")
    with nbtrack.start_run(name="imgs") as run:
        nbtrack.log_image("samples", [a, b], captions=["cat", "<b>dog</b>"])
        nbtrack.log_image("samples", [b, a])
        nbtrack.log_image("gray", gray, step=10)
        nbtrack.log_image("file", "pic.png")
        nbtrack.log_image("pil", Image.fromarray(a))
    r = nbtrack.get_run(run.ref)
    df = r.media()
    samples = df[df["name"] == "samples"]
    assert list(zip(samples["step"], samples["index"], strict=True)) == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    ]
    assert list(samples["caption"][:2]) == ["cat", "<b>dog</b>"]  # kept as text
    assert (r.image("samples", step=0, index=1, array=True) == b).all()
    assert (r.image("samples", array=True) == b).all()  # the last step by default
    assert (r.image("pil", array=True) == a).all()
    got = r.image("gray", step=10, array=True)
    assert got.shape == (32, 16) and got[0, 0] == 0 and got[-1, -1] == 255
    assert (project / "pic.png").read_bytes() == _blob(
        project, df[df["name"] == "file"]["hash"].iloc[0]
    )
    # the same pixels twice are one blob
    assert df[df["name"] == "samples"]["hash"].nunique() == 2


def _blob(project: Path, digest: str) -> bytes:
    from nbtrack.artifacts.context import context_for

    return context_for().blobs.read_bytes(digest)


def test_big_image_keeps_its_original_and_gets_a_display_copy(backend: str, project: Path) -> None:
    big = _rgb(4, h=600, w=800)
    with nbtrack.start_run() as run:
        nbtrack.log_image("big", big, max_pixels=10_000)
        nbtrack.log_image("small", _rgb(5, 50, 50), max_pixels=10_000)
    from nbtrack.media.records import select
    from nbtrack.query import store_for

    rows = {r["name"]: r for r in select(store_for(None), run.id)}
    assert (nbtrack.get_run(run.ref).image("big", array=True) == big).all()
    import io

    from PIL import Image

    display = Image.open(io.BytesIO(_blob(project, rows["big"]["meta"]["display"])))
    assert display.size[0] * display.size[1] <= 10_000 and display.size[0] / display.size[
        1
    ] == pytest.approx(4 / 3, rel=0.05)
    assert (rows["big"]["meta"]["width"], rows["big"]["meta"]["height"]) == (800, 600)
    assert "display" not in rows["small"]["meta"]


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (np.zeros((3, 32, 32), dtype=np.uint8), "channels first"),
        (np.zeros((4, 4, 5), dtype=np.uint8), "(H, W, 3)"),
        (np.zeros((2, 4, 4, 3), dtype=np.uint8), "got shape (2, 4, 4, 3)"),
        (np.zeros((4, 4), dtype=np.int32), "dtype uint8"),
        (np.full((4, 4), 3.0), "values in [0, 1]"),
        (np.full((4, 4), np.nan), "NaN"),
        ({"not": "an image"}, "numpy array"),
    ],
)
def test_wrong_images_say_what_is_expected(project: Path, bad: object, says: str) -> None:
    with nbtrack.start_run():
        with pytest.raises(MediaError, match=None) as info:
            nbtrack.log_image("x", bad)
    assert says in str(info.value)


def test_media_outside_a_run_is_a_clear_error(project: Path) -> None:
    with pytest.raises(NoActiveRunError, match="outside a run"):
        nbtrack.log_image("x", _rgb())


def test_figure_png_and_svg_and_a_broken_figure_warns(backend: str, project: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2])
    ax.set_title("loss <i>curve</i>")
    from matplotlib.artist import Artist

    class Exploding(Artist):
        def draw(self, renderer: object) -> None:
            raise ValueError("cannot draw this")

    broken, bax = plt.subplots()
    bax.add_artist(Exploding())  # savefig raises, as a buggy user artist would
    with nbtrack.start_run() as run:
        nbtrack.log_figure("curve", fig)
        with pytest.warns(RuntimeWarning, match="'bad' could not be rendered"):
            nbtrack.log_figure("bad", broken)
        nbtrack.log(after=1.0)
    plt.close("all")
    r = nbtrack.get_run(run.ref)
    assert r.status.value == "finished" if hasattr(r.status, "value") else r.status == "finished"
    assert list(r.media()["name"]) == ["curve"]
    f = r.figure("curve")
    assert f.png.startswith(b"\x89PNG") and b"<svg" in f.svg
    assert f.to_image().size[0] > 100
    with pytest.raises(MediaError, match="matplotlib Figure"):
        with nbtrack.start_run():
            nbtrack.log_figure("x", object())


def test_table_keeps_nan_and_types(backend: str, project: Path) -> None:
    df = pd.DataFrame(
        {"a": [1.5, np.nan, 3.0], "b": ["x", None, "<script>z</script>"], "c": [1, 2, 3]}
    )
    with nbtrack.start_run() as run:
        nbtrack.log_table("preds", df)
        df.loc[0, "a"] = 99.0  # changed after logging: the logged snapshot stays
    got = nbtrack.get_run(run.ref).table("preds")
    assert got["a"].iloc[0] == 1.5 and np.isnan(got["a"].iloc[1])
    assert list(got["b"][[0, 2]]) == ["x", "<script>z</script>"] and pd.isna(got["b"].iloc[1])
    assert list(got["c"]) == [1, 2, 3]


def test_table_over_a_million_rows_is_refused(project: Path) -> None:
    with nbtrack.start_run():
        with pytest.raises(MediaError, match="up to 1,000,000 rows"):
            nbtrack.log_table("big", pd.DataFrame({"a": np.zeros(1_000_001)}))
        with pytest.raises(MediaError, match="pandas DataFrame"):
            nbtrack.log_table("t", [[1, 2]])


def test_confusion_matrix_is_a_table_and_a_figure(backend: str, project: Path) -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_confusion_matrix(
            "cm",
            ["cat", "dog", "dog", "bird"],
            ["cat", "cat", "dog", "bird"],
            labels=["cat", "dog", "bird"],
        )
    r = nbtrack.get_run(run.ref)
    t = r.table("cm")
    assert list(t.columns) == ["true", "cat", "dog", "bird"]
    assert t.set_index("true").loc["dog"].tolist() == [1, 1, 0]
    assert r.figure("cm").png.startswith(b"\x89PNG")
    with nbtrack.start_run():
        with pytest.raises(MediaError, match="not in labels"):
            nbtrack.log_confusion_matrix("cm", [0, 1], [0, 2], labels=[0, 1])


def test_histogram_keeps_bins_not_values(backend: str, project: Path) -> None:
    values = np.concatenate([np.random.default_rng(0).normal(size=100_000), [np.nan, np.inf]])
    with nbtrack.start_run() as run:
        nbtrack.log_histogram("weights", values, step=7)
    r = nbtrack.get_run(run.ref)
    h = r.histogram("weights", step=7)
    assert sum(h["counts"]) == 100_000 and h["nonfinite"] == 2 and len(h["edges"]) == 65
    assert r.media()["size"].iloc[0] < 10_000  # bins, not 800 KB of floats


def test_text_by_step(backend: str, project: Path) -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_text("sample", "first")
        nbtrack.log_text("sample", "ünïcode <b>second</b>")
    r = nbtrack.get_run(run.ref)
    assert r.text("sample", step=0) == "first" and r.text("sample") == "ünïcode <b>second</b>"
    with pytest.raises(MediaError, match="no step 5"):
        r.text("sample", step=5)
    with pytest.raises(MediaError, match="no text named 'nope'; it has 'sample'"):
        r.text("nope")


def test_media_queued_before_a_failure_are_kept(backend: str, project: Path) -> None:
    images = [_rgb(i, 128, 128) for i in range(30)]
    with pytest.raises(ZeroDivisionError):
        with nbtrack.start_run() as run:
            for i, img in enumerate(images):
                nbtrack.log_image("frames", img, step=i)
            1 / 0  # noqa: B018
    r = nbtrack.get_run(run.ref)
    assert r.status == "failed" or getattr(r.status, "value", None) == "failed"
    assert len(r.media()) == 30
    assert (r.image("frames", step=29, array=True) == images[29]).all()


def test_gc_keeps_the_blobs_of_logged_media(backend: str, project: Path) -> None:
    from nbtrack.artifacts import gc
    from nbtrack.artifacts.context import context_for

    with nbtrack.start_run() as run:
        nbtrack.log_image("x", _rgb(9))
    plan = gc.plan(context_for(), grace=-1.0)
    assert plan.blobs == []
    assert (nbtrack.get_run(run.ref).image("x", array=True) == _rgb(9)).all()


def test_unknown_media_name_type_and_step(project: Path) -> None:
    with nbtrack.start_run():
        with pytest.raises(MediaError, match="short non-empty string"):
            nbtrack.log_text("", "x")
        with pytest.raises(MediaError, match="non-negative int"):
            nbtrack.log_text("t", "x", step=-1)
        with pytest.raises(MediaError, match="takes a str"):
            nbtrack.log_text("t", 3)  # type: ignore[arg-type]
    warnings.simplefilter("default")
