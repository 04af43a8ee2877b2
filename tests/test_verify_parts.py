"""The pure parts of verification: comparison, slicing, stale inputs, RNG states."""

from __future__ import annotations

import random

import numpy as np
import pytest

from nbtrack.capture import rng
from nbtrack.errors import NbtrackError
from nbtrack.verify.api import parse_since
from nbtrack.verify.compare import judge
from nbtrack.verify.slicing import _python, analyse, minimal_slice
from nbtrack.verify.stale import find_stale


def test_metrics_compare_within_rtol_and_integers_exactly() -> None:
    m = {"loss": {"last": 0.5, "min": 0.25, "max": 1.0, "count": 3}}
    near = {"loss": {"last": 0.5 * (1 + 1e-9), "min": 0.25, "max": 1.0, "count": 3}}
    assert judge({"lr": 0.1}, m, {"lr": 0.1}, near)[0] == "reproduced"
    far = {"loss": {"last": 0.51, "min": 0.25, "max": 1.0, "count": 3}}
    verdict, detail = judge({"lr": 0.1}, m, {"lr": 0.1}, far)
    assert verdict == "differs" and list(detail["metrics"]) == ["loss"]
    assert detail["metrics"]["loss"]["last"]["rel"] > 0.01
    ints = {"n": {"last": 5.0, "min": 5.0, "max": 5.0, "count": 1}}
    off = {"n": {"last": 6.0, "min": 5.0, "max": 5.0, "count": 1}}
    assert judge({}, ints, {}, off, rtol=0.5)[0] == "differs"  # integers exactly
    verdict, detail = judge({"lr": 0.1}, {}, {"lr": 0.2}, {})
    assert verdict == "differs" and detail["params"] == {"lr": {"was": 0.1, "now": 0.2}}
    nan = {"x": {"last": None, "min": None, "max": None, "count": 1}}
    assert judge({}, nan, {}, nan)[0] == "reproduced"


def test_slice_keeps_only_what_the_tracked_cell_needs_in_execution_order() -> None:
    cells = [
        (1, "%load_ext nbtrack"),
        (2, "import numpy as np\nimport pandas as pd"),
        (3, "x = 1"),
        (4, "unused = [1, 2, 3]"),
        (6, "x = x * 10"),
        (5, "data = np.ones(3)\ndata[0] = 5"),
        (7, "plt_title = 'not needed'"),
        (8, "%%track\nresult = x + data.sum()\nnbtrack.log(result=result)"),
    ]
    kept = [c for c, _ in minimal_slice(cells)]
    assert kept == [1, 2, 3, 6, 5, 8]
    # A plain redefinition ends the dependency: the earlier x is not needed.
    kept = [c for c, _ in minimal_slice([(1, "x = 1"), (2, "x = 2"), (3, "y = x")])]
    assert kept == [2, 3]
    # Mutations keep the earlier definition: model.fit() changes model.
    names = analyse("model.fit(X)\nd['k'] = 1\nn += 1")
    assert {"d", "n"} <= names.defs and names.called == {"model"} and not names.kills
    fitted = [
        (1, "import numpy as np\nmodel = Model()"),
        (2, "model.fit(np.ones(3))"),
        (3, "y = 1"),
    ]
    kept = [c for c, _ in minimal_slice([*fitted, (4, "score = model.score()")])]
    assert kept == [1, 2, 4]


def test_stale_inputs_name_edited_and_deleted_cells() -> None:
    history = [(1, "a = 1"), (2, "b = 2"), (3, "c = a + b")]
    ids = {1: "id-a", 2: "id-b", 3: "id-c"}
    saved = [("id-a", "a = 1"), ("id-b", "b = 2"), ("id-c", "c = a + b")]
    assert find_stale(history, "r = c + a", ids, saved) is None
    # b is not used by the tracked cell directly, but c read it before b's edit.
    saved = [("id-a", "a = 1"), ("id-b", "b = 200"), ("id-c", "c = a + b")]
    stale = find_stale(history, "r = c + a", ids, saved)
    assert stale is not None and stale["names"] == {"c <- b": "In [2] (cell edited, not re-run)"}
    saved_edit = [("id-a", "a = 100"), ("id-b", "b = 2"), ("id-c", "c = a + b")]
    stale = find_stale(history, "r = c + a", ids, saved_edit)
    assert stale is not None and stale["names"] == {"a": "In [1] (cell edited, not re-run)"}
    stale = find_stale(history, "r = c", ids, [("id-a", "a = 1"), ("id-b", "b = 2")])
    assert stale["names"] == {"c": "In [3] (cell deleted)"}
    # Without cell ids: a source no saved cell holds.
    stale = find_stale(history, "r = a", {}, [(None, "a = 5")])
    assert "edited or deleted" in stale["names"]["a"]
    # Re-run after the edit: the last definition matches the notebook.
    rerun = [*history, (4, "a = 100")]
    assert find_stale(rerun, "r = a", {**ids, 4: "id-a"}, saved_edit) is None


def test_rng_states_round_trip_through_json() -> None:
    random.seed(1)
    np.random.seed(2)
    captured = rng.to_json(rng.capture())
    expected = (random.random(), np.random.rand(3).tolist())
    random.random(), np.random.rand(10)
    restored = rng.restore(captured)  # torch's too when another test imported torch
    assert restored[:2] == ["random", "numpy"] and set(restored) <= {"random", "numpy", "torch"}
    assert (random.random(), np.random.rand(3).tolist()) == expected


def test_since_ages_parse_and_bad_ones_say_how() -> None:
    assert parse_since("7d") == 7 * 86400 and parse_since("12h") == 12 * 3600
    with pytest.raises(NbtrackError, match="e.g. 7d"):
        parse_since("seven days")


def test_verify_needs_a_ref_or_all(project) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "nbtrack", "verify"], cwd=project, capture_output=True, text=True
    )
    assert done.returncode != 0 and "give a run reference, or --all" in done.stderr


def test_runs_table_shows_a_verdict_column_once_a_run_has_one() -> None:
    from nbtrack.format import records_table
    from nbtrack.runview import verdict_label as label

    rec = {"name": "a", "status": "finished", "start": 0.0, "duration": 1.0, "verdict": None}
    assert "verdict" not in records_table([rec], ["name"], 120)
    differs = {"verdict": "differs", "detail": {"metrics": {"loss": {}}}, "stale": None}
    rec2 = {**rec, "name": "b", "verdict": label(differs)}
    table = records_table([rec, rec2], ["name"], 120)
    assert "verdict" in table and "differs: loss" in table
    both = {"verdict": "reproduced", "detail": {}, "stale": {"summary": "x"}}
    assert label(both) == "reproduced; stale inputs"


def test_names_a_cell_binds_before_reading_are_its_own() -> None:
    # The tracked cell imports and defines what it reads: no earlier cell feeds it.
    tracked = "import hashlib as h\ndef f(v):\n    ok = int\n    return ok(v)\nr = f(a)\nh.sha256()"
    assert analyse(tracked).uses == {"a", "int"}
    history = [(1, "a = 1"), (2, "h = 'old'\nok = 0"), (3, tracked), (4, "a = 1\nb = 2")]
    ids = {1: "id-a", 2: "id-h", 3: "id-t", 4: "id-a"}
    saved = [("id-a", "a = 1\nb = 2"), ("id-h", "h = 'edited, not re-run'"), ("id-t", tracked)]
    # Cell id-a was edited and re-run; id-h was edited and not re-run, but the
    # tracked cell binds h itself before using it: the saved notebook reproduces.
    assert find_stale(history, tracked, ids, saved) is None
    kept = [c for c, _ in minimal_slice([*history, (5, tracked)])]
    assert kept == [4, 5]
    # A binding under a condition does not end the dependency on the earlier one.
    kept = [c for c, _ in minimal_slice([(1, "q = 1"), (2, "if c:\n    q = 2"), (3, "r = q")])]
    assert kept == [1, 2, 3]
    # Nor does a name bound only inside a function (the cell defining it is kept
    # too: defs over-approximate, which only costs slice size).
    kept = [
        c for c, _ in minimal_slice([(1, "ok = 1"), (2, "def f():\n    ok = 2"), (3, "r = ok")])
    ]
    assert kept[0] == 1 and kept[-1] == 3


def test_rerunning_an_edited_tracked_cell_with_a_loop_is_not_stale() -> None:
    # The everyday loop: edit the tracked cell (lr 0.1 -> 0.3) and run it again.
    # Its loop variable, what the loop body binds before reading and what a
    # `with` binds were all set by the cell's own earlier run: not stale inputs.
    def cell(lr: float) -> str:
        return (
            f"lr = {lr}\nfor epoch in range(3):\n    loss = 1 / (1 + lr * epoch)\n"
            "    log(loss=loss, step=epoch)\nwith open(p) as fh:\n    text = fh.read()\n"
            "try:\n    n = int(text)\nexcept ValueError as e:\n    print(e)\nprint(text)"
        )

    assert analyse(cell(0.3)).uses == {"range", "log", "open", "p", "int", "ValueError", "print"}
    history = [(1, "p = 'data.txt'"), (2, cell(0.1))]
    saved = [("id-p", "p = 'data.txt'"), ("id-t", cell(0.3))]
    assert find_stale(history, cell(0.3), {1: "id-p", 2: "id-t"}, saved) is None
    # a name read before the loop binds it does come from before
    tracked = "for i in range(2):\n    total = total + i"
    stale = find_stale([(1, "total = 0")], tracked, {1: "id-x"}, [("id-x", "total = 5")])
    assert stale is not None and "total" in stale["names"]


def test_unseeded_default_rng_in_a_cell_replays_and_seeded_ones_are_untouched() -> None:
    # in a fresh process: numpy.random not loaded yet, as after `import numpy` in NumPy 2
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import numpy as np
        from nbtrack.capture import fresh_rng
        original = np.random.default_rng
        e = fresh_rng.start()
        first = [np.random.default_rng().random() for _ in range(2)]
        seeded = np.random.default_rng(3).random()
        fresh_rng.stop()
        assert np.random.default_rng is original
        other = fresh_rng.start()
        again = np.random.default_rng().random()
        fresh_rng.stop()
        fresh_rng.start(e)  # a replay, just before the tracked cell
        assert fresh_rng.start() == e  # the replayed cell's own start keeps it
        replayed = [np.random.default_rng().random() for _ in range(2)]
        fresh_rng.stop()
        print(first == replayed, first[0] != first[1], other != e and again not in first,
              seeded == np.random.default_rng(3).random())
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["True"] * 4, done.stderr


def test_display_and_help_magics_do_not_keep_a_cell() -> None:
    # `%matplotlib inline`, `%config InlineBackend...` and `?name` change no value a
    # later cell reads: the cell is sliced like plain Python, so a plot of an old
    # frame (df is redefined before the tracked cell) is left out, and so is help.
    history = [
        (1, "import pandas as pd\ndf = pd.DataFrame({'a': [1]})"),
        (2, "%matplotlib inline\n%config InlineBackend.figure_format = 'svg'\nplotted = df.a"),
        (3, "?pd.DataFrame"),
        (4, "df = pd.DataFrame({'a': [2]})"),
        (5, "%%track\nnbtrack.log(a=float(df.a.sum()))"),
    ]
    assert [c for c, _ in minimal_slice(history)] == [1, 4, 5]
    assert not analyse(_python("%matplotlib inline\nx = 1")).opaque
    # Any other magic, a shell command or get_ipython() itself still keeps the cell.
    for cell in ("%cd data\nx = 1", "!pip install x", "ip = get_ipython()", "%time x = 1"):
        assert analyse(_python(cell)).opaque, cell
    kept = [c for c, _ in minimal_slice([(1, "x = 1"), (2, "%cd data"), (3, "y = x")])]
    assert kept == [1, 2, 3]


def test_looking_at_a_value_does_not_keep_the_cell() -> None:
    # df.head() and df.describe() read df: a cell that only looks is not a
    # mutation of df, unlike df.fillna(..., inplace=True) or model.fit(X).
    frame = (1, "import pandas as pd\ndf = pd.DataFrame({'a': [1, None]})")
    tracked = (9, "%%track\nnbtrack.log(n=float(df.a.sum()))")
    looks = [(2, "df.head()"), (3, "df.describe()\nprint(df.a.mean())")]
    assert [c for c, _ in minimal_slice([frame, *looks, tracked])] == [1, 9]
    changes = [(2, "df.head()"), (3, "df.fillna(0, inplace=True)")]
    assert [c for c, _ in minimal_slice([frame, *changes, tracked])] == [1, 3, 9]
    assert analyse("df.head()\nmodel.fit(X)").called == {"model"}
