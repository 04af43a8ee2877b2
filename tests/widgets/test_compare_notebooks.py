"""nbtrack.compare in real notebooks, and its text rendition in plain Python."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kernels import write_notebook
from widget_kernels import WIDGET_VIEW, descendants, displays, execute, series_labels, streams
from widget_kernels import widget_state as saved_widget_state

import nbtrack
from nbtrack.errors import NbtrackError
from nbtrack.store import forget_stores


def _cell(name: str, lr: float, n: int) -> str:
    return (
        f"%%track --no-plot --name {name}\nlr = {lr}\nopt = 'adam'\n"
        f"for i in range({n}):\n    nbtrack.log(loss={lr} * 10 / (i + 1), acc=i / {n})"
    )


FOLLOW = """import threading, time
def train():
    with nbtrack.start_run(name="bg", params={"lr": 0.5, "opt": "sgd"}):
        for i in range(40):
            nbtrack.log(loss=3 / (i + 1))
            time.sleep(0.05)
t = threading.Thread(target=train)
t.start()
time.sleep(0.3)
display(nbtrack.compare(["a", "b", "bg"], poll=0.3))
t.join()
time.sleep(1.5)"""
QUERY = 'nbtrack.compare(nbtrack.runs().query("`params.lr` < 0.2"))'


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("compare")
    path = write_notebook(
        folder / "cmp.ipynb",
        ["%load_ext nbtrack", _cell("a", 0.1, 300), _cell("b", 0.01, 200), FOLLOW, QUERY],
    )
    nb, client = execute(path)
    yield {"nb": nb, "client": client, "store": f"sqlite:///{folder}/.nbtrack/nbtrack.db"}
    forget_stores()


def _models(nb: Any, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for model in descendants(saved_widget_state(nb), data[WIDGET_VIEW]["model_id"]).values():
        by_kind.setdefault(model["model_name"], []).append(model["state"])
    return by_kind


@pytest.mark.slow
def test_compare_a_runs_query(compared: dict[str, Any]) -> None:
    (data,) = displays(compared["nb"].cells[4])
    assert set(data) == {WIDGET_VIEW, "image/svg+xml", "text/plain"}
    assert series_labels(data["image/svg+xml"]) == ["b", "a"]  # runs() is newest first
    lines = data["text/plain"].splitlines()
    assert lines[0].split() == ["run", "status", "*lr", "acc", "loss"]
    assert lines[1].split() == ["b", "finished", "0.01", "0.995", "0.0005"]
    assert lines[2].split() == ["a", "finished", "0.1", "0.9967", "0.003333"]
    models = _models(compared["nb"], data)
    (table,) = [m["value"] for m in models["HTMLModel"]]
    assert table.count('class="nbtrack-differs"') == 2  # lr of each run; opt is the same
    (picker,) = models["DropdownModel"]  # both logged by every run: by name
    assert picker["_options_labels"] == ["acc", "loss"] and picker["index"] == 0
    assert "acc" in [f["title"] for f in models["FigureModel"]]  # the chosen metric's curves
    assert len(models["LinesModel"]) == 2 + 2  # overlaid curves + parallel coordinates
    labels = sorted(tuple(m["labels"]) for m in models["LinesModel"])
    assert labels == [("a",), ("a",), ("b",), ("b",)]


@pytest.mark.slow
def test_compare_follows_a_running_run_until_it_ends(compared: dict[str, Any]) -> None:
    cell = compared["nb"].cells[3]
    assert streams(cell, "stderr") == ""
    (data,) = displays(cell)
    # The saved output is the final one: bg finished, three curves.
    assert series_labels(data["image/svg+xml"]) == ["a", "b", "bg"]
    rows = {line.split()[0]: line.split()[1:] for line in data["text/plain"].splitlines()[1:4]}
    assert rows["bg"] == ["finished", "0.5", "sgd", "0.075"]
    # While bg ran, the view showed it running and its curve grew.
    msgs = [m for _, i, m in compared["client"].messages if i == 3]
    shown = [
        m["content"]["data"]["state"]["value"]
        for m in msgs
        if m["msg_type"] == "comm_msg" and "value" in m["content"]["data"].get("state", {})
    ]
    shown = [v for v in shown if v.startswith("3 runs")]  # the header line
    assert "3 runs · 1 running" in shown and shown[-1] == "3 runs"
    assert any(m["msg_type"] == "update_display_data" for m in msgs)
    sizes = [
        m["content"]["data"]["state"]["y"]["shape"][0]
        for m in msgs
        if m["msg_type"] == "comm_msg"
        and m["content"]["data"].get("state", {}).get("y", {}).get("shape")
    ]
    assert len(set(sizes)) >= 3 and max(sizes) == 300  # several sizes: the bg curve grew
    run = nbtrack.get_run("bg", store=compared["store"])
    assert run.status == "finished" and run.metrics["loss"]["count"] == 40


def test_compare_in_plain_python_is_a_text_table(project: Path, capsys) -> None:
    for lr in (0.1, 0.2):
        with nbtrack.start_run(name=f"lr{lr}", params={"lr": lr, "seed": 0}):
            nbtrack.log(loss=lr)
    view = nbtrack.compare(["lr0.1", "latest"])
    text = repr(view)
    assert text.splitlines()[0].split() == ["run", "status", "*lr", "loss"]
    assert text.splitlines()[2].split() == ["lr0.2", "finished", "0.2", "0.2"]
    assert series_labels(view.picture()) == ["lr0.1", "lr0.2"]
    from IPython.display import display

    display(view)  # no kernel: the text, and nothing that needs a widget frontend
    out = capsys.readouterr()
    assert "lr0.2" in out.out and out.err == ""


def test_compare_says_what_to_do_with_bad_input(project: Path) -> None:
    with nbtrack.start_run(name="only"):
        nbtrack.log(loss=1.0)
    with pytest.raises(NbtrackError, match="got no runs"):
        nbtrack.compare([])
    with pytest.raises(NbtrackError, match="logged a metric named 'acc'; they have: loss"):
        nbtrack.compare("only", metric="acc")
    with pytest.raises(NbtrackError, match="nope"):
        nbtrack.compare(["nope"])
