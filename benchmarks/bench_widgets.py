"""Live chart benchmark: what the chart under a %%track cell costs a training loop.

    python benchmarks/bench_widgets.py [--repeat 5]

A real Jupyter kernel (through nbclient, which receives every widget message as a
frontend would) runs the same 200,000-point cell with the live chart and with
`--no-plot`, alternating, after a warm-up of each. The kernel times each cell
itself (IPython's pre/post_run_cell events): the whole cell, chart creation and
final picture included, and the logging loop alone. Two workloads:

- burst: nothing but `log()` (0.1 s of logging; the points reach the chart mostly
  in the final flush), the worst case for the chart's share of the cell;
- training: about 25 µs of work per step (a few seconds), so the chart receives
  batches and redraws while the loop runs, as it does in real training.

Target: < 10% extra.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

N_STEPS = 100_000  # two metrics: 200,000 points

SETUP = """%load_ext nbtrack
import time
_cell_times = []
_t0 = time.perf_counter()
def _pre(info):
    globals()["_t0"] = time.perf_counter()
def _post(result):
    _cell_times.append(time.perf_counter() - _t0)
get_ipython().events.register("pre_run_cell", _pre)
get_ipython().events.register("post_run_cell", _post)"""

CELL = """%%track {flag} --name {name}
_l0 = time.perf_counter()
for i in range({n}):
    {work}nbtrack.log(loss=1.0 / (i + 1), acc=i * 1e-5)
_loops.append(("{name}", time.perf_counter() - _l0))"""
WORK = {"burst": "", "training": "_w = sum(range(1000))\n    "}

REPORT = "print(json.dumps({'cells': _cell_times, 'loops': _loops}))"


def build(repeat: int, workload: str) -> tuple[nbformat.NotebookNode, list[tuple[int, str]]]:
    cells = [SETUP, "import json\n_loops = []"]
    timed: list[tuple[int, str]] = []
    order = ["plot", "noplot"] * (repeat + 1)  # the first pair warms up
    for i, kind in enumerate(order):
        flag = "" if kind == "plot" else "--no-plot"
        cells.append(CELL.format(flag=flag, name=f"{kind}{i}", n=N_STEPS, work=WORK[workload]))
        if i >= 2:
            timed.append((len(cells) - 1, kind))
    cells.append(REPORT)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nb, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed pairs (default 5)")
    args = parser.parse_args()
    print(
        f"live chart: {2 * N_STEPS:,} points per run, real kernel, {args.repeat} runs each "
        "(target: < 10% extra)"
    )
    for workload in WORK:
        bench(workload, args.repeat)


def bench(workload: str, repeat: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-widgets-"))
    os.environ.pop("NBTRACK_STORE", None)
    nb, timed = build(repeat, workload)
    path = folder / "bench.ipynb"
    os.environ["JPY_SESSION_NAME"] = str(path)
    client = CountingClient(nb, timeout=600, resources={"metadata": {"path": str(folder)}})
    client.execute()
    result = json.loads(nb.cells[-1].outputs[0]["text"])
    # _cell_times has one entry per executed cell; cell i of the notebook is entry i.
    cells = result["cells"]
    loops = dict(result["loops"])
    figures: dict[str, dict[str, list[float]]] = {
        k: {"cell": [], "loop": []} for k in ("plot", "noplot")
    }
    for index, kind in timed:
        figures[kind]["cell"].append(cells[index])
        name = nb.cells[index].source.split("--name ")[1].split()[0]
        figures[kind]["loop"].append(loops[name])
    widget_outputs = sum(
        1
        for index, kind in timed
        if kind == "plot"
        for out in nb.cells[index].outputs
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    )
    assert widget_outputs == repeat, "every plotted run must have shown its live chart"
    plotted = [i for i, kind in timed if kind == "plot"]
    updates = statistics.median(client.live_updates.get(i, 0) / 2 for i in plotted)
    print(f"{workload}: each curve redrawn {updates:.0f} times while its run was live")
    for what in ("cell", "loop"):
        label = "whole %%track cell" if what == "cell" else "logging loop only"
        for stat in (statistics.median, min):
            plot, noplot = stat(figures["plot"][what]), stat(figures["noplot"][what])
            print(
                f"  {label:19s} {stat.__name__:6s} live chart {plot:6.3f} s   "
                f"--no-plot {noplot:6.3f} s   extra {100 * (plot / noplot - 1):+5.1f}%"
            )
    print(
        "  all cells, s: "
        + json.dumps({k: [round(x, 3) for x in v["cell"]] for k, v in figures.items()})
    )


class CountingClient(NotebookClient):
    """nbclient, counting per cell the curve updates received before the cell's
    final display update (i.e. while the run was live)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live_updates: dict[int, int] = {}
        self._ended: set[int] = set()

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if msg["msg_type"] == "update_display_data":
            self._ended.add(cell_index)
        elif (
            msg["msg_type"] == "comm_msg"
            and cell_index not in self._ended
            and "y" in msg["content"]["data"].get("state", {})
        ):
            self.live_updates[cell_index] = self.live_updates.get(cell_index, 0) + 1
        return super().process_message(msg, cell, cell_index)


if __name__ == "__main__":
    main()
