"""Run notebooks in real kernels and look at what a frontend would receive."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import nbformat
from kernels import kernel_environment
from nbclient import NotebookClient

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SVG_NS = "{http://www.w3.org/2000/svg}"


class RecordingClient(NotebookClient):
    """nbclient, noting every message the kernel sends while cells run (with arrival
    times), the way a frontend would receive them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.messages: list[tuple[float, int, dict[str, Any]]] = []

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        self.messages.append((time.monotonic(), cell_index, msg))
        return super().process_message(msg, cell, cell_index)


def execute(
    path: Path, allow_errors: bool = False, env: dict[str, str] | None = None
) -> tuple[nbformat.NotebookNode, RecordingClient]:
    """Execute the notebook at `path` in a fresh kernel (told its notebook path),
    save it, and return it with the client that ran it."""
    nb = nbformat.read(path, as_version=4)
    with kernel_environment(path, env):
        client = RecordingClient(
            nb,
            timeout=120,
            allow_errors=allow_errors,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    nbformat.write(nb, path)
    return nbformat.read(path, as_version=4), client


def widget_state(nb: nbformat.NotebookNode) -> dict[str, Any]:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def displays(cell: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [o["data"] for o in cell.outputs if o.output_type == "display_data"]


def streams(cell: nbformat.NotebookNode, name: str = "stdout") -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == name)


def series_labels(svg: str) -> list[str]:
    """The labels of the curves drawn in an SVG picture (parsing it as XML)."""
    root = ET.fromstring(svg)
    return [p.get("data-label") for p in root.iter(f"{SVG_NS}polyline")]


def descendants(state: dict[str, Any], model_id: str) -> dict[str, dict[str, Any]]:
    """The widget models reachable from `model_id` in a saved widget state."""
    found: dict[str, dict[str, Any]] = {}
    todo = [model_id]
    while todo:
        mid = todo.pop()
        if mid in found or mid not in state:
            continue
        found[mid] = state[mid]
        stack: list[Any] = [state[mid]["state"]]
        while stack:
            value = stack.pop()
            if isinstance(value, str) and value.startswith("IPY_MODEL_"):
                todo.append(value[len("IPY_MODEL_") :])
            elif isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
    return found
