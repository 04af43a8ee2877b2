"""The model registry: registered names whose versions point at logged models,
with aliases (`production`, `candidate`) that move and a history of every move.

    nbtrack.registry.link("digits-mlp:v3", "digits-classifier", aliases=["candidate"])
    nbtrack.registry.set_alias("digits-classifier", "production", version=2)
    nbtrack.load_model("digits-classifier@production")
    nbtrack.registry.models()                 # DataFrame
    nbtrack.registry.history("digits-classifier")

Registered names and artifact names share one namespace: a registered name may
not be the name of a logged artifact, and log_model refuses a registered name,
so `name:v2` always means one thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import registry_records as rr
from .errors import ModelError

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store

MODEL_COLUMNS = [
    "model",
    "version",
    "aliases",
    "source",
    "flavor",
    "run",
    "run_name",
    "linked",
    "user",
]
HISTORY_COLUMNS = ["time", "user", "alias", "from_version", "to_version", "run"]


def _store(store: Any) -> Store:
    from ..query import store_for

    if store is None:
        from ..artifacts.context import context_for

        return context_for().store
    return store_for(store)


def _run_id() -> str | None:
    from ..artifacts.context import active_run

    run = active_run()
    return run.id if run is not None else None


def link(
    ref: str,
    name: str,
    aliases: Iterable[str] | str = (),
    store: str | Store | None = None,
) -> int:
    """Register the logged model `ref` (`digits-mlp:v3`, or any model reference)
    as the next version of the registered model `name` (created on first link);
    linking the same model again returns its existing number. Sets `aliases` on it.
    Returns the registered version number."""
    from ..artifacts.names import check_alias, check_name
    from .api import resolve_model

    st = _store(store)
    check_name(name)
    aliases = [aliases] if isinstance(aliases, str) else list(aliases)
    for alias in aliases:
        check_alias(alias)
    version = resolve_model(st, ref)
    if version.type != "model":
        raise ModelError(
            f"{version.ref} is an artifact of type {version.type!r}, not a model: log "
            "models with nbtrack.log_model(model, name) and link those"
        )
    if not rr.is_registered(st, name):
        rr.check_new_name(st, name)
    user = rr.current_user()
    number, _created = rr.link(st, version, name, user)
    for alias in aliases:
        rr.move_alias(st, name, alias, number, user, _run_id())
    return number


def set_alias(
    name: str, alias: str, version: int | str, store: str | Store | None = None
) -> int | None:
    """Point `alias` of the registered model `name` at `version` (2 or "v2"); it
    moves from the version holding it, and the move is kept in the history.
    Returns the version it moved from (None for a new alias)."""
    st = _store(store)
    return rr.move_alias(st, name, alias, _number(version), rr.current_user(), _run_id())


def delete_alias(name: str, alias: str, store: str | Store | None = None) -> int:
    """Remove `alias` from the registered model `name` (kept in the history);
    returns the version that held it."""
    st = _store(store)
    before = rr.move_alias(st, name, alias, None, rr.current_user(), _run_id())
    assert before is not None
    return before


def _number(version: int | str) -> int:
    text = str(version)
    digits = text[1:] if text[:1] in ("v", "V") else text
    if isinstance(version, bool) or not digits.isdigit():
        raise ModelError(f"a registered version is a number like 2 or 'v2', not {version!r}")
    return int(digits)


def _strings(values: Sequence[str | None], take: Any = None) -> Any:
    """A pandas "str" column of `values` (None: missing), picked by the indexes
    `take` when given. When pandas keeps strings in pyarrow (pandas 3), through
    one pyarrow array: half the cost of pandas checking each value."""
    import numpy as np
    import pandas as pd

    dtype = pd.api.types.pandas_dtype("str")
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        array = pa.array(values, pa.large_string())
        return pd.array(array if take is None else array.take(take), dtype=dtype)
    picked = values if take is None else np.asarray(values, dtype=object)[take]
    return pd.array(picked, dtype="str")


def models(name: str | None = None, store: str | Store | None = None) -> pd.DataFrame:
    """Every registered version (of `name`), one row each: model, version, aliases,
    source (the logged model, e.g. digits-mlp:v3), flavor, run (`stem#seq` that
    logged it), run_name, linked (UTC), user, then `metrics.<key>` (that run's last
    values)."""
    import numpy as np
    import pandas as pd

    from .listing import paused_gc, read_listing

    listing = read_listing(_store(store), name, metrics=True, run_ids=False)
    cols = listing.columns
    with paused_gc():
        # Each model's name repeated over its rows.
        rows_of = np.repeat(np.arange(len(listing.names)), listing.counts)
        base = pd.DataFrame(
            {
                "model": _strings(listing.names, rows_of),
                "version": np.array(cols["version"], dtype="int64"),
                "aliases": listing.alias_lists(),
                **{k: _strings(cols[k]) for k in ("source", "flavor", "run", "run_name")},
                "linked": pd.to_datetime(
                    np.array(cols["linked"], dtype="float64"), unit="s", utc=True
                ),
                "user": _strings(cols["user"]),
                # None (NaN, or a run deleted since) becomes NaN.
                **{
                    f"metrics.{key}": np.array(values, dtype="float64")
                    for key, values in listing.metrics.items()
                },
            }
        )
    return base


def history(name: str, store: str | Store | None = None) -> pd.DataFrame:
    """Every alias move of the registered model `name`, oldest first: time (UTC),
    user, alias, from_version (None: a new alias), to_version (None: deleted), run
    (the run active when it moved, if any)."""
    import pandas as pd

    from ..artifacts.reads import run_refs

    st = _store(store)
    if not rr.is_registered(st, name):
        raise rr._missing(st, name)
    rows = rr.history(st, name)
    refs = run_refs(st, [r["run_id"] for r in rows if r["run_id"]])
    df = pd.DataFrame.from_records(
        [
            {
                "time": r["time"],
                "user": r["user"],
                "alias": r["alias"],
                "from_version": r["from_version"],
                "to_version": r["to_version"],
                "run": refs.get(r["run_id"] or ""),
            }
            for r in rows
        ],
        columns=HISTORY_COLUMNS,
    )
    df["time"] = pd.to_datetime(df["time"].astype("float64"), unit="s", utc=True)
    for col in ("from_version", "to_version"):
        df[col] = df[col].astype("Int64")
    return df
