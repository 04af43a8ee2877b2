"""PostgreSQL: each registered version's copy of its source run's metric summaries
(`nbtrack_registry_metrics`: name, version, key, last), kept by the server itself.

Why: the registry listing shows every version with its run's last value of each
metric. Read from the summaries, that is a join of every version with every
summary of its run by the run's text id, then a grouping: 50-75 ms of server
time at 20,000 versions x 2 keys, most of the listing's time on PostgreSQL
(benchmarks/bench_models.py). The copies are one table the listing reads and
groups by key without a join (~20 ms).

How they stay true: triggers, so that no writer (the metric writer, imports,
transfers, run deletes, links, whatever comes later) can forget them. Writes to
the summaries (statement triggers: one per statement, over its transition
table, so a bulk import pays once) put or drop the copies of the versions that
point at those runs; writes to the versions (links, deletes, a version whose run
changes) put or drop that version's copies. Each trigger first takes, in order,
an advisory lock per bucket of the runs it touches (BUCKETS of them), held to
commit: a link and a summary write of the same run in two transactions then
run one after the other, and the second sees what the first committed (each
statement of a trigger function reads a fresh snapshot under READ COMMITTED),
where otherwise each could miss the other's rows and leave a copy stale. The
summaries' triggers take their buckets shared and the versions' exclusive: two
summary writes never wait for each other here (runs that share a bucket, bulk
imports), only for a link of one of their runs. Two summary writes of one run
need no lock of ours: the summary row's own lock orders them, and a copy row
belongs to one summary row.

SQLite has neither the table nor the triggers: its listing joins each key's
summaries by the runs' primary key, under the target (models/listing_metrics.py).
"""

from __future__ import annotations

from typing import Any

TABLE = "nbtrack_registry_metrics"
# Advisory locks: nbtrack's class for these (store.py has 7242002 for run numbers)
# and the number of run buckets: a transaction holds at most this many, the
# server's default max_locks_per_transaction (its lock table is shared by all
# connections, so a bulk import's 64 fit beside others' few). Only a transaction
# that takes buckets exclusively in more than one trigger call (links in two
# statements, or a multi-row insert of versions: a row trigger each), against a
# summary write that takes them in the other order (an import's, which holds
# them to its commit), can deadlock: the server then aborts one. A metric
# writer retries or journals its batch as after any failed write, an import
# tries again (transfer/load.py), a link says so.
LOCK_CLASS = 7242003
BUCKETS = 64

_LOCK = (
    "PERFORM {function}({cls}, b) FROM ("
    "SELECT DISTINCT (hashtext(run_id) & {mask}) AS b FROM ({runs}) AS r "
    "WHERE run_id IS NOT NULL ORDER BY 1) AS q;"
)


def _lock(runs: str, shared: bool) -> str:
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    return _LOCK.format(function=function, cls=LOCK_CLASS, mask=BUCKETS - 1, runs=runs)


_PUT_FROM_SUMMARIES = """
INSERT INTO nbtrack_registry_metrics AS m (name, version, key, last)
SELECT v.name, v.version, n.key, n.last
FROM nbtrack_new_summaries AS n
JOIN nbtrack_registry_versions AS v ON v.run_id = n.run_id
ON CONFLICT (name, version, key) DO UPDATE SET last = EXCLUDED.last;
"""

_DROP_OLD_SUMMARIES = """
DELETE FROM nbtrack_registry_metrics AS m
USING nbtrack_old_summaries AS o, nbtrack_registry_versions AS v
WHERE v.run_id = o.run_id AND m.name = v.name AND m.version = v.version AND m.key = o.key
{unless_new};
"""

_UNLESS_NEW = (
    "AND NOT EXISTS (SELECT 1 FROM nbtrack_new_summaries AS n "
    "WHERE n.run_id = o.run_id AND n.key = o.key)"
)

_PUT_FROM_VERSION = """
INSERT INTO nbtrack_registry_metrics AS m (name, version, key, last)
SELECT NEW.name, NEW.version, s.key, s.last
FROM nbtrack_summaries AS s WHERE s.run_id = NEW.run_id
ON CONFLICT (name, version, key) DO UPDATE SET last = EXCLUDED.last;
"""


def _function(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $nbtrack$\n"
        f"BEGIN\n{body}\nRETURN NULL;\nEND\n$nbtrack$"
    )


def _trigger(name: str, table: str, event: str, function: str, referencing: str = "") -> list[str]:
    """A statement trigger over transition tables when `referencing`, else a row one
    (a version's update only when its name, number or run changes: not when
    store/registry_runs.py refreshes its run's ref and name)."""
    each = "STATEMENT" if referencing else "ROW"
    when = (
        "WHEN (OLD.run_id IS DISTINCT FROM NEW.run_id OR OLD.name <> NEW.name "
        "OR OLD.version <> NEW.version)"
        if event == "UPDATE" and not referencing
        else ""
    )
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} AFTER {event} ON {table} {referencing} "
        f"FOR EACH {each} {when} EXECUTE FUNCTION {function}()",
    ]


_OLD_RUNS = "SELECT run_id FROM nbtrack_old_summaries"
_NEW_RUNS = "SELECT run_id FROM nbtrack_new_summaries"
_ROW_RUNS = "SELECT OLD.run_id AS run_id UNION ALL SELECT NEW.run_id"
_VERSIONS = "nbtrack_registry_versions"

DDL = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "name TEXT NOT NULL, version INTEGER NOT NULL, key TEXT NOT NULL, "
    "last DOUBLE PRECISION, PRIMARY KEY (name, version, key))",
    # The summaries: put on insert; on update, drop a (run, key) no longer there,
    # then put; drop on delete.
    _function("nbtrack_rm_summaries_inserted", _lock(_NEW_RUNS, shared=True) + _PUT_FROM_SUMMARIES),
    _function(
        "nbtrack_rm_summaries_updated",
        _lock(f"{_OLD_RUNS} UNION {_NEW_RUNS}", shared=True)
        + _DROP_OLD_SUMMARIES.format(unless_new=_UNLESS_NEW)
        + _PUT_FROM_SUMMARIES,
    ),
    _function(
        "nbtrack_rm_summaries_deleted",
        _lock(_OLD_RUNS, shared=True) + _DROP_OLD_SUMMARIES.format(unless_new=""),
    ),
    # The versions (a row each: links come one by one): put a new version's
    # copies; a version whose name, number or run changes, or that is deleted,
    # loses its old ones first.
    _function(
        "nbtrack_rm_version_changed",
        _lock(_ROW_RUNS, shared=False) + "IF TG_OP <> 'INSERT' THEN "
        "DELETE FROM nbtrack_registry_metrics WHERE name = OLD.name AND version = OLD.version; "
        "END IF;\n"
        "IF TG_OP <> 'DELETE' THEN " + _PUT_FROM_VERSION + " END IF;",
    ),
    *_trigger(
        "nbtrack_rm_summaries_ins",
        "nbtrack_summaries",
        "INSERT",
        "nbtrack_rm_summaries_inserted",
        "REFERENCING NEW TABLE AS nbtrack_new_summaries",
    ),
    *_trigger(
        "nbtrack_rm_summaries_upd",
        "nbtrack_summaries",
        "UPDATE",
        "nbtrack_rm_summaries_updated",
        "REFERENCING OLD TABLE AS nbtrack_old_summaries NEW TABLE AS nbtrack_new_summaries",
    ),
    *_trigger(
        "nbtrack_rm_summaries_del",
        "nbtrack_summaries",
        "DELETE",
        "nbtrack_rm_summaries_deleted",
        "REFERENCING OLD TABLE AS nbtrack_old_summaries",
    ),
    *_trigger("nbtrack_rm_versions_ins", _VERSIONS, "INSERT", "nbtrack_rm_version_changed"),
    *_trigger("nbtrack_rm_versions_upd", _VERSIONS, "UPDATE", "nbtrack_rm_version_changed"),
    *_trigger("nbtrack_rm_versions_del", _VERSIONS, "DELETE", "nbtrack_rm_version_changed"),
]

# Every version's copies from the summaries as they are (a store upgraded to them).
FILL = f"""
INSERT INTO {TABLE} (name, version, key, last)
SELECT v.name, v.version, s.key, s.last
FROM nbtrack_registry_versions AS v JOIN nbtrack_summaries AS s ON s.run_id = v.run_id
ON CONFLICT (name, version, key) DO NOTHING
"""


def kept(conn: Any) -> bool:
    """Whether this store keeps the copies (PostgreSQL)."""
    return conn.dialect.name == "postgresql"


def install(conn: Any, fill: bool = False) -> None:
    """Create the table and the triggers (PostgreSQL; nothing on SQLite) inside the
    caller's transaction, and copy every version's summaries when `fill`."""
    if not kept(conn):
        return
    for statement in DDL:
        conn.exec_driver_sql(statement)
    if fill:
        conn.exec_driver_sql(FILL)
