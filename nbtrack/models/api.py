"""`log_model` and `load_model`: a model is an artifact version of type `model`,
one file in the content-addressed blob storage, whose version meta records the
flavor, library versions, input signature and (through the artifact layer) the
run and cell that made it."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelError, ModelNotFoundError, warn_version
from .flavors import ORDER, detect, flavors
from .signature import example_json, library_versions, major_changes, signature

if TYPE_CHECKING:
    from ..artifacts.context import ArtifactContext
    from ..artifacts.records import Version
    from ..store import Store


def _save(ctx: ArtifactContext, model: Any, chosen: str | None, init_args: Any) -> tuple:
    """(flavor, hash, size, extra meta): the chosen flavor, else the detected one
    and then cloudpickle; a ModelError naming the type and every flavor tried."""
    table = flavors()
    order = [chosen] if chosen else list(dict.fromkeys([detect(model), "cloudpickle"]))
    failures = []
    for name in order:
        flavor = table[name]
        save = flavor.save
        if name == "pytorch":
            save = functools.partial(save, init_args=init_args)
        extra: dict[str, Any] = {}

        def write(sink: Any, save: Any = save, extra: dict[str, Any] = extra) -> None:
            extra.update(save(model, sink))

        try:
            digest, size = ctx.blobs.put_stream(write)
        except ModelError:
            raise
        except Exception as exc:  # any pickler error: try the next flavor, then say all
            failures.append(f"{name} ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})")
            continue
        return flavor, digest, size, extra
    kind = type(model)
    raise ModelError(
        f"cannot save a model of type {kind.__module__}.{kind.__qualname__}: flavors tried: "
        + "; ".join(failures)
        + ". Save what can be pickled (e.g. the fitted estimator or the nn.Module, not an "
        "object holding open files, locks or connections), or log your own file with "
        "nbtrack.log_artifact(path, type='model')"
    )


def log_model(
    model: Any,
    name: str,
    example: Any = None,
    flavor: str | None = None,
    *,
    init_args: dict[str, Any] | None = None,
    aliases: Iterable[str] | str = (),
) -> Version:
    """Store `model` as a version of the model artifact `name` (the same bytes give
    the existing version). The flavor is detected (scikit-learn → joblib, a
    PyTorch nn.Module → state_dict + class path, Keras → .keras, anything else →
    cloudpickle) unless `flavor` names one. `example` (a few input rows) records
    the input signature. `init_args` are the constructor arguments of a PyTorch
    module class that needs some. Inside a run, records the run and cell."""
    from ..artifacts.api import _aliases, _edge
    from ..artifacts.context import active_run, context_for, current_cell
    from ..artifacts.names import check_name
    from ..artifacts.records import record_version
    from .registry_records import is_registered

    name = check_name(name)
    if flavor is not None and flavor not in ORDER:
        raise ModelError(f"unknown model flavor {flavor!r}: use one of {', '.join(ORDER)}")
    ctx = context_for()
    if is_registered(ctx.store, name):
        raise ModelError(
            f"{name!r} is a registered model name (nbtrack.registry): log the model under "
            f"its own name (e.g. {name + '-model'!r}) and link it with "
            f"nbtrack.registry.link('<name>:vN', {name!r})"
        )
    chosen, digest, size, extra = _save(ctx, model, flavor, init_args)
    info: dict[str, Any] = {
        "flavor": chosen.name,
        "libraries": library_versions(list(chosen.libraries)),
        **extra,
    }
    if example is not None:
        info["signature"] = signature(example)
        small = example_json(example)
        if small is not None:
            info["example"] = small
    run = active_run()
    version, _ = record_version(
        ctx.store,
        name=name,
        type="model",
        hash=digest,
        kind="file",
        size=size,
        files=1,
        stored=True,
        meta={"filename": chosen.filename, "mode": 0o644, "model": info},
        blobs={digest: size},
        run_id=run.id if run is not None else None,
        cell=current_cell(run),
    )
    _edge(ctx, version, "out")
    _aliases(ctx, version, aliases)
    return version


# -- references -------------------------------------------------------------------


def _artifact_exists(store: Store, name: str) -> bool:
    import sqlalchemy as sa

    from ..store.artifact_tables import artifact_versions as V

    with store.reading() as conn:
        return conn.execute(sa.select(V.c.id).where(V.c.name == name).limit(1)).first() is not None


def resolve_model(store: Store, ref: str) -> Version:
    """The model version `ref` names: `registered@alias`, `registered:vN`, `name:vN`,
    `name:latest`, `name:<alias>`, `name`, or a run reference (`train#4`: the model
    that run logged)."""
    from ..artifacts.records import resolve
    from . import registry_records as rr

    if not isinstance(ref, str) or not ref.strip():
        raise ModelError(
            f"a model reference is a string like 'digits-mlp:v3', 'digits-classifier@production' "
            f"or a run 'train#4', not {ref!r:.80}"
        )
    if "@" in ref:
        name, _, alias = ref.rpartition("@")
        if rr.is_registered(store, name):
            return rr.version_for(store, name, alias=alias)
    base, sep, selector = ref.rpartition(":")
    if not sep:
        base, selector = ref, ""
    registered = rr.is_registered(store, base)
    artifact = _artifact_exists(store, base)
    if registered and artifact:
        raise ModelError(
            f"{base!r} names both a registered model and an artifact: load the artifact's "
            f"version with nbtrack.use_artifact, or rename one of them"
        )
    if registered:
        return rr.version_for(store, base, selector=selector or None)
    if artifact:
        return resolve(store, ref)
    return _model_of_run(store, ref)


def _model_of_run(store: Store, ref: str) -> Version:
    from ..artifacts.reads import run_edges
    from ..errors import RunNotFoundError
    from ..query import resolve_ref

    try:
        run_id = resolve_ref(ref, store)
    except RunNotFoundError:
        raise ModelNotFoundError(
            f"no model, registered model or run matches {ref!r}: use name:vN or name:latest "
            "for a logged model, registered@alias for the registry (nbtrack.registry.models()), "
            "or a run like train#4 (nbtrack.artifacts() lists logged models)"
        ) from None
    models = [v for v in run_edges(store, run_id, "out") if v.type == "model"]
    if not models:
        raise ModelNotFoundError(
            f"run {ref} logged no model: log one in it with nbtrack.log_model(model, name)"
        )
    if len(models) > 1:
        names = ", ".join(sorted(v.ref for v in models))
        raise ModelError(
            f"run {ref} logged several models ({names}): load one of them by name, "
            f"e.g. nbtrack.load_model({models[0].ref!r})"
        )
    return models[0]


# -- loading ------------------------------------------------------------------------


def model_file(ctx: ArtifactContext, version: Version) -> Path:
    """The model's file on this machine: the blob itself in a local store (read
    only, never copied), a downloaded copy from a remote one."""
    from ..artifacts.blobstore import LocalBlobs

    gone = ModelError(
        f"the stored bytes of {version.ref} (blob {version.hash[:12]}) are missing from the "
        f"artifact storage {getattr(ctx.blobs, 'shown', ctx.blobs.url)}: they were "
        "garbage-collected (`nbtrack gc`) or the storage was pruned or moved. Log the model "
        "again, or point NBTRACK_ARTIFACTS at the storage that holds it"
    )
    if isinstance(ctx.blobs, LocalBlobs):
        path = ctx.blobs.path(version.hash)
        if not path.exists():
            raise gone
        return path
    if not ctx.blobs.has(version.hash):
        raise gone
    from ..artifacts.api import checkout

    return checkout(ctx, version)


def load_version(ctx: ArtifactContext, version: Version) -> Any:
    info = version.meta.get("model")
    if not isinstance(info, dict) or info.get("flavor") not in ORDER:
        raise ModelError(
            f"{version.ref} is an artifact of type {version.type!r} logged without "
            "log_model, so nbtrack does not know how to load it: get its file with "
            f"nbtrack.use_artifact({version.ref!r})"
        )
    flavor = flavors()[info["flavor"]]
    path = model_file(ctx, version)
    now = library_versions(list(flavor.libraries))
    for library, old, new in major_changes(info.get("libraries", {}), now):
        warn_version(
            f"{version.ref} was saved with {library} {old} and is loaded with {library} {new}, "
            "another major version: it may fail or behave differently. Install "
            f"{library}=={old} to load it as it was saved"
        )
    try:
        return flavor.load(path, info)
    except ModelError:
        raise
    except FileNotFoundError as exc:
        raise ModelError(f"the file of {version.ref} vanished while loading: {exc}") from exc


def load_model(ref: str) -> Any:
    """The model `ref` names, loaded (`digits-mlp:v3`, `digits-mlp:latest`,
    `digits-classifier@production`, `digits-classifier:v2`, or a run `train#4`), and
    recorded as an input of the active run."""
    from ..artifacts.api import _edge
    from ..artifacts.context import context_for

    ctx = context_for()
    version = resolve_model(ctx.store, ref)
    model = load_version(ctx, version)
    _edge(ctx, version, "in")
    return model
