"""The workloads of bench_peers.py, one child program per tool.

Each program runs in a fresh process: argv is the workload and its JSON
arguments; it prints one JSON line. Same workloads for every tool: a cold start
to the first point, log() calls, runs created, a finish, runs made and listed.
"""

from __future__ import annotations

# One child program per tool. argv: workload, JSON arguments; prints one JSON line.
_COMMON = r"""
import json, sys, time
what, a = sys.argv[1], json.loads(sys.argv[2])
def out(**kw):
    print(json.dumps(kw), flush=True)
def spread(n, log):  # n points over FINISH_OVER_S or more
    for i in range(n):
        log(i)
        if i % 200 == 199:
            time.sleep(a["over"] * 200 / n)
"""

NBTRACK = (
    _COMMON
    + r"""
import nbtrack
if what == "cold":
    with nbtrack.start_run():
        nbtrack.log(x=1.0, step=0)
        out(first=time.time(), cpu=time.process_time())
elif what == "log":
    with nbtrack.start_run():
        log = nbtrack.log
        log(loss=0.0, step=0)
        t = time.perf_counter()
        for i in range(a["n"]):
            log(loss=1.0 / (i + 1), step=i + 1)
        out(per_call=(time.perf_counter() - t) / a["n"])
elif what == "create":
    t = time.perf_counter()
    for r in range(a["runs"]):
        with nbtrack.start_run():
            for i in range(a["points"]):
                nbtrack.log(loss=1.0 / (i + 1), step=i)
    out(seconds=time.perf_counter() - t)
elif what == "finish":
    ctx = nbtrack.start_run()
    ctx.__enter__()
    spread(a["n"], lambda i: nbtrack.log(loss=1.0 / (i + 1), step=i))
    t = time.perf_counter()
    ctx.__exit__(None, None, None)
    out(seconds=time.perf_counter() - t)
elif what == "populate":
    sys.path.insert(0, a["benchmarks"])
    from bench_core import populate_runs
    import os
    populate_runs(f"sqlite:///{os.getcwd()}/.nbtrack/nbtrack.db", a["n"])
    out(done=a["n"])
elif what == "listing":
    t = time.perf_counter()
    df = nbtrack.runs()
    out(seconds=time.perf_counter() - t, rows=len(df))
"""
)

TENSORBOARDX = (
    _COMMON
    + r"""
from tensorboardX import SummaryWriter
if what == "cold":
    w = SummaryWriter(f"tb/run-{time.time_ns()}")
    w.add_scalar("x", 1.0, 0)
    out(first=time.time(), cpu=time.process_time())
    w.close()
elif what == "log":
    w = SummaryWriter("tb/log")
    w.add_scalar("loss", 0.0, 0)
    t = time.perf_counter()
    for i in range(a["n"]):
        w.add_scalar("loss", 1.0 / (i + 1), i + 1)
    out(per_call=(time.perf_counter() - t) / a["n"])
    w.close()
elif what == "create":
    t = time.perf_counter()
    for r in range(a["runs"]):
        w = SummaryWriter(f"tb/run-{r}")
        for i in range(a["points"]):
            w.add_scalar("loss", 1.0 / (i + 1), i)
        w.close()
    out(seconds=time.perf_counter() - t)
elif what == "finish":
    w = SummaryWriter("tb/finish")
    spread(a["n"], lambda i: w.add_scalar("loss", 1.0 / (i + 1), i))
    t = time.perf_counter()
    w.close()
    out(seconds=time.perf_counter() - t)
"""
)

MLFLOW = (
    _COMMON
    + r"""
import mlflow
mlflow.set_tracking_uri("sqlite:///mlflow.db")
if what == "cold":
    with mlflow.start_run():
        mlflow.log_metric("x", 1.0, step=0)
        out(first=time.time(), cpu=time.process_time())
elif what == "log":
    with mlflow.start_run():
        mlflow.log_metric("loss", 0.0, step=0)
        t = time.perf_counter()
        for i in range(a["n"]):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i + 1)
        out(per_call=(time.perf_counter() - t) / a["n"])
elif what == "create":
    t = time.perf_counter()
    for r in range(a["runs"]):
        with mlflow.start_run():
            for i in range(a["points"]):
                mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
    out(seconds=time.perf_counter() - t)
elif what == "finish":
    mlflow.start_run()
    spread(a["n"], lambda i: mlflow.log_metric("loss", 1.0 / (i + 1), step=i))
    t = time.perf_counter()
    mlflow.end_run()
    out(seconds=time.perf_counter() - t)
elif what == "populate":
    # One run through the API, then copies of its rows (every table keyed by
    # run_uuid) under new ids: MLflow's API makes a run in tens of milliseconds.
    import sqlite3, uuid
    with mlflow.start_run() as run:
        mlflow.log_params({f"p{j}": j * 0.1 for j in range(10)})
        mlflow.log_metrics({f"m{k}": 0.1 * k for k in range(5)}, step=0)
    db = sqlite3.connect("mlflow.db")
    tables = [t for (t,) in db.execute("select name from sqlite_master where type='table'")
              if "run_uuid" in [c[1] for c in db.execute(f"pragma table_info({t})")]]
    template = run.info.run_id
    copies = [uuid.uuid4().hex for _ in range(a["n"] - 1)]
    with db:
        for t in tables:
            cols = [c[1] for c in db.execute(f"pragma table_info({t})")]
            rows = db.execute(f"select * from {t} where run_uuid = ?", (template,)).fetchall()
            at = cols.index("run_uuid")
            marks = ",".join("?" * len(cols))
            db.executemany(f"insert into {t} values ({marks})",
                           [r[:at] + (new,) + r[at + 1:] for new in copies for r in rows])
    out(done=a["n"])
elif what == "listing":
    t = time.perf_counter()
    df = mlflow.search_runs(search_all_experiments=True, max_results=100_000)
    out(seconds=time.perf_counter() - t, rows=len(df))
"""
)
