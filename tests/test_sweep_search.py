"""Search sweeps over a Python function: real Optuna, its study in the real store
(SQLite and PostgreSQL), each trial a run; pruning from `nbtrack.log`."""

from __future__ import annotations

import time

import pytest

import nbtrack
from nbtrack.sweeps import SweepError
from nbtrack.sweeps.space import check_space, parse_spec


def _space() -> dict:
    return {
        "lr": nbtrack.loguniform(1e-4, 1e-1),
        "hidden": [32, 64],
        "drop": nbtrack.uniform(0, 0.5),
    }


def _train(lr: float, hidden: int, drop: float) -> None:
    for step in range(3):
        nbtrack.log(val_acc=hidden / 100 - drop + step / 100, loss=lr, step=step)


# -- the space (pure) --------------------------------------------------------------


def test_bad_spaces_say_what_to_fix() -> None:
    with pytest.raises(SweepError, match="search space is empty"):
        check_space({})
    with pytest.raises(SweepError, match="must be above 0"):
        nbtrack.loguniform(0, 1)
    with pytest.raises(SweepError, match="must be above 0"):
        nbtrack.loguniform(-1e-3, 1)
    with pytest.raises(SweepError, match="low is above high"):
        nbtrack.uniform(1, 0)
    with pytest.raises(SweepError, match="'hidden' has no values"):
        check_space({"hidden": []})
    with pytest.raises(SweepError, match="whole number"):
        nbtrack.intuniform(1, 2.5)


def test_command_line_specs() -> None:
    assert parse_spec("lr", ["loguniform:1e-4:1e-1"]) == nbtrack.loguniform(1e-4, 1e-1)
    assert parse_spec("n", ["int:1:8"]) == nbtrack.intuniform(1, 8)
    assert parse_spec("hidden", ["32", "64"]) == [32, 64]
    with pytest.raises(SweepError, match="must be above 0"):
        parse_spec("lr", ["loguniform:0:1"])


# -- searches ------------------------------------------------------------------------


def test_trials_are_runs_and_best_is_the_best(backend: str) -> None:
    s = nbtrack.sweep(
        _train, _space(), method="tpe", metric="val_acc", goal="max", trials=6, seed=3
    )
    assert [t.number for t in s.trials] == [1, 2, 3, 4, 5, 6]
    assert all(t.status == "finished" for t in s.trials)
    frame = s.runs()
    assert len(frame) == 6 and set(frame["status"]) == {"finished"}
    assert set(frame["sweep"]) == {s.id}
    best = s.best()
    values = [t.value for t in s.trials]
    assert best.metrics["val_acc"]["last"] == pytest.approx(max(values))
    # the sampled values are the run's params, and its trial number is Optuna's + 1
    top = max(s.trials, key=lambda t: t.value)
    assert best.params["hidden"] == top.params["hidden"]
    assert best.params["lr"] == pytest.approx(top.params["lr"])
    assert s.study.best_trial.number + 1 == top.number
    assert len(s.study.trials) == 6


def test_goal_min(backend: str) -> None:
    s = nbtrack.sweep(
        _train,
        {"hidden": [10, 20, 30], "lr": [0.1], "drop": [0.0]},
        method="grid",
        metric="val_acc",
        goal="min",
    )
    assert sorted(t.params["hidden"] for t in s.trials) == [10, 20, 30]  # the whole grid
    assert s.best().params["hidden"] == 10


def test_continuing_a_sweep_numbers_on_and_checks_what_it_searches(backend: str) -> None:
    s = nbtrack.sweep(_train, _space(), method="random", metric="val_acc", trials=3)
    again = nbtrack.sweep(
        _train, _space(), method="random", metric="val_acc", trials=5, sweep_id=s.id
    )
    assert [t.number for t in again.trials] == [4, 5]
    assert len(again.runs()) == 5
    changed = {**_space(), "hidden": [32, 64, 128]}
    with pytest.raises(SweepError) as info:
        nbtrack.sweep(_train, changed, method="random", metric="acc", trials=6, sweep_id=s.id)
    assert "metric was 'val_acc' and is now 'acc'" in str(info.value)
    assert "hidden was [32, 64] and is now [32, 64, 128]" in str(info.value)


def test_a_metric_never_logged_is_named(backend: str) -> None:
    def quiet(lr: float) -> None:
        nbtrack.log(loss=lr)

    s = nbtrack.sweep(quiet, {"lr": [0.1, 0.2]}, method="grid", metric="val_acc")
    assert [t.status for t in s.trials] == ["finished", "finished"]
    assert "metric val_acc was never logged by trial 1" in s.problems
    assert "metric val_acc was never logged by trial 2" in str(s)
    with pytest.raises(SweepError, match="no trial of sweep .* has finished with a value"):
        s.best()


def test_a_returned_number_is_the_metric(backend: str) -> None:
    s = nbtrack.sweep(
        lambda x: -((x - 2) ** 2),
        {"x": nbtrack.uniform(0, 4)},
        method="random",
        metric="score",
        trials=4,
        seed=1,
    )
    best = s.best()
    assert best.metrics["score"]["last"] == pytest.approx(max(t.value for t in s.trials))


def test_a_failing_trial_is_failed_and_the_others_go_on(backend: str) -> None:
    def train(lr: float) -> None:
        if lr > 0.15:
            raise ValueError(f"diverged at lr={lr}")
        nbtrack.log(val_acc=lr)

    s = nbtrack.sweep(train, {"lr": [0.1, 0.2]}, method="grid", metric="val_acc")
    status = {t.params["lr"]: t.status for t in s.trials}
    assert status == {0.1: "finished", 0.2: "failed"}
    runs = s.runs().set_index("trial")
    failed = [t for t in s.trials if t.status == "failed"][0]
    assert runs.loc[failed.number, "status"] == "failed"
    assert "diverged at lr=0.2" in failed.error


def test_pruning_stops_the_trial_at_the_step_it_logs(backend: str) -> None:
    reached: list[tuple[int, int]] = []
    calls = []

    def train(x: float) -> None:
        calls.append(x)
        good = len(calls) <= 2  # the first two trials do well, the third badly
        for step in range(20):
            nbtrack.log(val_acc=1.0 if good else 0.0, step=step)
            reached.append((len(calls), step))

    s = nbtrack.sweep(
        train,
        {"x": nbtrack.uniform(0, 1)},
        method="random",
        metric="val_acc",
        trials=3,
        prune=nbtrack.MedianPruner(warmup_steps=0, startup_trials=2),
    )
    assert [t.status for t in s.trials] == ["finished", "finished", "pruned"]
    # the third trial's first log() raised: not one step ran after it
    assert [step for n, step in reached if n == 3] == []
    pruned = s.runs().set_index("trial").loc[3]
    assert pruned["status"] == "pruned"
    assert nbtrack.get_run(pruned["id"]).metrics["val_acc"]["count"] == 1
    assert s.study.trials[2].state.name == "PRUNED"


def test_interrupted_sweep_resumes_with_its_id(backend: str) -> None:
    calls = []

    def train(x: float) -> None:
        calls.append(x)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C during the third trial
        nbtrack.log(val_acc=x)

    with pytest.raises(KeyboardInterrupt):
        nbtrack.sweep(
            train,
            {"x": nbtrack.uniform(0, 1)},
            method="random",
            metric="val_acc",
            trials=4,
            sweep_id="sw-resume",
        )
    runs = nbtrack.runs(sweep="sw-resume").set_index("trial")
    assert runs.loc[3, "status"] == "interrupted"
    s = nbtrack.sweep(
        train,
        {"x": nbtrack.uniform(0, 1)},
        method="random",
        metric="val_acc",
        trials=4,
        sweep_id="sw-resume",
    )
    # finished trials kept; the interrupted one's values tried again first; 4 in all
    assert [t.number for t in s.trials] == [4, 5]
    assert s.trials[0].params["x"] == pytest.approx(calls[2])
    assert all(t.status == "finished" for t in s.trials)
    assert len(nbtrack.runs(sweep="sw-resume")) == 5


def test_a_parallel_sweep_stopped_leaves_no_trial_running_and_resumes(backend: str) -> None:
    """Two slots, each with a trial running and the next in hand: stopped by a
    failing callback after the first trial ends, every asked trial is settled
    (none left running), and the sweep continued with its id ends at its total."""

    def train(x: float) -> None:
        time.sleep(0.2)
        nbtrack.log(val_acc=x)

    def stop(trial: object, sweep: object) -> None:
        raise RuntimeError("stop here")

    options = dict(method="random", metric="val_acc", trials=6, parallel=2, sweep_id="sw-par")
    with pytest.raises(RuntimeError, match="stop here"):
        nbtrack.sweep(train, {"x": nbtrack.uniform(0, 1)}, on_trial=stop, **options)
    assert "running" not in set(nbtrack.runs(sweep="sw-par")["status"])
    s = nbtrack.sweep(train, {"x": nbtrack.uniform(0, 1)}, **options)
    states = [t.state.name for t in s.study.trials]
    assert "RUNNING" not in states and states.count("COMPLETE") == 6
    assert "running" not in set(nbtrack.runs(sweep="sw-par")["status"])


def test_parallel_slots_never_run_one_queued_trial_twice(backend: str) -> None:
    """A grid queues its combinations (Optuna's WAITING trials) and two slots ask at
    the same moment: each combination runs exactly once. On SQLite, Optuna claims a
    queued trial by a read and an update, and in a deferred transaction two threads
    asking at once claimed the same one about 1 time in 5 (run twice, then "Cannot
    tell a COMPLETE trial"); Optuna's engine now begins with BEGIN IMMEDIATE."""

    def train(x: int) -> float:
        return float(x)

    for attempt in range(8):
        sid = f"sw-grid-{attempt}"
        s = nbtrack.sweep(
            train, {"x": list(range(6))}, method="grid", metric="m", parallel=2, sweep_id=sid
        )
        ran = sorted(int(p) for p in s.runs()["params.x"])
        assert ran == list(range(6)), (attempt, ran)


def test_two_drivers_asking_at_once_never_claim_one_queued_trial(backend: str) -> None:
    """Two drivers (here two threads with no lock between them, as two processes
    would be) ask the same study at the same moment for its one queued trial: one
    gets it, the other a new trial. On SQLite, Optuna's claim (a read, then an update)
    ran in a deferred transaction, and both drivers claimed the trial about 1 time in
    5; every transaction of its engine now takes the write lock at its BEGIN."""
    import threading

    import optuna

    from nbtrack.store import open_store
    from nbtrack.sweeps.study import open_study

    open_store(backend)
    attrs = {
        "target": "t",
        "kind": "function",
        "space": "{}",
        "metric": "m",
        "goal": "max",
        "method": "random",
    }
    study, _ = open_study(
        backend,
        "sw-claim",
        attrs,
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.NopPruner(),
    )
    dists = {"x": optuna.distributions.FloatDistribution(0, 1)}
    for _ in range(60):
        study.enqueue_trial({"x": 0.5})
        start = threading.Barrier(2)
        got: list[optuna.Trial] = []

        def ask(start: threading.Barrier, got: list[optuna.Trial]) -> None:
            start.wait()
            got.append(study.ask(dists))

        threads = [threading.Thread(target=ask, args=(start, got)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got[0]._trial_id != got[1]._trial_id
        for trial in got:
            study.tell(trial, 0.0)


def test_bad_options_are_refused_before_any_trial(backend: str) -> None:
    with pytest.raises(SweepError, match="needs the metric"):
        nbtrack.sweep(_train, _space(), method="tpe", trials=3)
    with pytest.raises(SweepError, match="how many trials"):
        nbtrack.sweep(_train, _space(), method="tpe", metric="val_acc")
    with pytest.raises(SweepError, match="grid sweep needs lists"):
        nbtrack.sweep(_train, _space(), method="grid", metric="val_acc")
    with pytest.raises(SweepError, match="Optuna pruner"):
        nbtrack.sweep(_train, _space(), metric="val_acc", trials=2, prune="median")
    assert len(nbtrack.runs()) == 0


def test_sweeps_list_and_show(backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    from nbtrack.cli import main

    def train(q: float) -> None:
        nbtrack.log(val_acc=q)

    s = nbtrack.sweep(train, {"q": [0.2, 0.7, 0.5]}, method="grid", metric="val_acc")
    best = s.best().ref
    capsys.readouterr()
    assert main(["sweeps"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[1].split()[:6] == [s.id, "grid", "3", "3", "0", "0"]
    assert f"val_acc=0.7 {best}" in listed[1]
    assert main(["sweep", "show", s.id]) == 0
    shown = capsys.readouterr().out
    assert f"best: val_acc = 0.7 ({best})" in shown
    assert "3 trials: 3 finished, 0 pruned, 0 failed" in shown
    assert main(["sweep", "show", "sw-nope"]) == 1
    assert "no sweep 'sw-nope'" in capsys.readouterr().err


DRIVER = """
import nbtrack, os, pathlib, time
def train(x):
    time.sleep(0.2)
    nbtrack.log(val_acc=x, pid=os.getpid())
pathlib.Path(f"ready-{os.getpid()}").touch()
while len(list(pathlib.Path().glob("ready-*"))) < 2:  # both drivers up before either asks
    time.sleep(0.05)
nbtrack.sweep(train, {"x": nbtrack.uniform(0, 1)}, method="tpe", metric="val_acc",
              trials=8, sweep_id="sw-shared")
"""


@pytest.mark.slow
def test_two_drivers_share_one_study_without_duplicates(backend: str, project) -> None:
    import subprocess
    import sys

    nbtrack.sweep(  # the study exists before both drivers start
        _train, _space(), method="tpe", metric="val_acc", trials=1, sweep_id="sw-warm"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", DRIVER], cwd=project, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
    runs = nbtrack.runs(sweep="sw-shared")
    trials = list(runs["trial"])
    assert len(trials) == len(set(trials)) >= 8  # every trial once, numbered apart
    assert sorted(trials) == list(range(1, len(trials) + 1))
    pids = {nbtrack.get_run(i).metrics["pid"]["last"] for i in runs["id"]}
    assert len(pids) == 2  # both drivers ran trials
