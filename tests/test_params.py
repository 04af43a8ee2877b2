"""Params from a cell's source: literal top-level assignments, flattened and JSON-typed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbtrack.capture.params import (
    MAX_PARAM_BYTES,
    MAX_PARAM_DEPTH,
    clean_params,
    extract_params,
    flatten,
    oversized,
    to_json_value,
)

# -- extract_params -------------------------------------------------------------------


def test_literal_assignments_become_params() -> None:
    source = 'lr = 0.05\nepochs = 10\nopt = "adam"\nshuffle = True\nseed = None\n'
    assert extract_params(source) == {
        "lr": 0.05,
        "epochs": 10,
        "opt": "adam",
        "shuffle": True,
        "seed": None,
    }


def test_non_literal_assignments_are_ignored() -> None:
    source = "x = f()\ny = other\nz = [1, g()]\nw = 2 * n\nlr = 1e-3\n"
    assert extract_params(source) == {"lr": 1e-3}


def test_only_top_level_assignments_count() -> None:
    source = (
        "def train():\n"
        "    inner = 1\n"
        "for i in range(3):\n"
        "    looped = 2\n"
        "if True:\n"
        "    branched = 3\n"
        "with ctx():\n"
        "    held = 4\n"
        "top = 5\n"
    )
    assert extract_params(source) == {"top": 5}


def test_attribute_subscript_and_augmented_targets_are_ignored() -> None:
    source = "cfg.lr = 0.1\ncfg['x'] = 2\nn = 1\nn += 1\n"
    assert extract_params(source) == {"n": 1}


def test_dict_is_flattened_with_dots_and_nested_dicts_too() -> None:
    source = 'config = {"opt": "adam", "sched": {"kind": "cos", "warmup": 100}}'
    assert extract_params(source) == {
        "config.opt": "adam",
        "config.sched.kind": "cos",
        "config.sched.warmup": 100,
    }


def test_tuples_become_lists_also_nested() -> None:
    params = extract_params("shape = (3, 224, 224)\npairs = [(1, 2), (3, (4, 5))]")
    assert params == {"shape": [3, 224, 224], "pairs": [[1, 2], [3, [4, 5]]]}
    assert json.loads(json.dumps(params)) == params


def test_negative_numbers_and_unary_plus() -> None:
    assert extract_params("low = -1\nstep = -0.5\nhigh = +2\nexp = -1e-3") == {
        "low": -1,
        "step": -0.5,
        "high": 2,
        "exp": -1e-3,
    }


def test_annotated_assignments_count_and_bare_annotations_do_not() -> None:
    source = "lr: float = 0.1\nname: str\nsteps: int = -5\n"
    assert extract_params(source) == {"lr": 0.1, "steps": -5}


def test_tuple_unpacking_assigns_each_name() -> None:
    assert extract_params("a, b = 1, 2") == {"a": 1, "b": 2}
    assert extract_params("[p, q] = [3, 4]") == {"p": 3, "q": 4}
    assert extract_params("(m, n) = ('x', -1.5)") == {"m": "x", "n": -1.5}


def test_tuple_unpacking_keeps_only_literal_items() -> None:
    assert extract_params("a, b = 1, f()") == {"a": 1}


def test_unpacking_with_mismatched_lengths_gives_nothing() -> None:
    assert extract_params("a, b = 1, 2, 3") == {}


def test_chained_assignment_sets_every_name() -> None:
    assert extract_params("a = b = 4") == {"a": 4, "b": 4}


def test_last_literal_assignment_wins() -> None:
    assert extract_params("lr = 0.1\nlr = 0.01\nlr = 0.001") == {"lr": 0.001}


def test_reassigned_dict_replaces_its_old_flattened_keys() -> None:
    source = 'cfg = {"a": 1, "b": {"c": 2}}\ncfg = {"d": 3}\n'
    assert extract_params(source) == {"cfg.d": 3}


def test_reassigning_dict_to_scalar_drops_the_dotted_keys() -> None:
    assert extract_params('cfg = {"a": 1}\ncfg = 5') == {"cfg": 5}


def test_reassigning_scalar_to_dict_drops_the_scalar() -> None:
    assert extract_params('cfg = 5\ncfg = {"a": 1}') == {"cfg.a": 1}


def test_reassignment_leaves_names_sharing_a_prefix_alone() -> None:
    source = 'cfg = {"a": 1}\ncfg_b = 2\ncfgx = 3\ncfg = 4\n'
    assert extract_params(source) == {"cfg_b": 2, "cfgx": 3, "cfg": 4}


@pytest.mark.parametrize(
    "source",
    ["x = (", "def f(:\n  pass", "lr = 0.1\nthen what?", "%%time\nx = 1", "x = '\0'\0"],
)
def test_unparseable_code_gives_no_params(source: str) -> None:
    assert extract_params(source) == {}


@pytest.mark.parametrize(
    "source",
    ["x = 1" + " + 1" * 100_000, "x = " + "-" * 100_000 + "1"],
    ids=["long-sum", "deep-unary"],
)
def test_code_too_deep_to_parse_gives_no_params(source: str) -> None:
    assert extract_params(source) == {}


def test_empty_source_gives_no_params() -> None:
    assert extract_params("") == {}
    assert extract_params("# just a comment\n") == {}


def test_unicode_names_are_kept() -> None:
    assert extract_params("λ = 0.5\ntaux_d_apprentissage_é = 1e-3\n学习率 = 2") == {
        "λ": 0.5,
        "taux_d_apprentissage_é": 1e-3,
        "学习率": 2,
    }


def test_sets_become_sorted_lists() -> None:
    assert extract_params("layers = {3, 1, 2}") == {"layers": [1, 2, 3]}


def test_empty_dict_is_kept_as_a_value() -> None:
    assert extract_params("opts = {}") == {"opts": {}}


def test_non_json_literals_become_their_repr() -> None:
    assert extract_params("raw = b'ab'\nz = 2j") == {"raw": "b'ab'", "z": "2j"}


# -- flatten ----------------------------------------------------------------------------


def test_flatten_scalar() -> None:
    assert flatten("lr", 0.1) == {"lr": 0.1}


def test_flatten_nested_dict_with_non_string_keys() -> None:
    assert flatten("m", {"a": {"b": (1, 2)}, 3: "x"}) == {"m.a.b": [1, 2], "m.3": "x"}


def test_flatten_empty_dict_keeps_the_name() -> None:
    assert flatten("m", {}) == {"m": {}}


# -- to_json_value ---------------------------------------------------------------------------


def test_numpy_scalars_become_plain_numbers() -> None:
    for value, expected in [
        (np.float64(0.25), 0.25),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7),
        (np.int8(-3), -3),
        (np.bool_(True), True),
        (np.array(2.5), 2.5),
    ]:
        out = to_json_value(value)
        assert out == expected
        assert type(out) is type(expected), (value, type(out))


def test_numpy_arrays_with_dimensions_become_their_repr() -> None:
    assert to_json_value(np.array([1, 2])) == repr(np.array([1, 2]))


def test_non_json_values_become_their_repr() -> None:
    class Thing:
        def __repr__(self) -> str:
            return "Thing()"

    assert to_json_value(Thing()) == "Thing()"
    assert to_json_value(complex(1, 2)) == "(1+2j)"


def test_containers_are_converted_recursively() -> None:
    value = {"a": (1, np.int64(2)), 3: {"s": frozenset({"y", "x"})}}
    assert to_json_value(value) == {"a": [1, 2], "3": {"s": ["x", "y"]}}


def test_unsortable_set_still_becomes_a_list() -> None:
    out = to_json_value({1, "a"})
    assert isinstance(out, list)
    assert sorted(out, key=str) == [1, "a"]


def test_bools_stay_bools() -> None:
    assert to_json_value(True) is True
    assert to_json_value(False) is False


# -- oversized ---------------------------------------------------------------------------------


def test_small_params_are_not_oversized() -> None:
    params = {"lr": 0.1, "n": 10, "flag": True, "none": None, "s": "x" * 1000, "l": list(range(50))}
    assert oversized(params) == []


def test_params_over_64_kb_are_oversized() -> None:
    params = {
        "big_list": list(range(20000)),
        "big_str": "x" * (MAX_PARAM_BYTES + 1),
        "big_dict": {str(i): i for i in range(10000)},
        "small": [1, 2, 3],
    }
    assert sorted(oversized(params)) == ["big_dict", "big_list", "big_str"]


def test_string_exactly_at_the_limit_is_not_oversized() -> None:
    # 65,534 characters plus two quotes: exactly MAX_PARAM_BYTES as JSON.
    assert oversized({"s": "x" * (MAX_PARAM_BYTES - 2)}) == []
    assert oversized({"s": "x" * (MAX_PARAM_BYTES - 1)}) == ["s"]


def test_multibyte_string_over_the_limit_is_oversized() -> None:
    text = "é" * (MAX_PARAM_BYTES // 2 + 10)  # 2 bytes each in UTF-8
    assert oversized({"s": text}) == ["s"]


def test_four_byte_string_just_over_the_limit_is_oversized() -> None:
    text = "😀" * (MAX_PARAM_BYTES // 4)
    assert len(json.dumps(text, ensure_ascii=False).encode()) > MAX_PARAM_BYTES
    assert oversized({"s": text}) == ["s"]


def test_string_of_escaped_control_characters_over_the_limit_is_oversized() -> None:
    text = "\x00" * (MAX_PARAM_BYTES // 4)
    assert len(json.dumps(text, ensure_ascii=False).encode()) > MAX_PARAM_BYTES
    assert oversized({"s": text}) == ["s"]


# -- clean_params: never raises, whatever the input -------------------------------------


def _nested(depth: int, leaf: object = 1) -> dict:
    value: object = leaf
    for _ in range(depth):
        value = {"a": value}
    return value  # type: ignore[return-value]


def test_clean_params_drops_what_cannot_be_stored_and_names_it() -> None:
    deep_list: list = []
    cursor = deep_list
    for _ in range(5000):
        cursor.append([])
        cursor = cursor[0]
    flat, warnings = clean_params(
        {
            "\ud800": 1,
            "note": "caf\udce9",
            "deep": _nested(5000),
            "rows": deep_list,
            "z": np.complex128(1 + 2j),
            "opt": {"name": "adam", "betas": (0.9, 0.99)},
            "big": "x" * (MAX_PARAM_BYTES + 1),
            3: 4,
        }
    )
    assert flat == {"z": "(1+2j)", "opt.name": "adam", "opt.betas": [0.9, 0.99], "3": 4}
    assert len(warnings) == 5
    assert "param '\\ud800' holds text that is not valid Unicode" in warnings[0]
    assert "param 'note' holds text that is not valid Unicode" in warnings[1]
    assert "param 'deep.a.a" in warnings[2] and "nested more than 100 levels" in warnings[2]
    assert "param 'rows' is nested more than 100 levels" in warnings[3]
    assert "param 'big' is larger than 64 KB" in warnings[4]


def test_complex_params_are_kept_as_their_repr() -> None:
    assert clean_params({"c": 1 + 2j, "n": np.complex128(-0.5j)})[0] == {
        "c": "(1+2j)",
        "n": "(-0-0.5j)",
    }


def test_clean_params_keeps_nesting_up_to_the_limit() -> None:
    flat, warnings = clean_params({"p": _nested(MAX_PARAM_DEPTH - 1)})
    assert warnings == [] and flat == {"p" + ".a" * (MAX_PARAM_DEPTH - 1): 1}


class _Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def test_clean_params_survives_objects_that_fail_when_read() -> None:
    class BadMapping(dict):
        def items(self):  # type: ignore[override]
            raise OSError("gone")

    flat, warnings = clean_params({"h": _Hostile(), "ok": 1, "m": BadMapping(x=1)})
    assert flat == {"ok": 1}
    assert "param 'h' could not be read (RuntimeError: no repr for you)" in warnings[0]
    assert "param 'm' could not be read (OSError: gone)" in warnings[1]
    flat, warnings = clean_params(None)  # not a mapping at all
    assert flat == {} and warnings[0].startswith("params could not be read (AttributeError")


_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.complex_numbers(allow_nan=True),
    st.text(alphabet=st.characters(), max_size=8),  # surrogates included
    st.binary(max_size=4),
)
_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), inner, max_size=3),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), _values, max_size=5))
def test_clean_params_never_raises_and_what_it_keeps_can_be_stored(params: dict) -> None:
    flat, warnings = clean_params(params)
    encoded = json.dumps(flat, ensure_ascii=False, allow_nan=True).encode("utf-8")
    assert json.loads(encoded) is not None
    assert all(isinstance(k, str) for k in flat) and all(isinstance(w, str) for w in warnings)
    for warning in warnings:
        warning.encode("utf-8")  # a warning can always be printed
