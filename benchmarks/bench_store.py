"""The store's size, log cost, finish and history reads, each beside its target
or its raw-driver baseline (issue 19).

    python benchmarks/bench_store.py [--quick] [--pg URL] [--layouts]

- size: 200 runs x 100 points (2 keys x 50 steps, 3 params), every file of the
  SQLite store counted (db, -wal, -shm, -journal); target <= 2 MB. PostgreSQL:
  nbtrack's tables with their indexes.
- log cost: nbtrack.log() of N points (2 keys a call, then 1 key with step=)
  including the run's end, per point, wall and CPU (the calling thread's share
  apart), beside raw sqlite3 executemany of the same rows in one transaction
  into an unindexed table of the same five columns (the target: <= 1.5x), and
  into the row-per-point table nbtrack had before chunks (context). Ours and raw
  alternate, 5 rounds (3 with --quick): medians, their ratio, min-max spread.
  Points are stored in chunks (store/chunks.py): a row per run, key and flush.
- finish: leaving `with start_run()` after 20,000 points logged over >= 1 s;
  target <= 0.01 s. PostgreSQL also: leaving it while another transaction that
  wrote summaries of runs in every registry-metric lock bucket, as an import
  does, stays open 1 s (store/registry_metrics.py: the summaries' triggers take
  their buckets shared, so this finish does not wait for that commit).
- history(): one run of N points into a DataFrame, beside raw sqlite3 (psycopg)
  reading the same rows (key, step, value, time), a row per point in a plain
  table of the same engine, into a DataFrame; target <= 1.5x.
- --layouts: the schema choices measured on raw SQL (size, insert, full read).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _fresh_project(url: str | None, reset: bool = False) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-store-"))
    os.chdir(folder)
    if url:
        os.environ["NBTRACK_STORE"] = url
        if reset:
            _reset_pg(url)
    else:
        os.environ.pop("NBTRACK_STORE", None)
    return folder


def _reset_pg(url: str) -> None:
    import sqlalchemy as sa

    from nbtrack.store import forget_stores

    forget_stores()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in sa.inspect(conn).get_table_names():
            if table.startswith("nbtrack_"):
                conn.execute(sa.text(f'DROP TABLE "{table}" CASCADE'))
    engine.dispose()


def _best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def bench_size(url: str | None) -> int:
    """Bytes on disk of 200 runs x 100 points, after the process's runs ended."""
    import nbtrack
    from nbtrack.store import forget_stores, open_store

    folder = _fresh_project(url, reset=True)
    for r in range(200):
        with nbtrack.start_run(params={"lr": 0.001 * r, "epochs": 50, "model": "mlp"}):
            for i in range(50):
                nbtrack.log(loss=1.0 / (i + 1), acc=i / 50, step=i)
    store = open_store(url or f"sqlite:///{folder}/.nbtrack/nbtrack.db")
    store.checkpoint()  # what the process does at exit
    size = store.size_on_disk()
    forget_stores()
    return size


RAW_TABLES = {
    # The baseline: the same five columns, no index.
    "unindexed": "CREATE TABLE raw (run_id TEXT, key TEXT, step INTEGER, value REAL, time REAL)",
    # Context: the row-per-point table nbtrack used before chunks (schema 14:
    # clustered primary key, the seq index).
    "row-per-point (before chunks)": (
        "CREATE TABLE raw (run_key INTEGER, key_id INTEGER, step INTEGER, seq INTEGER, "
        "value REAL, time REAL NOT NULL, PRIMARY KEY (run_key, key_id, step, seq)) WITHOUT ROWID;"
        "CREATE INDEX raw_seq ON raw (run_key, seq)"
    ),
}


@dataclass
class LogCost:
    """µs per point: wall and process CPU of log() incl. the run's end, the calling
    thread's share of that CPU (log() itself and the loop), then each raw baseline's
    (wall, CPU)."""

    wall: float
    cpu: float
    caller_cpu: float
    raw: dict[str, tuple[float, float]]


def bench_log(url: str | None, n: int, keys: int = 2) -> LogCost:
    """nbtrack.log() of n points (`keys` per call: loss, acc; with step= when one)
    including the run's end, then raw inserts of the same rows, in this process."""
    import nbtrack
    from nbtrack.store import forget_stores

    folder = _fresh_project(url)
    with nbtrack.start_run():  # warm up: store, schema, environment
        nbtrack.log(loss=0.0, acc=0.0)
    calls = n // keys
    t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
    with nbtrack.start_run():
        log = nbtrack.log
        if keys == 1:
            for i in range(calls):
                log(loss=1.0 / (i + 1), step=i)
        else:
            for i in range(calls):
                log(loss=1.0 / (i + 1), acc=i * 1e-5)
    wall = (time.perf_counter() - t0) / n * 1e6
    cpu = (time.process_time() - c0) / n * 1e6
    caller = (time.thread_time() - m0) / n * 1e6
    forget_stores()
    now = time.time()
    names = ("loss", "acc")[:keys]
    rows = [("01" * 13, k, i, 1.0 / (i + 1), now) for i in range(calls) for k in names]
    if url:
        c0 = time.process_time()
        raw_pg = _raw_pg_insert(url, rows) / n * 1e6
        return LogCost(wall, cpu, caller, {"COPY": (raw_pg, (time.process_time() - c0) / n * 1e6)})
    raw = {}
    for name, ddl in RAW_TABLES.items():
        conn = sqlite3.connect(folder / f"raw-{len(raw)}.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(ddl)
        if name == "unindexed":
            table_rows = rows
        else:
            ids = {k: j + 1 for j, k in enumerate(names)}
            table_rows = [(1, ids[k], s, q, v, w) for q, (_, k, s, v, w) in enumerate(rows, 1)]
        marks = ",".join("?" * len(table_rows[0]))
        t0, c0 = time.perf_counter(), time.process_time()
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO raw VALUES ({marks})", table_rows)
        conn.execute("COMMIT")
        raw[name] = (
            (time.perf_counter() - t0) / n * 1e6,
            (time.process_time() - c0) / n * 1e6,
        )
        conn.close()
    return LogCost(wall, cpu, caller, raw)


def print_log_cost(url: str | None, n: int, rounds: int) -> None:
    """Each call shape `rounds` times, ours and the raw baselines interleaved (the
    raw insert's cost swings between runs on a loaded machine): medians of each
    side, the ratio of the medians, and each side's spread."""
    base = "unindexed" if url is None else "COPY"
    driver = "sqlite3 executemany" if url is None else "psycopg"
    for keys in (2, 1):
        costs = [bench_log(url, n, keys) for _ in range(rounds)]
        call = "log(loss=, acc=)" if keys == 2 else "log(loss=, step=i)"
        wall = _spread([c.wall for c in costs])
        cpu = _spread([c.cpu for c in costs])
        caller = statistics.median(c.caller_cpu for c in costs)
        others = statistics.median(c.cpu - c.caller_cpu for c in costs)
        print(
            f"  {call} per point, {n:,} points + end, median of {rounds} rounds "
            f"(min-max): {wall.text} µs wall, {cpu.text} µs CPU (calling thread "
            f"{caller:.2f}, writer and others {others:.2f})"
        )
        for name in costs[0].raw:
            raw_wall = _spread([c.raw[name][0] for c in costs])
            raw_cpu = _spread([c.raw[name][1] for c in costs])
            met = sum(c.cpu <= 1.5 * c.raw[name][1] for c in costs)
            target = (
                f"   (target <= 1.5x; met in {met} of {rounds} rounds)"
                if name == base
                else ("   (context)")
            )
            print(
                f"    raw {driver}, {name} table: {raw_wall.text} µs wall, "
                f"{raw_cpu.text} µs CPU   ratio of medians {wall.median / raw_wall.median:.2f}x "
                f"wall, {cpu.median / max(raw_cpu.median, 1e-9):.2f}x CPU{target}"
            )


@dataclass
class _Spread:
    median: float
    low: float
    high: float

    @property
    def text(self) -> str:
        return f"{self.median:.2f} ({self.low:.2f}-{self.high:.2f})"


def _spread(values: list[float]) -> _Spread:
    return _Spread(statistics.median(values), min(values), max(values))


def _raw_pg_insert(url: str, rows: list[Any]) -> float:
    import psycopg

    dsn = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE TEMP TABLE raw (run_id TEXT, key TEXT, step BIGINT, value FLOAT8, time FLOAT8)"
        )
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY raw FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - t0


def bench_finish(url: str | None, n: int = 20_000, seconds: float = 1.0) -> tuple[float, float]:
    """Seconds to leave `with start_run()` after n points logged evenly over `seconds`
    (wall, CPU of the process)."""
    import nbtrack
    from nbtrack.store import forget_stores

    _fresh_project(url)
    with nbtrack.start_run():
        nbtrack.log(loss=0.0)
    pause_every = 100
    with nbtrack.start_run():
        t0 = time.perf_counter()
        for i in range(n):
            nbtrack.log(loss=1.0 / (i + 1))
            if i % pause_every == 0:
                left = t0 + seconds * i / n - time.perf_counter()
                if left > 0:
                    time.sleep(left)
        t1, c1 = time.perf_counter(), time.process_time()
    took, cpu = time.perf_counter() - t1, time.process_time() - c1
    forget_stores()
    return took, cpu


def bench_finish_beside_import(url: str, held_s: float = 1.0) -> float:
    """PostgreSQL: seconds to leave `with start_run()` (one point) while another
    transaction that wrote summaries of runs in every registry-metric lock bucket
    (what an import does) stays open `held_s` seconds."""
    import threading

    import sqlalchemy as sa

    import nbtrack
    from nbtrack.store import forget_stores, registry_metrics

    _fresh_project(url)
    engine = sa.create_engine(url)
    buckets = sa.text(
        "SELECT count(DISTINCT hashtext(run_id) & :mask) FROM nbtrack_summaries"
    ).bindparams(mask=registry_metrics.BUCKETS - 1)
    covered = 0
    while covered < registry_metrics.BUCKETS:
        for _ in range(50):
            with nbtrack.start_run():
                nbtrack.log(acc=0.5)
        with engine.connect() as conn:
            covered = conn.execute(buckets).scalar() or 0
    took: list[float] = []

    def live() -> None:
        with nbtrack.start_run():
            nbtrack.log(acc=0.7)
            t0 = time.perf_counter()
        took.append(time.perf_counter() - t0)

    with engine.connect() as conn, conn.begin():
        conn.execute(sa.text("UPDATE nbtrack_summaries SET last = last + 1"))
        thread = threading.Thread(target=live)
        thread.start()
        thread.join(held_s)
    thread.join()
    engine.dispose()
    forget_stores()
    return took[0]


def bench_history(url: str | None, n: int, repeat: int) -> tuple[float, float]:
    """(seconds for nbtrack.history() of one run of n points, raw driver read)."""
    import pandas as pd

    import nbtrack
    from nbtrack.store import forget_stores, open_store

    folder = _fresh_project(url)
    with nbtrack.start_run(name="long") as run:
        for i in range(n // 2):
            nbtrack.log(loss=1.0 / (i + 1), acc=i * 1e-5, step=i)
    url = url or f"sqlite:///{folder}/.nbtrack/nbtrack.db"
    store = open_store(url)

    def ours() -> float:
        t0 = time.perf_counter()
        df = nbtrack.history(run.id, store=store)
        assert len(df) == n
        return time.perf_counter() - t0

    # The baseline: the same rows (key, step, value, time), a row per point, in a plain
    # table of the same database engine, read by the driver into a DataFrame.
    rows = [(k, s, v, t) for _, k, s, v, t in store.points([run.id])]
    ddl = "CREATE TABLE bench_raw_points (key TEXT, step BIGINT, value FLOAT, time FLOAT)"
    if store.dialect == "sqlite":
        raw_file = folder / "raw.db"
        with sqlite3.connect(raw_file) as conn:
            conn.execute(ddl)
            conn.executemany("INSERT INTO bench_raw_points VALUES (?, ?, ?, ?)", rows)
    else:
        import psycopg

        dsn = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(dsn) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_raw_points")
            conn.execute(ddl)
            with conn.cursor() as cur, cur.copy("COPY bench_raw_points FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    sql = "SELECT key, step, value, time FROM bench_raw_points"

    def raw() -> float:
        t0 = time.perf_counter()
        if store.dialect == "sqlite":
            conn = sqlite3.connect(raw_file)
            rows = conn.execute(sql).fetchall()
        else:
            conn = psycopg.connect(dsn)
            rows = conn.execute(sql).fetchall()
        df = pd.DataFrame.from_records(rows, columns=["key", "step", "value", "time"])
        conn.close()
        assert len(df) == n
        return time.perf_counter() - t0

    ours(), raw()  # warm
    result = _best(ours, repeat), _best(raw, repeat)
    if store.dialect != "sqlite":
        with psycopg.connect(dsn) as conn:
            conn.execute("DROP TABLE bench_raw_points")
    forget_stores()
    return result


# -- the layouts considered ------------------------------------------------------------

SQLITE_LAYOUTS = {
    "v6: rowid table + 2 indexes, text ids": [
        "CREATE TABLE m (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, key TEXT NOT NULL, "
        "step INTEGER NOT NULL, value REAL, time REAL NOT NULL)",
        "CREATE INDEX m1 ON m (run_id, key, step, value)",
        "CREATE INDEX m2 ON m (run_id, id)",
    ],
    "rowid table + 2 indexes, int ids": [
        "CREATE TABLE m (id INTEGER PRIMARY KEY, run_key INTEGER NOT NULL, key_id INTEGER "
        "NOT NULL, step INTEGER NOT NULL, value REAL, time REAL NOT NULL)",
        "CREATE INDEX m1 ON m (run_key, key_id, step, value)",
        "CREATE INDEX m2 ON m (run_key, id)",
    ],
    "clustered (run,key,step,seq), no seq index": [
        "CREATE TABLE m (run_key INTEGER, key_id INTEGER, step INTEGER, seq INTEGER, "
        "value REAL, time REAL NOT NULL, PRIMARY KEY (run_key, key_id, step, seq)) WITHOUT ROWID",
    ],
    "clustered + (run,seq) index [chosen]": [
        "CREATE TABLE m (run_key INTEGER, key_id INTEGER, step INTEGER, seq INTEGER, "
        "value REAL, time REAL NOT NULL, PRIMARY KEY (run_key, key_id, step, seq)) WITHOUT ROWID",
        "CREATE INDEX m2 ON m (run_key, seq)",
    ],
    "clustered (run,seq) + (run,key,step,value) index": [
        "CREATE TABLE m (run_key INTEGER, seq INTEGER, key_id INTEGER, step INTEGER, "
        "value REAL, time REAL NOT NULL, PRIMARY KEY (run_key, seq)) WITHOUT ROWID",
        "CREATE INDEX m1 ON m (run_key, key_id, step, value)",
    ],
}


def _layout_rows(name: str, run: int, steps: int) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    seq = 0
    for i in range(steps):
        for k in (1, 2):
            seq += 1
            value, t = 1.0 / (i + k), 1.7e9 + i * 0.01
            if name.startswith("v6"):
                rows.append((f"01ARZ3NDEKTSV4RRFFQ69G{run:04d}", f"key{k}", i, value, t))
            elif name.startswith("rowid"):
                rows.append((run, k, i, value, t))
            elif "(run,seq) +" in name:
                rows.append((run, seq, k, i, value, t))
            else:
                rows.append((run, k, i, seq, value, t))
    return rows


def _layout_insert(name: str) -> str:
    if name.startswith("v6"):
        return "INSERT INTO m (run_id, key, step, value, time) VALUES (?,?,?,?,?)"
    if name.startswith("rowid"):
        return "INSERT INTO m (run_key, key_id, step, value, time) VALUES (?,?,?,?,?)"
    if "(run,seq) +" in name:
        return "INSERT INTO m (run_key, seq, key_id, step, value, time) VALUES (?,?,?,?,?,?)"
    return "INSERT INTO m (run_key, key_id, step, seq, value, time) VALUES (?,?,?,?,?,?)"


def bench_sqlite_layouts(n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-layouts-"))
    print(f"  {'layout':50s} {'200x100 size':>12s} {'insert':>12s} {'read 1 run':>11s}")
    for name, ddl in SQLITE_LAYOUTS.items():
        sizes = []
        for mode in ("size", "speed"):
            path = folder / f"{len(sizes)}-{abs(hash(name))}.db"
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in ddl:
                conn.execute(statement)
            sql = _layout_insert(name)
            if mode == "size":
                for run in range(1, 201):
                    rows = _layout_rows(name, run, 50)
                    for b in range(0, 100, 20):  # a flush every 20 points
                        conn.execute("BEGIN")
                        conn.executemany(sql, rows[b : b + 20])
                        conn.execute("COMMIT")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.close()
                sizes.append(sum(p.stat().st_size for p in folder.glob(f"{path.name}*")))
                continue
            rows = _layout_rows(name, 1, n // 2)
            t0 = time.perf_counter()
            for b in range(0, len(rows), 4000):
                conn.execute("BEGIN")
                conn.executemany(sql, rows[b : b + 4000])
                conn.execute("COMMIT")
            insert = (time.perf_counter() - t0) / n * 1e6
            v6 = name.startswith("v6")
            where = "run_id = '01ARZ3NDEKTSV4RRFFQ69G0001'" if v6 else "run_key = 1"
            t0 = time.perf_counter()
            conn.execute(f"SELECT * FROM m WHERE {where}").fetchall()
            read = time.perf_counter() - t0
            conn.close()
            print(f"  {name:50s} {sizes[0] / 1e6:9.2f} MB {insert:7.2f} µs/pt {read * 1e3:8.0f} ms")


PG_LAYOUTS = {
    "v6: serial id + 2 indexes, text ids": [
        "CREATE TABLE m (id BIGSERIAL PRIMARY KEY, run_id VARCHAR(26) NOT NULL, key TEXT NOT "
        "NULL, step BIGINT NOT NULL, value FLOAT8, time FLOAT8 NOT NULL)",
        "CREATE INDEX m1 ON m (run_id, key, step, value)",
        "CREATE INDEX m2 ON m (run_id, id)",
    ],
    "PK (run,key,step,seq), no seq index": [
        "CREATE TABLE m (run_key INT, key_id INT, step BIGINT, seq BIGINT, value FLOAT8, "
        "time FLOAT8 NOT NULL, PRIMARY KEY (run_key, key_id, step, seq))",
    ],
    "PK (run,key,step,seq) + (run,seq) index [chosen]": [
        "CREATE TABLE m (run_key INT, key_id INT, step BIGINT, seq BIGINT, value FLOAT8, "
        "time FLOAT8 NOT NULL, PRIMARY KEY (run_key, key_id, step, seq))",
        "CREATE INDEX m2 ON m (run_key, seq)",
    ],
}


def bench_pg_layouts(url: str, n: int) -> None:
    import psycopg

    dsn = url.replace("postgresql+psycopg", "postgresql")
    print(f"  {'layout':50s} {'200x100 size':>12s} {'COPY':>12s} {'read 1 run':>11s}")
    for name, ddl in PG_LAYOUTS.items():
        size = 0.0
        for mode in ("size", "speed"):
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("DROP TABLE IF EXISTS m")
                for statement in ddl:
                    conn.execute(statement)
                columns = (
                    "run_id, key, step, value, time"
                    if name.startswith("v6")
                    else "run_key, key_id, step, seq, value, time"
                )
                kind = "v6" if name.startswith("v6") else "clustered"
                runs = range(1, 201) if mode == "size" else [1]
                steps = 50 if mode == "size" else n // 2
                t0 = time.perf_counter()
                for run in runs:
                    rows = _layout_rows(kind, run, steps)
                    for b in range(0, len(rows), 20 if mode == "size" else 4000):
                        with conn.transaction(), conn.cursor() as cur:
                            with cur.copy(f"COPY m ({columns}) FROM STDIN") as copy:
                                for row in rows[b : b + (20 if mode == "size" else 4000)]:
                                    copy.write_row(row)
                took = time.perf_counter() - t0
                if mode == "size":
                    conn.execute("VACUUM ANALYZE m")
                    size = conn.execute("SELECT pg_total_relation_size('m')").fetchone()[0]
                    continue
                where = "run_id = '01ARZ3NDEKTSV4RRFFQ69G0001'" if kind == "v6" else "run_key = 1"
                t0 = time.perf_counter()
                conn.execute(f"SELECT * FROM m WHERE {where} ORDER BY 2, 3").fetchall()
                read = time.perf_counter() - t0
                conn.execute("DROP TABLE m")
        print(f"  {name:50s} {size / 1e6:9.2f} MB {took / n * 1e6:7.2f} µs/pt {read * 1e3:8.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer points, for CI")
    parser.add_argument("--pg", default=os.environ.get("NBTRACK_TEST_PG_URL"))
    parser.add_argument("--layouts", action="store_true", help="also compare schema layouts")
    args = parser.parse_args()
    n = 40_000 if args.quick else 200_000
    repeat = 2 if args.quick else 5
    load = os.getloadavg()[0]
    print(f"nbtrack store benchmark ({'quick' if args.quick else 'full'}), load average {load:.1f}")
    for url in [None] + ([args.pg] if args.pg else []):
        name = "sqlite" if url is None else "postgresql"
        print(f"\n[{name}]")
        size = bench_size(url)
        target = "   (target <= 2 MB, all files)" if url is None else "   (tables + indexes)"
        print(f"  200 runs x 100 points on disk:         {size / 1e6:8.2f} MB{target}")
        print_log_cost(url, n, 3 if args.quick else 5)
        finishes = [bench_finish(url) for _ in range(repeat)]
        walls, cpus = [w for w, _ in finishes], [c for _, c in finishes]
        print(
            f"  finish after 20,000 points over 1 s:   {statistics.median(walls):8.4f} s "
            f"median, {min(walls):.4f} s best   (target <= 0.01 s)   CPU "
            f"{statistics.median(cpus):.4f} s median"
        )
        if url is not None:
            beside = [bench_finish_beside_import(url) for _ in range(repeat)]
            print(
                f"  finish beside an open import (1 s):    {statistics.median(beside):8.4f} s "
                f"median, {max(beside):.4f} s worst   (target <= 0.01 s; the import's "
                "transaction holds every registry-metric lock bucket)"
            )
        ours_h, raw_h = bench_history(url, n, repeat)
        print(
            f"  history() of one run, {n:,} points:  {ours_h:8.3f} s   raw driver into a "
            f"DataFrame: {raw_h:.3f} s   ratio {ours_h / raw_h:.2f}x (target <= 1.5x)"
        )
    if args.layouts:
        print(f"\nlayouts on raw SQL, {n:,} points for insert and read")
        print("[sqlite]")
        bench_sqlite_layouts(n)
        if args.pg:
            print("[postgresql]")
            bench_pg_layouts(args.pg, n)


if __name__ == "__main__":
    main()
