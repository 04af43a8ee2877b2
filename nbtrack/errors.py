"""Errors a user can hit. Every message says what happened and what to do."""

from __future__ import annotations


class NbtrackError(Exception):
    """Base class of every error nbtrack raises on purpose."""


class NoActiveRunError(NbtrackError):
    """`log()` was called while no run is active."""


class RunNotFoundError(NbtrackError, LookupError):
    """A run reference matched no run, or more than one."""


class StoreError(NbtrackError):
    """The store cannot be opened or written: corrupted, locked, too new, unreachable."""


class MetricValueError(NbtrackError, TypeError):
    """A metric value is not a real number."""


class TrialPruned(NbtrackError):
    """A sweep's pruner stopped this trial early: its metric was not promising.
    `%%track` and `start_run` record the run as `pruned`, not failed."""
