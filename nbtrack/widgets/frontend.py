"""Where views are shown: is there a kernel, can widgets be made, and the MIME
bundles that carry a widget view together with its static rendition."""

from __future__ import annotations

import sys
from typing import Any

from ..errors import NbtrackError

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class ChartUnavailableError(NbtrackError):
    """ipywidgets or bqplot cannot be imported: views fall back to text and pictures."""


def in_kernel() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, VS Code, nbclient,
    papermill); False in plain IPython or a script, where widgets cannot be shown."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def widget_libraries() -> tuple[Any, Any]:
    """(ipywidgets, bqplot), or ChartUnavailableError saying how to get them."""
    try:
        import bqplot
        import ipywidgets
    except ImportError as exc:
        raise ChartUnavailableError(
            f"interactive charts need ipywidgets and bqplot ({exc}); "
            "`pip install ipywidgets bqplot` to get them back, or pass --no-plot"
        ) from exc
    return ipywidgets, bqplot


def bundle(widget: Any | None, text: str, svg: str | None = None) -> dict[str, Any]:
    """A display bundle: the widget view (when there is a widget), the picture and the text.
    Frontends show the richest part they can render."""
    data: dict[str, Any] = {"text/plain": text}
    if svg is not None:
        data["image/svg+xml"] = svg
    if widget is not None:
        data[WIDGET_VIEW] = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}
    return data


def close_tree(root: Any) -> None:
    """Close `root` and every widget it holds (children, a figure's marks, axes and
    scales), so the kernel and the frontend drop their models."""
    from ipywidgets import Widget

    seen: set[int] = set()
    todo = [root]
    while todo:
        widget = todo.pop()
        if id(widget) in seen:
            continue
        seen.add(id(widget))
        for name in widget.keys:
            value = getattr(widget, name, None)
            items = value if isinstance(value, (list, tuple)) else (value,)
            todo += [v for v in items if isinstance(v, Widget)]
            if isinstance(value, dict):
                todo += [v for v in value.values() if isinstance(v, Widget)]
        widget.close()


def show(data: dict[str, Any]) -> Any:
    """Display `data` with a display id; returns the handle to update it."""
    from IPython.display import display

    return display(data, raw=True, display_id=True)
