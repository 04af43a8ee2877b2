"""The registry's rows (store/registry_tables.py): link, move and delete aliases,
read versions, listings and history. Each write is one transaction; moves of
one registered model's aliases lock its row (PostgreSQL `FOR UPDATE`, SQLite's
write lock), so concurrent moves queue: the last one wins and every move is in
the history with the holder it really replaced."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import StoreError
from ..store.registry_runs import refresh_run
from ..store.registry_tables import (
    registered_models as M,
)
from ..store.registry_tables import (
    registry_alias_history as H,
)
from ..store.registry_tables import (
    registry_aliases as A,
)
from ..store.registry_tables import (
    registry_versions as RV,
)
from .errors import ModelError, ModelNotFoundError

if TYPE_CHECKING:
    from ..artifacts.records import Version
    from ..store import Store


def current_user() -> str:
    """JUPYTERHUB_USER when set (a hub's kernels all run as one OS user), else the OS user."""
    import getpass
    import os

    return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


def is_registered(store: Store, name: str) -> bool:
    with store.reading() as conn:
        return conn.execute(sa.select(M.c.name).where(M.c.name == name)).first() is not None


def _missing(store: Store, name: str) -> ModelNotFoundError:
    with store.reading() as conn:
        names = [r[0] for r in conn.execute(sa.select(M.c.name).order_by(M.c.name).limit(20))]
    known = f" (registered: {', '.join(names)})" if names else " (none is registered yet)"
    return ModelNotFoundError(
        f"no registered model {name!r}{known}: register one with "
        f"nbtrack.registry.link('<model>:vN', {name!r})"
    )


def link(store: Store, version: Version, name: str, user: str) -> tuple[int, bool]:
    """Version number of `version` under the registered `name`: the existing link,
    or the next number. Returns (number, created)."""
    for attempt in range(20):
        try:
            with store.writing() as conn:
                now = time.time()
                if conn.execute(sa.select(M.c.name).where(M.c.name == name)).first() is None:
                    conn.execute(sa.insert(M).values(name=name, created=now, user=user))
                found = conn.execute(
                    sa.select(RV.c.version).where(
                        RV.c.name == name, RV.c.artifact_version_id == version.id
                    )
                ).scalar()
                if found is not None:
                    return int(found), False
                number = (
                    conn.execute(
                        sa.select(sa.func.max(RV.c.version)).where(RV.c.name == name)
                    ).scalar()
                    or 0
                ) + 1
                conn.execute(
                    sa.insert(RV).values(
                        name=name,
                        version=number,
                        artifact_version_id=version.id,
                        source=version.ref,
                        run_id=version.run_id,
                        flavor=(version.meta.get("model") or {}).get("flavor"),
                        created=now,
                        user=user,
                    )
                )
                if version.run_id is not None:  # the run's ref and name, copied
                    refresh_run(conn, version.run_id)
                return number, True
        except StoreError as exc:
            # Two PostgreSQL writers took the same number or created the same name.
            text = str(exc.__cause__)
            if attempt == 19 or not ("nbtrack_registry" in text or "registered_models" in text):
                raise
    raise AssertionError("unreachable")


def _lock_model(conn: sa.Connection, name: str) -> None:
    query = sa.select(M.c.name).where(M.c.name == name)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    if conn.execute(query).first() is None:
        raise ModelNotFoundError(f"no registered model {name!r}")


def _numbers(conn: sa.Connection, name: str) -> list[int]:
    rows = conn.execute(sa.select(RV.c.version).where(RV.c.name == name).order_by(RV.c.version))
    return [r[0] for r in rows]


def move_alias(
    store: Store, name: str, alias: str, version: int | None, user: str, run_id: str | None
) -> int | None:
    """Point `alias` at `version` (None: delete it); the holder it replaced, kept
    with the move in the history."""
    from ..artifacts.names import check_alias

    check_alias(alias)
    if not is_registered(store, name):
        raise _missing(store, name)
    with store.writing() as conn:
        _lock_model(conn, name)
        if version is not None and version not in (numbers := _numbers(conn, name)):
            have = f"v1..v{numbers[-1]}" if numbers else "no versions"
            raise ModelNotFoundError(
                f"{name!r} has no version {version} (it has {have}): link one first with "
                f"nbtrack.registry.link('<model>:vN', {name!r})"
            )
        before = conn.execute(
            sa.select(A.c.version).where(A.c.name == name, A.c.alias == alias)
        ).scalar()
        if version is None and before is None:
            raise ModelNotFoundError(f"{name!r} has no alias {alias!r} to delete")
        now = time.time()
        if version is None:
            conn.execute(sa.delete(A).where(A.c.name == name, A.c.alias == alias))
        elif before is None:
            conn.execute(
                sa.insert(A).values(name=name, alias=alias, version=version, time=now, user=user)
            )
        else:
            conn.execute(
                sa.update(A)
                .where(A.c.name == name, A.c.alias == alias)
                .values(version=version, time=now, user=user)
            )
        conn.execute(
            sa.insert(H).values(
                name=name,
                alias=alias,
                from_version=before,
                to_version=version,
                user=user,
                time=now,
                run_id=run_id,
            )
        )
    return before


def version_for(
    store: Store, name: str, alias: str | None = None, selector: str | None = None
) -> Version:
    """The artifact version behind `name@alias` or `name:vN` / `name:latest` /
    `name:<alias>` of a registered model."""
    import re

    from ..artifacts.records import versions

    with store.reading() as conn:
        if (
            alias is None
            and selector not in (None, "latest")
            and not re.match(r"^v\d+$", selector or "")
        ):
            alias = selector
        if alias is not None:
            number = conn.execute(
                sa.select(A.c.version).where(A.c.name == name, A.c.alias == alias)
            ).scalar()
            if number is None:
                have = [r[0] for r in conn.execute(sa.select(A.c.alias).where(A.c.name == name))]
                raise ModelNotFoundError(
                    f"registered model {name!r} has no alias {alias!r}"
                    + (f" (its aliases: {', '.join(sorted(have))})" if have else "")
                    + f": set one with nbtrack.registry.set_alias({name!r}, {alias!r}, version=N)"
                )
        elif selector in (None, "latest"):
            number = conn.execute(
                sa.select(sa.func.max(RV.c.version)).where(RV.c.name == name)
            ).scalar()
        else:
            number = int(selector[1:])  # type: ignore[index]
        vid = conn.execute(
            sa.select(RV.c.artifact_version_id).where(RV.c.name == name, RV.c.version == number)
        ).scalar()
    if vid is None:
        raise ModelNotFoundError(f"registered model {name!r} has no version {number}")
    found = versions(store, ids=[vid])
    if not found:
        raise ModelNotFoundError(
            f"{name}:v{number} points at a model version that no longer exists (deleted with "
            "its run and garbage-collected): link another version and move the alias"
        )
    return found[0]


def listing(store: Store, name: str | None = None) -> list[dict[str, Any]]:
    """Every registered version (of `name`): name, version, artifact_version_id,
    created, user, aliases; by name then version."""
    query = sa.select(RV).order_by(RV.c.name, RV.c.version)
    aliases_q = sa.select(A.c.name, A.c.version, A.c.alias)
    if name is not None:
        query = query.where(RV.c.name == name)
        aliases_q = aliases_q.where(A.c.name == name)
    with store.reading() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        held: dict[tuple[str, int], list[str]] = {}
        for n, v, alias in conn.execute(aliases_q):
            held.setdefault((n, v), []).append(alias)
    for row in rows:
        row["aliases"] = sorted(held.get((row["name"], row["version"]), []))
    return rows


def history(store: Store, name: str) -> list[dict[str, Any]]:
    query = sa.select(H).where(H.c.name == name).order_by(H.c.id)
    with store.reading() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def registered_names(store: Store) -> list[str]:
    with store.reading() as conn:
        return [r[0] for r in conn.execute(sa.select(M.c.name).order_by(M.c.name))]


def check_new_name(store: Store, name: str) -> None:
    """A registered name may not be an artifact's name: `name:v2` must mean one thing."""
    from .api import _artifact_exists

    if _artifact_exists(store, name):
        raise ModelError(
            f"{name!r} is already the name of a logged artifact: a registered model needs a "
            f"name of its own, e.g. {name + '-registry'!r} (registered names and artifact "
            "names share one namespace so that 'name:v2' always means one thing)"
        )


def model_error(text: str) -> ModelError:
    return ModelError(text)
