"""%%track and %nbtrack in a real IPython shell."""

from __future__ import annotations

from pathlib import Path

import pytest

import nbtrack


@pytest.fixture
def ip(project: Path):
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    start_ipython()
    shell = get_ipython()
    shell.run_line_magic("load_ext", "nbtrack")
    shell.user_ns.pop("lr", None)
    yield shell
    shell.run_line_magic("unload_ext", "nbtrack")


def test_load_ext_puts_nbtrack_in_the_namespace(ip) -> None:
    assert ip.user_ns["nbtrack"] is nbtrack
    assert "track" in ip.magics_manager.magics["cell"]


def test_track_captures_literal_params_and_explicit_ones(ip) -> None:
    ip.run_cell("model_name = 'resnet'")
    result = ip.run_cell(
        "%%track -p model_name -p computed\nlr = 0.1\nn = -3\n"
        "computed = lr * 2\nnbtrack.log(loss=lr)"
    )
    assert result.success
    run = nbtrack.get_run("latest")
    assert run.params == {"lr": 0.1, "n": -3, "model_name": "resnet", "computed": 0.2}
    assert run.metrics["loss"]["last"] == 0.1


def test_no_params_turns_capture_off(ip) -> None:
    ip.run_cell("%%track --no-params\nlr = 0.1")
    assert nbtrack.get_run("latest").params == {}


def test_last_expression_is_displayed_and_namespace_updated(ip, capsys) -> None:
    result = ip.run_cell("%%track\nx = 20\nx + 22")
    assert result.success and ip.user_ns["x"] == 20
    assert "42" in capsys.readouterr().out


def test_ipython_syntax_inside_a_tracked_cell(ip, capsys) -> None:
    result = ip.run_cell("%%track\nfiles = !echo hello\n%time y = 1\nnbtrack.log(n=len(files))")
    assert result.success and ip.user_ns["files"] == ["hello"] and ip.user_ns["y"] == 1
    assert nbtrack.get_run("latest").metrics["n"]["last"] == 1.0


def test_empty_cell_and_cell_that_only_logs(ip, capsys) -> None:
    assert not ip.run_cell("%%track\n").success  # IPython refuses an empty cell-magic body
    assert "cell body is empty" in capsys.readouterr().err and nbtrack.runs().empty
    assert ip.run_cell("%%track\n# nothing yet\n").success
    assert ip.run_cell("%%track\nnbtrack.log(acc=0.5)").success
    df = nbtrack.runs()
    assert df["status"].tolist() == ["finished", "finished"]
    assert df["metrics.acc"].iloc[0] == 0.5


def test_exception_propagates_marks_failed_and_keeps_points(ip, capsys) -> None:
    result = ip.run_cell("%%track --name bad\nnbtrack.log(loss=1.0)\nundefined_name")
    assert not result.success and isinstance(result.error_in_exec, NameError)
    run = nbtrack.get_run("bad")
    assert run.status == "failed" and "NameError" in run.error
    assert run.metrics["loss"]["count"] == 1
    out = capsys.readouterr().out
    assert "nbtrack: bad failed" in out and "NameError" in out


def test_keyboard_interrupt_in_a_cell_marks_interrupted(ip) -> None:
    result = ip.run_cell("%%track --name ki\nraise KeyboardInterrupt")
    assert not result.success
    assert nbtrack.get_run("ki").status == "interrupted"


def test_missing_explicit_param_is_reported_not_fatal(ip, capsys) -> None:
    assert ip.run_cell("%%track -p nowhere\nx = 1").success
    assert "-p nowhere: no variable named 'nowhere'" in capsys.readouterr().err
    assert nbtrack.get_run("latest").status == "finished"


def test_nbtrack_line_magic(ip, capsys, project: Path) -> None:
    ip.run_cell("%%track --name first\nlr = 0.5\nnbtrack.log(loss=0.1)")
    df = ip.run_line_magic("nbtrack", "runs")
    assert df["name"].tolist() == ["first"]
    ip.run_line_magic("nbtrack", "show first")
    out = capsys.readouterr().out
    assert "status      finished" in out and "lr = 0.5" in out
    ip.run_line_magic("nbtrack", "show nothing")
    assert "no run matches 'nothing'" in capsys.readouterr().err
    nb = project / "explicit.ipynb"
    nb.write_text("{}")
    ip.run_line_magic("nbtrack", f"notebook {nb}")
    ip.run_cell("%%track\nx = 1")
    assert nbtrack.get_run("latest").ref == "explicit#1"
    ip.run_line_magic("nbtrack", "status")
    assert "nbtrack.db" in capsys.readouterr().out


def test_an_oversized_p_param_is_warned_about_once(ip, capsys) -> None:
    ip.run_cell("big = 'x' * 70_000")
    assert ip.run_cell("%%track -p big -n bigp\nnbtrack.log(x=1.0)").success
    err = capsys.readouterr().err
    assert err.count("param 'big' is larger than 64 KB") == 1, err
    assert "big" not in nbtrack.get_run("bigp").params
