"""System metrics: a real psutil sampler thread logging sys/... metrics through the
writer, on both backends; stopped with a last sample at the end (finished, failed);
the GPU path skipped quietly without NVIDIA's library or a GPU; the magic's flag in
a real kernel; no sampler thread left behind."""

from __future__ import annotations

import sys
import threading
import time
import types
from pathlib import Path

import pytest

import nbtrack
from nbtrack import sysmetrics
from nbtrack.capture.system import GpuProbe, SystemProbe

FAST = 0.05  # seconds between samples in these tests


def _sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("nbtrack-sysmetrics-")]


def _fast(project: Path, on: bool = False) -> None:
    lines = ["[tool.nbtrack]", f"system_metrics_interval = {FAST}"]
    if on:
        lines.append("system_metrics = true")
    (project / "pyproject.toml").write_text("\n".join(lines) + "\n")


def _wait_for_samples(run: nbtrack.tracking.ActiveRun, count: int) -> None:
    """Until the sampler has taken `count` samples (a generous bound, never a sleep)."""
    deadline = time.monotonic() + 120
    while run.sampler.samples < count:
        assert time.monotonic() < deadline, "the sampler took no samples in 120 s"
        assert run.sampler.alive, run.sampler.error
        time.sleep(0.01)


def test_settings_from_the_project_and_the_call() -> None:
    assert sysmetrics.settings({}, None) == (False, 2.0)
    assert sysmetrics.settings({"system_metrics": True}, None) == (True, 2.0)
    assert sysmetrics.settings({"system_metrics": True}, False) == (False, 2.0)
    assert sysmetrics.settings({"system_metrics_interval": 0.5}, True) == (True, 0.5)
    for bad in ("x", 0, -1, float("nan")):
        assert sysmetrics.settings({"system_metrics_interval": bad}, True) == (True, 2.0)


def test_totals_fold_peaks_and_gpu_seconds() -> None:
    totals = sysmetrics.Totals(100.0)
    totals.add({"sys/proc_rss_mb": 50.0}, 101.0)
    assert totals.summary() == {"sys/peak_rss_mb": 50.0}  # no GPU: no GPU summaries
    gpu = {"sys/gpu0/util_percent": 50.0, "sys/gpu1/util_percent": 100.0}
    totals.add({"sys/proc_rss_mb": 80.0, **gpu, "sys/gpu0/mem_used_mb": 900.0}, 103.0)
    totals.add({"sys/proc_rss_mb": 60.0, **gpu, "sys/gpu0/proc_mem_mb": 300.0}, 105.0)
    assert totals.summary() == {
        "sys/peak_rss_mb": 80.0,
        "sys/gpu_seconds": pytest.approx(2 * 1.5 * 2.0),
        "sys/peak_gpu_mem_mb": 900.0,
    }


def test_probe_reads_this_process_and_rates_after_the_first_sample() -> None:
    probe = SystemProbe()
    try:
        first = probe.sample(time.time())
        assert first["sys/proc_rss_mb"] > 1 and 0 < first["sys/mem_used_mb"]
        assert "sys/disk_read_mb_s" not in first and "sys/net_sent_mb_s" not in first
        second = probe.sample(time.time() + 0.5)
        assert second.get("sys/net_sent_mb_s", 0.0) >= 0.0
        assert not any(k.startswith("sys/gpu") for k in second)  # no GPU on this machine
    finally:
        probe.close()


def test_without_nvidia_library_or_gpu_the_gpu_path_is_skipped(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # not installed: ImportError
    assert GpuProbe.open() is None

    class NVMLError(Exception):
        pass

    def no_driver() -> None:
        raise NVMLError("Driver Not Loaded")

    fake = types.SimpleNamespace(nvmlInit=no_driver)  # installed, no driver
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert GpuProbe.open() is None
    zero = types.SimpleNamespace(
        nvmlInit=lambda: None, nvmlDeviceGetCount=lambda: 0, nvmlShutdown=lambda: None
    )
    monkeypatch.setitem(sys.modules, "pynvml", zero)  # a driver without GPUs
    assert GpuProbe.open() is None
    probe = SystemProbe()
    assert probe.gpus is None and "sys/cpu_percent" in probe.sample(time.time())


@pytest.mark.slow
def test_start_run_logs_sys_metrics_and_summaries(backend: str, project: Path) -> None:
    _fast(project)
    with nbtrack.start_run("sys", system_metrics=True) as run:
        _wait_for_samples(run, 2)
    assert not _sampler_threads()
    got = nbtrack.get_run("sys")
    samples = run.sampler.samples
    assert samples >= 3  # two while it ran, and the last one at its end
    rss = got.history("sys/proc_rss_mb")
    assert rss["step"].tolist() == list(range(samples))
    assert (rss["value"] > 1).all()
    assert got.metrics["sys/cpu_percent"]["count"] == samples
    assert got.metrics["sys/peak_rss_mb"]["last"] == pytest.approx(rss["value"].max())
    assert "sys/gpu_seconds" not in got.metrics and "sys/peak_gpu_mem_mb" not in got.metrics
    df = nbtrack.runs()
    assert df.loc[0, "metrics.sys/peak_rss_mb"] > 1


@pytest.mark.slow
def test_a_failed_run_keeps_its_last_sample_and_off_means_off(project: Path) -> None:
    _fast(project, on=True)  # the project turns them on
    with pytest.raises(ZeroDivisionError):
        with nbtrack.start_run("boom") as run:
            raise ZeroDivisionError("boom")
    assert not _sampler_threads()
    got = nbtrack.get_run("boom")
    assert got.status == "failed"
    assert got.metrics["sys/proc_rss_mb"]["count"] == run.sampler.samples >= 1
    with nbtrack.start_run("quiet", system_metrics=False) as quiet:
        pass
    assert quiet.sampler is None
    assert not any(k.startswith("sys/") for k in nbtrack.get_run("quiet").metrics)


@pytest.mark.slow
def test_track_flag_samples_in_a_real_kernel(project: Path) -> None:
    from kernels import run_notebook, write_notebook

    _fast(project)
    wait = (
        "%%track --name sampled --system-metrics\n"
        "import time\n"
        "run = nbtrack.active_run()\n"
        "deadline = time.monotonic() + 120\n"
        "while run.sampler.samples < 2 and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
    )
    after = (
        "import threading\n"
        "left = [t.name for t in threading.enumerate() if 'sysmetrics' in t.name]\n"
        "assert not left, left"
    )
    nb = write_notebook(project / "sys.ipynb", ["%load_ext nbtrack", wait, after])
    run_notebook(nb)
    got = nbtrack.get_run("sampled")
    assert got.metrics["sys/proc_rss_mb"]["count"] >= 3
    assert got.metrics["sys/peak_rss_mb"]["last"] > 1
