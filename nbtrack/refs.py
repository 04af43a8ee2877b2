"""Run references as users type them: `train#4`, `baseline`, `baseline~1`,
`01j9x` (an id prefix), `latest`, `latest~2`. Pure: resolution works on a list
of (id, name, stem, seq) rows, newest first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import NbtrackError, RunNotFoundError

_SEQ = re.compile(r"^(?P<stem>.+)#(?P<seq>\d+)$")
_BACK = re.compile(r"^(?P<base>.+?)~(?P<n>\d+)$")
# More digits than any run number or count of runs can have (a BIGINT has 19); also
# keeps Python's int() clear of its 4,300-digit limit.
MAX_DIGITS = 18


class BadReferenceError(NbtrackError, ValueError):
    """A run reference no store could ever resolve, refused as bad input."""


def number(digits: str, ref: str) -> int:
    """The run number or count `digits` (ASCII digits) in `ref`, or BadReferenceError
    when it is longer than any run number can be."""
    if len(digits) > MAX_DIGITS:
        shown = ref if len(ref) <= 40 else ref[:40] + "…"
        raise BadReferenceError(
            f"{shown!r} holds a {len(digits)}-digit number; run numbers and `~N` counts have "
            f"at most {MAX_DIGITS} digits: use e.g. train#3 or latest~2"
        )
    return int(digits)


def ref(stem: str, seq: int) -> str:
    """The reference `<notebook stem>#<seq>` that always names one run alone."""
    return f"{stem}#{seq}"


@dataclass(frozen=True)
class RunKey:
    id: str
    name: str
    stem: str
    seq: int

    @property
    def ref(self) -> str:
        return ref(self.stem, self.seq)


def resolve(ref: str, runs: Sequence[RunKey]) -> RunKey:
    """The run `ref` names among `runs` (newest first), or RunNotFoundError
    naming the candidates."""
    text = ref.strip()
    if not text:
        raise RunNotFoundError(
            "an empty run reference names no run: use e.g. train#3, a name, or latest"
        )
    if not runs:
        raise RunNotFoundError(f"no run matches {ref!r}: the store has no runs yet")
    back = 0
    # A name given by the user wins over reading it as a reference: a run
    # named `exp#1` or `v~2` is found by that name.
    exact = [r for r in runs if r.name == text] if text != "latest" else []
    if exact and not (_SEQ.match(text) and any(r.ref == text for r in runs)):
        return exact[0]
    m = _BACK.match(text)
    if m:
        text, back = m.group("base"), number(m.group("n"), ref)
    if text == "latest":
        return _nth(runs, back, ref)
    m = _SEQ.match(text)
    if m and not back:
        stem, seq = m.group("stem"), number(m.group("seq"), ref)
        for run in runs:
            if run.stem == stem and run.seq == seq:
                return run
        same = [r for r in runs if r.stem == stem]
        hint = f"the latest is {same[0].ref}" if same else _latest_hint(runs)
        raise RunNotFoundError(f"no run matches {ref!r}: {hint}")
    named = [r for r in runs if r.name == text]
    if named:
        return _nth(named, back, ref)
    if back:
        raise RunNotFoundError(f"no run is named {text!r}: {_latest_hint(runs)}")
    prefixed = [r for r in runs if r.id.startswith(text.lower())]
    if len(prefixed) == 1:
        return prefixed[0]
    if len(prefixed) > 1:
        shown = ", ".join(f"{r.id} ({r.name})" for r in prefixed[:5])
        more = f" and {len(prefixed) - 5} more" if len(prefixed) > 5 else ""
        raise RunNotFoundError(
            f"{ref!r} is the start of {len(prefixed)} run ids: {shown}{more}; type more of the id"
        )
    raise RunNotFoundError(f"no run matches {ref!r}: {_latest_hint(runs)}")


def _nth(runs: Sequence[RunKey], back: int, ref: str) -> RunKey:
    if back >= len(runs):
        raise RunNotFoundError(
            f"{ref!r} goes back {back} runs but only {len(runs)} match; "
            f"the oldest is {runs[-1].ref}"
        )
    return runs[back]


def _latest_hint(runs: Sequence[RunKey]) -> str:
    latest = runs[0]
    shown = latest.ref if latest.name == latest.ref else f"{latest.ref} ({latest.name})"
    return f"the latest run is {shown}"
