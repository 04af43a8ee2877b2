"""Speed of the REST API the Runs panel relies on, against a real Jupyter server.

    python benchmarks/bench_server.py            # full size: 100,000 runs, 1,000,000 points
    python benchmarks/bench_server.py --quick    # 2,000 runs, 20,000 points (CI's smoke run)
    python benchmarks/bench_server.py --store postgresql+psycopg:///bench --points 300000

Builds a temporary SQLite store (or fills the given empty database), starts
`jupyter server` with the nbtrack extension on a free localhost port, and times
over HTTP (best and median of several requests, seconds):

- GET /runs over 100,000 runs x 10 params x 5 metrics while one run logs live: the
  panel's first page, sorts by a metric and a param, filters (`lr<0.1`, tags, text),
  a page deep in the list, and the steady poll (`changed_since=<cursor>`), each over
  HTTP and as server time (RunService and JSON encoding in-process), with the targets;
- GET /runs/{ref}/metrics?max_points=2000 over a metric of 1,000,000 points;
- the panel's poll, GET metrics?after=<cursor>, with nothing new and with 100 new points;
- latency from `nbtrack.log()` to the point showing in a poll (the panel's path:
  writer flush every 0.05 s, a poll every 0.25 s): median and 95th percentile.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`jupyter server` with the nbtrack extension, in a child process."""

    def __init__(self, folder: Path, store_url: str) -> None:
        self.port = free_port()
        self.token = secrets.token_hex(16)
        config = folder / "jupyter_server_config.json"
        config.write_text(
            json.dumps(
                {
                    "ServerApp": {
                        "jpserver_extensions": {"nbtrack": True},
                        "token": self.token,
                        "port": self.port,
                        "port_retries": 0,
                        "ip": "127.0.0.1",
                        "open_browser": False,
                        "root_dir": str(folder),
                    },
                    "NbtrackServer": {"store": store_url},
                }
            )
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(folder),
            "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
        }
        self.log = (folder / "server.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--allow-root"],
            cwd=folder,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                self.get("runs", limit=1)
                return
            except OSError as exc:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"jupyter server did not start; see {self.log.name}"
                    ) from exc
                time.sleep(0.2)

    def get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode(params)
        url = f"http://127.0.0.1:{self.port}/nbtrack/api/{path}" + (f"?{query}" if query else "")
        request = urllib.request.Request(url, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


METRIC_KEYS = ("loss", "acc", "val_loss", "val_acc", "grad_norm")


def build_store(url: str, n_runs: int, n_points: int) -> str:
    """`n_runs` finished runs with 10 params and 5 metric summaries each, and one run ("long")
    with `n_points` points of `loss`. Returns the long run's reference."""
    import sqlalchemy as sa

    from nbtrack.ids import new_id
    from nbtrack.store import open_store, schema
    from nbtrack.store.run_list import param_rows

    store = open_store(url)
    rng = random.Random(0)
    start = time.time() - n_runs * 10
    chunk = 20_000
    for lo in range(0, n_runs, chunk):
        runs, summaries = [], []
        for i in range(lo, min(lo + chunk, n_runs)):
            run_id = new_id(start + i * 10)
            runs.append(
                {
                    "id": run_id,
                    "experiment": f"exp{i % 7}",
                    "notebook": f"nb{i % 20}.ipynb",
                    "stem": f"nb{i % 20}",
                    "seq": i // 20 + 1,
                    "name": f"nb{i % 20}#{i // 20 + 1}",
                    "status": "finished",
                    "start_time": start + i * 10,
                    "end_time": start + i * 10 + rng.random() * 100,
                    "params": json.dumps(
                        {
                            "lr": rng.random(),
                            "layers": rng.randrange(1, 8),
                            "batch": rng.choice([16, 32, 64, 128]),
                            "dropout": rng.random() / 2,
                            "opt.name": rng.choice(["adam", "sgd"]),
                            "wd": rng.random() / 100,
                            "momentum": rng.random(),
                            "seed": i,
                            "warmup": rng.randrange(0, 1000),
                            "arch": rng.choice(["cnn", "mlp", "vit"]),
                        },
                        sort_keys=True,
                    ),
                    "tags": json.dumps(["sweep"] if i % 3 else []),
                    "notes": None,
                }
            )
            for key in METRIC_KEYS:
                v = rng.random()
                summaries.append(
                    dict(
                        run_id=run_id,
                        key=key,
                        last=v,
                        last_step=99,
                        min=v / 2,
                        max=v * 2,
                        count=100,
                    )
                )
        # One executemany per table and chunk: 100,000 runs in a few seconds.
        params = [row for run in runs for row in param_rows(run["id"], json.loads(run["params"]))]
        with store.writing() as conn:
            conn.execute(sa.insert(schema.runs), runs)
            conn.execute(sa.insert(schema.params), params)
            conn.execute(sa.insert(schema.summaries), summaries)
    long_id = new_id(time.time())
    seq = n_runs // 20 + 100
    with store.writing() as conn:
        conn.execute(
            sa.insert(schema.runs).values(
                id=long_id,
                experiment="long",
                notebook="long.ipynb",
                stem="long",
                seq=seq,
                name="long",
                status="finished",
                start_time=time.time(),
                end_time=time.time() + 1,
                params="{}",
                tags="[]",
            )
        )
    now = time.time()
    chunk = 50_000
    for lo in range(0, n_points, chunk):
        points = [
            (long_id, "loss", s, 1 / (s + 1) + rng.gauss(0, 0.01), now + s * 1e-3)
            for s in range(lo, min(lo + chunk, n_points))
        ]
        store.write_batch(points, {})
    store.write_batch([], {(long_id, "loss"): [points[-1][3], n_points - 1, -0.05, 1.05, n_points]})
    return "long"


def timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    """(best, median) seconds of `repeat` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def latency(server: Server, store_url: str, seconds: float) -> list[float]:
    """Seconds from `nbtrack.log()` to the point first showing in a poll every 0.25 s."""
    import nbtrack
    from nbtrack.config import resolve_project
    from nbtrack.tracking import begin_run, end_run

    os.environ["NBTRACK_STORE"] = store_url
    run = begin_run(name="live", project=resolve_project())
    stop = threading.Event()

    def log_loop() -> None:
        while not stop.is_set():
            nbtrack.log(t=time.time())
            time.sleep(0.02)

    logger = threading.Thread(target=log_loop)
    logger.start()
    lags: list[float] = []
    cursor = server.get(f"runs/{run.id}/metrics", keys="t", max_points=4)["cursor"]
    deadline = time.time() + seconds
    while time.time() < deadline:
        time.sleep(0.25)
        body = server.get(f"runs/{run.id}/metrics", keys="t", after=cursor)
        seen = time.time()
        cursor = body["cursor"]
        lags += [seen - t for t in body["series"].get("t", {}).get("value", [])]
    stop.set()
    logger.join()
    end_run(run)
    return lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and fewer repeats (CI, < 1 min)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--points", type=int, help="points of the long metric")
    parser.add_argument("--runs", type=int, help="finished runs in the store")
    parser.add_argument(
        "--store", help="an empty database to fill instead of a temporary SQLite file"
    )
    parser.add_argument(
        "--runs-only", action="store_true", help="time GET /runs alone (not metrics, latency)"
    )
    args = parser.parse_args()
    n_runs, n_points = (2_000, 20_000) if args.quick else (100_000, 1_000_000)
    if args.quick:
        args.repeat = min(args.repeat, 3)
        print("QUICK run (small sizes, for CI): figures are not comparable with the full run")
    n_runs = args.runs or n_runs
    n_points = args.points or n_points

    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-server-") as tmp:
        folder = Path(tmp)
        url = args.store or f"sqlite:///{folder / '.nbtrack' / 'nbtrack.db'}"
        if args.store:
            from nbtrack.store import open_store

            if open_store(url).counts()["runs"]:
                raise SystemExit(f"{url} already holds runs: give an empty database")
        t0 = time.perf_counter()
        long_ref = build_store(url, n_runs, n_points)
        print(
            f"store ({url.split(':')[0]}): {n_runs:,} runs, one metric of {n_points:,} points "
            f"(built in {time.perf_counter() - t0:.1f} s)"
        )
        server = Server(folder, url)
        try:
            latency_s = 3.0 if args.quick else 10.0
            report(server, url, long_ref, n_runs, n_points, args.repeat, latency_s, args.runs_only)
        finally:
            server.stop()


@contextlib.contextmanager
def live_run(store_url: str) -> Iterator[None]:
    """A run logging 5 metrics every 20 ms (flushed by its writer) while the block runs."""
    import nbtrack
    from nbtrack.config import resolve_project
    from nbtrack.tracking import begin_run, end_run

    os.environ["NBTRACK_STORE"] = store_url
    run = begin_run(name="live-list", params={"lr": 0.05}, project=resolve_project())
    stop = threading.Event()

    def log_loop() -> None:
        step = 0
        while not stop.is_set():
            nbtrack.log(**{key: 1 / (step + 1) for key in METRIC_KEYS}, step=step)
            step += 1
            time.sleep(0.02)

    logger = threading.Thread(target=log_loop)
    logger.start()
    try:
        yield
    finally:
        stop.set()
        logger.join()
        end_run(run)


def runs_report(server: Server, url: str, n_runs: int, repeat: int) -> None:
    from nbtrack.jsonenc import dumps
    from nbtrack.server.params import runs_query
    from nbtrack.server.service import RunService

    service = RunService(url)
    page = {"limit": 200}
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("panel opened: first page (200, newest first)", page, "<= 1000 ms to paint"),
        ("sort=metrics.loss asc", {**page, "sort": "metrics.loss", "order": "asc"}, "<= 500"),
        ("sort=params.lr desc", {**page, "sort": "params.lr", "order": "desc"}, "<= 500"),
        ("q=lr<0.1", {**page, "q": "lr<0.1"}, "<= 500"),
        ("q=lr<0.1 sort=metrics.val_acc", {**page, "q": "lr<0.1", "sort": "metrics.val_acc"}, ""),
        ("q=tag:sweep status:finished", {**page, "q": "tag:sweep status:finished"}, ""),
        ("q=nb7 (free text)", {**page, "q": "nb7"}, ""),
        ("scrolled: offset=50000", {**page, "offset": min(50_000, n_runs // 2)}, ""),
    ]
    for what, args, target in cases:
        best, med, body = timed(lambda a=args: server.get("runs", **a), repeat)
        sbest, smed, _ = timed(
            lambda a=args: dumps(service.list_runs(runs_query({k: str(v) for k, v in a.items()}))),
            repeat,
        )
        extra = f"total={body['total']:,}  server median {smed * 1000:6.1f} ms  target {target}"
        line(what, best, med, extra)
    for what, view in [
        ("steady poll: changed_since=<cursor>", {}),
        ("  ... under q=lr<0.1", {"q": "lr<0.1"}),
    ]:
        steady_poll(server, service, {**page, **view}, what, repeat)


def steady_poll(server: Server, service: Any, view: dict[str, Any], what: str, repeat: int) -> None:
    """The panel's poll of an open view: HTTP, then server time (RunService + JSON)."""
    from nbtrack.jsonenc import dumps
    from nbtrack.server.params import runs_query

    cursor = server.get("runs", **view)["cursor"]

    def poll() -> Any:
        nonlocal cursor
        body = server.get("runs", **view, changed_since=cursor)
        cursor = body["cursor"]
        return body

    best, med, body = timed(poll, repeat * 4)
    args = {k: str(v) for k, v in view.items()}
    service.list_runs(runs_query(args))  # this process's first answer of the view
    poll_cursor = cursor
    cpu: list[float] = []

    def answer() -> Any:
        t0 = time.thread_time()
        out = dumps(service.list_runs(runs_query({**args, "changed_since": poll_cursor})))
        cpu.append(time.thread_time() - t0)
        return out

    sbest, smed, _ = timed(answer, repeat * 4)
    line(
        what,
        best,
        med,
        f"runs={len(body['runs'])} total={body['total']:,}  server median {smed * 1000:6.1f} ms"
        f" (CPU {statistics.median(cpu) * 1000:5.1f} ms)  target <= 20 ms",
    )


def line(what: str, best: float, median: float, extra: str = "") -> None:
    print(f"  {what:<48} best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms {extra}")


def report(
    server: Server,
    url: str,
    ref: str,
    n_runs: int,
    n_points: int,
    repeat: int,
    latency_s: float,
    runs_only: bool = False,
) -> None:
    print(f"GET /runs over {n_runs:,} runs x 10 params x 5 metrics, one run logging live")
    print("  (HTTP: the request through the Jupyter server; server: RunService + JSON in-process)")
    with live_run(url):
        runs_report(server, url, n_runs, repeat)
    if runs_only:
        return

    print(f"GET /runs/{{ref}}/metrics over {n_points:,} points")
    best, med, body = timed(lambda: server.get(f"runs/{ref}/metrics", max_points=2000), repeat)
    points = len(body["series"]["loss"]["step"])
    line("max_points=2000 (whole series, downsampled)", best, med, f"-> {points} points")
    best, med, body = timed(lambda: server.get(f"runs/{ref}/metrics", max_points=20000), repeat)
    line("max_points=20000", best, med)
    cursor = body["cursor"]
    best, med, _ = timed(lambda: server.get(f"runs/{ref}/metrics", after=cursor), repeat * 4)
    line("poll: after=<cursor>, nothing new", best, med)

    from nbtrack.store import open_store

    store = open_store(url)
    run_id = store.find_run_ids(name=ref)[0]
    now = time.time()

    def poll_with_new() -> Any:
        store.write_batch([(run_id, "loss", n_points + i, 0.1, now) for i in range(100)], {})
        return server.get(f"runs/{ref}/metrics", after=cursor)

    best, med, body = timed(poll_with_new, repeat * 4)
    line("poll: after=<cursor>, 100 new points", best, med)

    print("log() -> point in a poll (writer flush every 0.05 s, poll every 0.25 s)")
    lags = sorted(latency(server, url, seconds=latency_s))
    p50 = lags[len(lags) // 2]
    p95 = lags[int(len(lags) * 0.95)]
    print(f"  {len(lags)} points: median {p50 * 1000:.0f} ms, 95th percentile {p95 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
