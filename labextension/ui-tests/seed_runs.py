"""Fill (or empty) the Galata server's store with many runs, for the speed spec.

    python seed_runs.py seed 100000   # 100,000 finished runs x 10 params x 5 metrics
    python seed_runs.py live 120      # one run logging 5 metrics every 50 ms for 120 s
    python seed_runs.py clear         # delete the seeded runs (other tests share the store)

The store is the one the Galata server serves: its root is
`$JUPYTERLAB_GALATA_ROOT_DIR`, or else the root folder of the Jupyter server
running on port 8888 (`jupyter server list`); the store URL is resolved from that
root exactly as nbtrack's server extension does. Seeding bulk-inserts rows
(`benchmarks/bench_server.py`'s way): 100,000 runs take seconds, not the hours
of 100,000 `start_run`s. Prints one JSON line (what was done, seconds).
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from pathlib import Path

# The seeded runs' experiment: `clear` deletes exactly these.
EXPERIMENT = "seeded-speed"
METRIC_KEYS = ["loss", "acc", "val_loss", "val_acc", "lr_now"]


def server_root() -> Path:
    root = os.environ.get("JUPYTERLAB_GALATA_ROOT_DIR")
    if root:
        return Path(root)
    from jupyter_server.serverapp import list_running_servers

    for info in list_running_servers():
        if info.get("port") == 8888:
            return Path(info["root_dir"])
    raise SystemExit("no Jupyter server on port 8888 and JUPYTERLAB_GALATA_ROOT_DIR unset")


def store_url() -> str:
    from nbtrack.config import resolve_project

    return resolve_project(server_root()).store_url


def seed(url: str, n_runs: int) -> None:
    import sqlalchemy as sa

    from nbtrack.ids import new_id
    from nbtrack.store import open_store, schema
    from nbtrack.store.run_list import param_rows

    store = open_store(url)
    rng = random.Random(0)
    # In the past, so runs the other tests start are the newest.
    start = time.time() - 3600 - n_runs * 10
    chunk = 20_000
    for lo in range(0, n_runs, chunk):
        runs, summaries, params = [], [], []
        for i in range(lo, min(lo + chunk, n_runs)):
            run_id = new_id(start + i * 10)
            values = {
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
            }
            runs.append(
                {
                    "id": run_id,
                    "experiment": EXPERIMENT,
                    "notebook": f"seeded{i % 20}.ipynb",
                    "stem": f"seeded{i % 20}",
                    "seq": i // 20 + 1,
                    "name": f"seeded{i % 20}#{i // 20 + 1}",
                    "status": "finished",
                    "start_time": start + i * 10,
                    "end_time": start + i * 10 + rng.random() * 100,
                    "params": json.dumps(values, sort_keys=True),
                    "tags": json.dumps(["sweep"] if i % 3 else []),
                    "notes": None,
                }
            )
            params.extend(param_rows(run_id, values))
            for key in METRIC_KEYS:
                v = rng.random()
                summaries.append(
                    dict(run_id=run_id, key=key, last=v, last_step=99, count=100, min=v, max=v)
                )
        with store.writing() as conn:
            tables = ((schema.runs, runs), (schema.params, params), (schema.summaries, summaries))
            for table, rows in tables:
                if store.dialect == "postgresql":
                    _copy(conn, table, rows)  # COPY: seconds, where INSERTs take minutes
                else:
                    conn.execute(sa.insert(table), rows)


    if store.dialect == "postgresql":
        # What autovacuum gives a store that grew to this size over weeks: planner
        # statistics and a visibility map (index-only scans), rather than a table
        # bulk-loaded a second ago.
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM ANALYZE {schema.runs.name}, {schema.params.name}, "
                                 f"{schema.summaries.name}")


def _copy(conn, table, rows) -> None:  # type: ignore[no-untyped-def]
    """Bulk-load `rows` (dicts) into `table` with PostgreSQL's COPY, on `conn`'s transaction."""
    names = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[n] for n in names])


def clear(url: str) -> int:
    import sqlalchemy as sa

    from nbtrack.store import open_store, schema

    store = open_store(url)
    ids = sa.select(schema.runs.c.id).where(schema.runs.c.experiment == EXPERIMENT)
    with store.writing() as conn:
        conn.execute(sa.delete(schema.params).where(schema.params.c.run_id.in_(ids)))
        conn.execute(sa.delete(schema.summaries).where(schema.summaries.c.run_id.in_(ids)))
        keys = sa.select(schema.run_keys.c.run_key).where(schema.run_keys.c.run_id.in_(ids))
        conn.execute(sa.delete(schema.chunks).where(schema.chunks.c.run_key.in_(keys)))
        conn.execute(sa.delete(schema.run_keys).where(schema.run_keys.c.run_id.in_(ids)))
        return conn.execute(
            sa.delete(schema.runs).where(schema.runs.c.experiment == EXPERIMENT)
        ).rowcount


def live(url: str, seconds: float) -> None:
    """A run logging 5 metrics every 50 ms for `seconds` (or until killed: it ends on SIGTERM)."""
    import signal

    import nbtrack
    from nbtrack.config import resolve_project
    from nbtrack.tracking import begin_run, end_run

    os.environ["NBTRACK_STORE"] = url
    run = begin_run(name="live-100k", params={"lr": 0.05}, project=resolve_project(server_root()))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(json.dumps({"live": run.ref if hasattr(run, "ref") else "live-100k"}), flush=True)
    step = 0
    deadline = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < deadline:
        nbtrack.log(**{key: 1 / (step + 1) for key in METRIC_KEYS}, step=step)
        step += 1
        stop.wait(0.05)
    end_run(run)


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    url = store_url()
    t0 = time.perf_counter()
    if what == "seed":
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
        clear(url)  # what an interrupted earlier run left
        seed(url, n)
        print(json.dumps({"seeded": n, "seconds": round(time.perf_counter() - t0, 1)}))
    elif what == "clear":
        n = clear(url)
        print(json.dumps({"cleared": n, "seconds": round(time.perf_counter() - t0, 1)}))
    elif what == "live":
        live(url, float(sys.argv[2]) if len(sys.argv) > 2 else 120)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
