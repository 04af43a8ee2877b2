"""Figures: a matplotlib figure (or axes) becomes PNG + SVG, a plotly figure
becomes standalone HTML (when plotly is installed). Rendering happens in the
caller's thread, since the caller may change or close the figure next."""

from __future__ import annotations

import io
from typing import Any

from .errors import MediaError

SUPPORTED = "a matplotlib Figure (or Axes) or a plotly Figure"
DPI = 100


def kind_of(fig: Any) -> str:
    """ "matplotlib" or "plotly", or MediaError naming the types supported."""
    module = type(fig).__module__ or ""
    if module.startswith("matplotlib"):
        if hasattr(fig, "savefig"):
            return "matplotlib"
        if hasattr(getattr(fig, "figure", None), "savefig"):
            return "matplotlib"
    if module.startswith("plotly") and hasattr(fig, "to_html"):
        return "plotly"
    raise MediaError(f"log_figure cannot log a {type(fig).__name__}: it takes {SUPPORTED}")


def render(fig: Any) -> dict[str, bytes]:
    """{"png": ..., "svg": ...} for matplotlib, {"html": ...} for plotly."""
    if kind_of(fig) == "plotly":
        # The plotly.js bundle is loaded from its CDN: embedding it costs ~3.5 MB
        # per figure. The HTML is served as an attachment (never in the page).
        return {"html": fig.to_html(include_plotlyjs="cdn", full_html=True).encode()}
    figure = fig if hasattr(fig, "savefig") else fig.figure
    out = {}
    for fmt in ("png", "svg"):
        buf = io.BytesIO()
        figure.savefig(buf, format=fmt, dpi=DPI, bbox_inches="tight")
        out[fmt] = buf.getvalue()
    return out


def heatmap(matrix: Any, labels: list[str], title: str) -> dict[str, bytes]:
    """A confusion matrix drawn as a heat map with its counts (Agg, no pyplot: safe
    in the worker thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(labels)
    size = min(12.0, 2.5 + 0.5 * n)
    fig = Figure(figsize=(size, size * 0.85))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    im = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(im, ax=ax)
    ax.set_xticks(
        range(n), labels=labels, rotation=45 if n > 6 else 0, ha="right" if n > 6 else "center"
    )
    ax.set_yticks(range(n), labels=labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if n <= 30:
        top = matrix.max() if matrix.size else 0
        for i in range(n):
            for j in range(n):
                value = int(matrix[i, j])
                color = "white" if top and value > top / 2 else "black"
                ax.text(j, i, str(value), ha="center", va="center", color=color, fontsize=8)
    return render(fig)
