"""Run references as users type them, resolved against runs listed newest first."""

from __future__ import annotations

import pytest

from nbtrack import NbtrackError
from nbtrack.errors import RunNotFoundError
from nbtrack.refs import RunKey, resolve


def key(id_: str, stem: str, seq: int, name: str | None = None) -> RunKey:
    return RunKey(id=id_, name=name or f"{stem}#{seq}", stem=stem, seq=seq)


# Newest first, as the store lists them.
RUNS = [
    key("01jb6000000000000000000006", "train", 4),
    key("01jb5000000000000000000005", "eval", 2, "baseline"),
    key("01ja4000000000000000000004", "train", 3, "baseline"),
    key("01ja3000000000000000000003", "eval", 1),
    key("01j92000000000000000000002", "train", 2, "sweep-lr"),
    key("01h81000000000000000000001", "train", 1, "baseline"),
]


def ref_of(ref: str, runs: list[RunKey] = RUNS) -> str:
    return resolve(ref, runs).ref


def test_run_key_ref_is_stem_and_seq() -> None:
    assert RunKey("01abc", "baseline", "train", 3).ref == "train#3"


def test_stem_and_seq_names_one_run() -> None:
    assert ref_of("train#4") == "train#4"
    assert ref_of("eval#1") == "eval#1"


def test_stem_and_seq_is_unique_even_when_the_run_has_a_name() -> None:
    run = resolve("train#3", RUNS)
    assert run.id == "01ja4000000000000000000004"
    assert run.name == "baseline"
    assert resolve("train#1", RUNS).id == "01h81000000000000000000001"


def test_stem_with_hash_inside_it() -> None:
    runs = [key("01x1", "a#b", 2), key("01x0", "a#b", 1)]
    assert resolve("a#b#1", runs).id == "01x0"


def test_surrounding_whitespace_is_ignored() -> None:
    assert ref_of("  train#2\n") == "train#2"


def test_name_gives_its_most_recent_run() -> None:
    assert ref_of("baseline") == "eval#2"
    assert ref_of("sweep-lr") == "train#2"


def test_name_with_back_steps_goes_to_older_runs_of_that_name() -> None:
    assert ref_of("baseline~0") == "eval#2"
    assert ref_of("baseline~1") == "train#3"
    assert ref_of("baseline~2") == "train#1"


def test_name_back_past_the_end_errors_naming_the_oldest() -> None:
    with pytest.raises(RunNotFoundError) as info:
        resolve("baseline~3", RUNS)
    message = str(info.value)
    assert "'baseline~3'" in message
    assert "3" in message and "train#1" in message


def test_latest_is_the_newest_run() -> None:
    assert ref_of("latest") == "train#4"


def test_latest_with_back_steps() -> None:
    assert ref_of("latest~0") == "train#4"
    assert ref_of("latest~1") == "eval#2"
    assert ref_of("latest~2") == "train#3"
    assert ref_of("latest~5") == "train#1"


def test_latest_back_past_the_end_errors() -> None:
    with pytest.raises(RunNotFoundError) as info:
        resolve("latest~6", RUNS)
    message = str(info.value)
    assert "'latest~6'" in message
    assert "only 6" in message
    assert "train#1" in message  # the oldest


def test_latest_back_past_the_end_of_a_single_run() -> None:
    with pytest.raises(RunNotFoundError, match="train#4"):
        resolve("latest~1", RUNS[:1])


def test_unique_id_prefix_names_the_run() -> None:
    assert resolve("01h8", RUNS).id == "01h81000000000000000000001"
    assert resolve("01ja3", RUNS).id == "01ja3000000000000000000003"


def test_id_prefix_is_case_insensitive() -> None:
    assert resolve("01JA3", RUNS).id == "01ja3000000000000000000003"


def test_full_id_names_the_run() -> None:
    assert resolve("01j92000000000000000000002", RUNS).ref == "train#2"


def test_ambiguous_prefix_errors_listing_the_candidates() -> None:
    with pytest.raises(RunNotFoundError) as info:
        resolve("01ja", RUNS)
    message = str(info.value)
    assert "2 run ids" in message
    assert "01ja4000000000000000000004 (baseline)" in message
    assert "01ja3000000000000000000003 (eval#1)" in message
    assert "01jb" not in message
    assert "type more" in message


def test_ambiguous_prefix_shows_five_and_counts_the_rest() -> None:
    with pytest.raises(RunNotFoundError) as info:
        resolve("01", RUNS)
    message = str(info.value)
    assert "6 run ids" in message
    assert "and 1 more" in message
    assert message.count("01") >= 5


def test_unknown_ref_errors_naming_the_latest_run() -> None:
    with pytest.raises(RunNotFoundError) as info:
        resolve("nope", RUNS)
    message = str(info.value)
    assert "'nope'" in message
    assert "the latest run is train#4" in message


def test_latest_hint_shows_the_name_when_it_differs_from_the_ref() -> None:
    with pytest.raises(RunNotFoundError, match=r"latest run is eval#2 \(baseline\)"):
        resolve("nope", RUNS[1:])


def test_unknown_seq_of_a_known_stem_names_that_stems_latest() -> None:
    with pytest.raises(RunNotFoundError) as info:
        resolve("eval#9", RUNS)
    message = str(info.value)
    assert "'eval#9'" in message
    assert "the latest is eval#2" in message


def test_unknown_stem_with_seq_names_the_latest_run() -> None:
    with pytest.raises(RunNotFoundError, match="the latest run is train#4"):
        resolve("other#1", RUNS)


def test_unknown_name_with_back_steps_errors() -> None:
    with pytest.raises(RunNotFoundError) as info:
        resolve("nope~1", RUNS)
    message = str(info.value)
    assert "'nope'" in message
    assert "train#4" in message


@pytest.mark.parametrize("ref", ["", "   ", "\n"])
def test_empty_ref_errors(ref: str) -> None:
    with pytest.raises(RunNotFoundError, match="empty run reference"):
        resolve(ref, RUNS)


def test_empty_run_list_errors_for_any_ref() -> None:
    for ref in ["latest", "train#1", "baseline", "01"]:
        with pytest.raises(RunNotFoundError, match="no runs yet"):
            resolve(ref, [])


def test_not_found_is_an_nbtrack_error_and_a_lookup_error() -> None:
    with pytest.raises(NbtrackError):
        resolve("nope", RUNS)
    with pytest.raises(LookupError):
        resolve("nope", RUNS)


def test_a_name_that_looks_like_a_reference_is_found_by_name() -> None:
    runs = [
        key("01jc2000000000000000000002", "nb", 2, "exp#1"),
        key("01jc1000000000000000000001", "nb", 1, "v~2"),
    ]
    assert ref_of("exp#1", runs) == "nb#2"
    assert ref_of("v~2", runs) == "nb#1"


def test_a_real_stem_and_seq_still_wins_over_a_run_named_like_it() -> None:
    runs = [key("01jc3000000000000000000003", "nb", 3, "train#4"), *RUNS]
    assert ref_of("train#4", runs) == "train#4"
    old_named_latest = key("01a00000000000000000000000", "nb", 4, "latest")
    assert ref_of("latest", [*RUNS, old_named_latest]) == "train#4"


def test_numbers_longer_than_any_run_number_are_bad_references() -> None:
    """Past Python's 4,300-digit int limit (and long before it): a clear error, not a
    ValueError from int()."""
    from nbtrack.refs import BadReferenceError, RunKey, resolve

    runs = [RunKey("01", "train#1", "train", 1)]
    for ref in ("train#" + "9" * 4301, "latest~" + "9" * 4301, "train#1" + "0" * 18):
        with pytest.raises(BadReferenceError, match="at most 18 digits"):
            resolve(ref, runs)
    named = [RunKey("02", "train#" + "1" * 30, "train", 2), *runs]
    assert resolve("train#" + "1" * 30, named).id == "02"  # a name still wins
