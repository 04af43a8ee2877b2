"""How each kind of model is saved to one file and loaded back (a "flavor").

Detection reads the class hierarchy's module names, so it imports no framework
the model does not come from:

- `sklearn`: an estimator (a class from `sklearn.*` in its MRO) → joblib;
- `pytorch`: a `torch.nn.Module` → see pytorch.py (state_dict + class path);
- `keras`: a `keras.Model`, when keras is importable → the `.keras` format;
- `cloudpickle`: anything else picklable (and estimators whose class was
  defined in the notebook, which joblib would pickle by reference only).

- `lightning`: a Lightning checkpoint file (`Checkpoint`, from the Lightning
  logger), kept byte for byte (so `trainer.fit(ckpt_path=...)` resumes from it)
  with its LightningModule's class path; loaded with that class's
  `load_from_checkpoint`. Never detected: the logger names it.
- `transformers`: a Hugging Face `PreTrainedModel`, its `save_pretrained`
  folder as one uncompressed tar; loaded with the class's `from_pretrained`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

ORDER = ("sklearn", "pytorch", "keras", "lightning", "transformers", "cloudpickle")


@dataclass(frozen=True)
class Checkpoint:
    """A Lightning checkpoint file and the LightningModule class it restores:
    `log_model(Checkpoint(path, type(module)), name, flavor="lightning")`."""

    path: Path
    module_class: type


@dataclass(frozen=True)
class Flavor:
    name: str
    filename: str
    libraries: tuple[str, ...]
    # save(model, file) -> extra meta; writes the model to a binary file object
    save: Callable[[Any, BinaryIO], dict[str, Any]]
    # load(path, meta) -> model
    load: Callable[[Path, dict[str, Any]], Any]


def _modules(model: Any) -> list[str]:
    return [getattr(c, "__module__", "") or "" for c in type(model).__mro__]


def _from(model: Any, package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in _modules(model))


def detect(model: Any) -> str:
    """The flavor a model is saved with by default. Keras first: a Keras 3 model on
    the torch backend is a torch Module too, but only `.keras` rebuilds it."""
    if _from(model, "keras") or _from(model, "tf_keras"):
        import importlib.util

        if importlib.util.find_spec("keras") is not None:
            return "keras"
    if _from(model, "transformers") and hasattr(model, "save_pretrained"):
        return "transformers"
    if _from(model, "torch") and _is_torch_module(model):
        return "pytorch"
    if _from(model, "sklearn") and type(model).__module__ != "__main__":
        return "sklearn"
    return "cloudpickle"


def _is_torch_module(model: Any) -> bool:
    import torch

    return isinstance(model, torch.nn.Module)


# -- scikit-learn -------------------------------------------------------------------


def _sklearn_save(model: Any, sink: BinaryIO) -> dict[str, Any]:
    import joblib

    joblib.dump(model, sink)
    return {"class": _class_path(model)}


def _sklearn_load(path: Path, meta: dict[str, Any]) -> Any:
    import joblib

    return joblib.load(path)


# -- cloudpickle --------------------------------------------------------------------


def _pickle_save(model: Any, sink: BinaryIO) -> dict[str, Any]:
    import cloudpickle

    cloudpickle.dump(model, sink, protocol=5)
    return {"class": _class_path(model)}


def _pickle_load(path: Path, meta: dict[str, Any]) -> Any:
    import pickle

    import cloudpickle  # noqa: F401  (classes pickled by value need it importable)

    with open(path, "rb") as f:
        return pickle.load(f)


# -- keras (only when keras is installed) ------------------------------------------


def _keras_save(model: Any, sink: BinaryIO) -> dict[str, Any]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="nbtrack-keras-") as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                sink.write(chunk)
    return {"class": _class_path(model)}


def _keras_load(path: Path, meta: dict[str, Any]) -> Any:
    import keras

    if path.suffix != ".keras":  # keras reads the format from the file name
        import os
        import tempfile

        folder = tempfile.mkdtemp(prefix="nbtrack-keras-")
        link = Path(folder) / "model.keras"
        os.symlink(path, link)
        path = link
    return keras.saving.load_model(path)


# -- lightning checkpoints -----------------------------------------------------------


def _lightning_save(checkpoint: Any, sink: BinaryIO) -> dict[str, Any]:
    if not isinstance(checkpoint, Checkpoint):
        kind = type(checkpoint)
        raise TypeError(
            f"the lightning flavor keeps a checkpoint file (nbtrack.models.flavors.Checkpoint), "
            f"not a {kind.__module__}.{kind.__qualname__}"
        )
    with open(checkpoint.path, "rb") as f:
        while chunk := f.read(1 << 20):
            sink.write(chunk)
    cls = checkpoint.module_class
    return {"class": f"{cls.__module__}:{cls.__qualname__}", "format": "checkpoint"}


def _lightning_load(path: Path, meta: dict[str, Any]) -> Any:
    from .pytorch import _import_class

    return _import_class(meta["class"]).load_from_checkpoint(path, map_location="cpu")


# -- transformers (save_pretrained / from_pretrained) -------------------------------


def _transformers_save(model: Any, sink: BinaryIO) -> dict[str, Any]:
    import tarfile
    import tempfile

    with tempfile.TemporaryDirectory(prefix="nbtrack-hf-") as folder:
        model.save_pretrained(folder)
        with tarfile.open(fileobj=sink, mode="w|") as tar:  # type: ignore[call-overload]
            for path in sorted(Path(folder).rglob("*")):
                tar.add(path, arcname=str(path.relative_to(folder)), recursive=False)
    return {"class": _class_path(model), "format": "save_pretrained"}


def _transformers_load(path: Path, meta: dict[str, Any]) -> Any:
    import tarfile
    import tempfile

    from .pytorch import _import_class

    cls = _import_class(meta["class"])
    with tempfile.TemporaryDirectory(prefix="nbtrack-hf-") as folder:
        with tarfile.open(path, mode="r:") as tar:
            tar.extractall(folder, filter="data")
        model = cls.from_pretrained(folder)
    return model


def _class_path(model: Any) -> str:
    kind = type(model)
    return f"{kind.__module__}:{kind.__qualname__}"


def flavors() -> dict[str, Flavor]:
    from . import pytorch

    return {
        "sklearn": Flavor(
            "sklearn",
            "model.joblib",
            ("scikit-learn", "joblib", "numpy"),
            _sklearn_save,
            _sklearn_load,
        ),
        "pytorch": Flavor("pytorch", "model.pt", ("torch",), pytorch.save, pytorch.load),
        "keras": Flavor("keras", "model.keras", ("keras",), _keras_save, _keras_load),
        "lightning": Flavor(
            "lightning", "model.ckpt", ("lightning", "torch"), _lightning_save, _lightning_load
        ),
        "transformers": Flavor(
            "transformers",
            "model.tar",
            ("transformers", "torch"),
            _transformers_save,
            _transformers_load,
        ),
        "cloudpickle": Flavor(
            "cloudpickle", "model.pkl", ("cloudpickle",), _pickle_save, _pickle_load
        ),
    }
