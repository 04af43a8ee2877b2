"""Unseeded `np.random.default_rng()` inside a tracked cell, made replayable.

Such a generator draws fresh entropy from the operating system, so no state
read at the cell's start can bring its draws back. While a tracked cell runs,
`numpy.random.default_rng` called without a seed is given a seed sequence
derived from one 128-bit number drawn at the cell's start (the k-th such call
gets spawn key k): the generators are as independent and unpredictable as
before, and the number, recorded with the run, lets `nbtrack verify` hand the
replayed cell the same ones. Seeded calls pass through untouched, and the
original function is put back when the cell ends.

NumPy is never imported here: when `numpy.random` is not loaded yet (NumPy 2
loads it on first use of `np.random`), a finder on `sys.meta_path` wraps it as
the cell imports it. Calls through a `default_rng` bound by name before the
cell (`from numpy.random import default_rng`) are not seen.
"""

from __future__ import annotations

import importlib.abc
import secrets
import sys
from typing import Any

_MODULE = "numpy.random"
_active: _Seeding | None = None


class _Seeding:
    def __init__(self, entropy: int) -> None:
        self.entropy = entropy
        self.calls = 0
        self.replayed = False
        self.module: Any = None
        self.original: Any = None
        self.finder: _WrapOnImport | None = None

    def wrap(self, module: Any) -> None:
        original = module.default_rng
        if getattr(original, "_nbtrack_seeding", None) is not None:
            return  # already ours

        def default_rng(seed: Any = None) -> Any:
            if seed is not None:
                return original(seed)
            sequence = module.SeedSequence(self.entropy, spawn_key=(self.calls,))
            self.calls += 1
            return original(sequence)

        default_rng.__doc__ = original.__doc__
        default_rng.__wrapped__ = original  # type: ignore[attr-defined]
        default_rng._nbtrack_seeding = self  # type: ignore[attr-defined]
        self.module, self.original = module, original
        module.default_rng = default_rng

    def unwrap(self) -> None:
        if self.finder is not None and self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        if (
            self.module is not None
            and getattr(self.module.default_rng, "_nbtrack_seeding", None) is self
        ):
            self.module.default_rng = self.original


class _WrapOnImport(importlib.abc.MetaPathFinder):
    """Wraps `numpy.random` right after the cell imports it."""

    def __init__(self, seeding: _Seeding) -> None:
        self.seeding = seeding

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != _MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        loader = spec.loader
        exec_module = loader.exec_module
        seeding = self.seeding

        def exec_and_wrap(module: Any) -> None:
            exec_module(module)
            if _active is seeding:
                seeding.wrap(module)

        loader.exec_module = exec_and_wrap
        return spec


def start(entropy: int | None = None) -> int:
    """From now until `stop()`, unseeded `default_rng()` calls are derived from
    `entropy`; returns it. With None (a tracked cell's start) a fresh number is
    drawn, unless a replay put the recorded one in place (`start(recorded)`
    just before the replayed cell): then the cell keeps that one."""
    global _active
    if entropy is None and _active is not None and _active.replayed:
        _active.replayed = False  # the replayed cell takes it; the next draws anew
        _active.calls = 0
        return _active.entropy
    stop()
    seeding = _Seeding(secrets.randbits(128) if entropy is None else int(entropy))
    seeding.replayed = entropy is not None
    _active = seeding
    module = sys.modules.get(_MODULE)
    if module is not None and hasattr(module, "default_rng"):
        seeding.wrap(module)
    else:
        seeding.finder = _WrapOnImport(seeding)
        sys.meta_path.insert(0, seeding.finder)
    return seeding.entropy


def stop() -> None:
    """Give `default_rng` back its own behaviour (at the cell's end)."""
    global _active
    if _active is not None:
        _active.unwrap()
        _active = None
