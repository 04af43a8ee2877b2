"""System metrics of a run: a background thread samples the machine and this process
(capture/system.py) every `interval` seconds and logs the values as `sys/...`
metrics through the run's writer, so they chart and summarise like any metric.

Turned on by `%%track --system-metrics`, `start_run(system_metrics=True)` or
`[tool.nbtrack] system_metrics = true` (`system_metrics_interval`, default 2 s).

- The step of a sample is its number in the run (0, 1, 2, ...); each point also
  carries its wall time (`time` in `history()`), for charts against time.
- The first sample is taken one interval after the start; a last one is taken when
  the run ends (finished, failed or interrupted), so a run shorter than the
  interval has one sample too, and no sample is lost at the end.
- At the end, summaries of what the tracked cell used: `sys/peak_rss_mb` (the
  process's largest resident memory sampled), and with a GPU `sys/peak_gpu_mem_mb`
  (this process's memory on all GPUs, or the devices' when the driver does not say
  per process) and `sys/gpu_seconds` (utilization × time, summed over GPUs: one GPU
  busy for 10 s is 10).
- Overhead: the thread's own CPU time is counted (`cpu_seconds`);
  benchmarks/bench_sysmetrics.py measures it against 1 % of a core.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from .tracking import _log_to

if TYPE_CHECKING:
    from .tracking import ActiveRun

DEFAULT_INTERVAL_S = 2.0
MIN_INTERVAL_S = 0.01
#: How long a run's end waits for the sampler's last sample.
STOP_TIMEOUT_S = 30.0


def settings(project_settings: dict[str, Any], enabled: bool | None) -> tuple[bool, float]:
    """(on, interval) from the explicit choice (None: the project's setting) and
    `[tool.nbtrack] system_metrics_interval`. Pure; a bad interval is the default."""
    on = bool(project_settings.get("system_metrics", False)) if enabled is None else enabled
    raw = project_settings.get("system_metrics_interval", DEFAULT_INTERVAL_S)
    try:
        interval = float(raw)
    except (TypeError, ValueError):
        interval = DEFAULT_INTERVAL_S
    if not interval >= MIN_INTERVAL_S:  # also NaN
        interval = DEFAULT_INTERVAL_S
    return on, interval


class Totals:
    """The end-of-run summaries, folded sample by sample. Pure."""

    def __init__(self, start: float) -> None:
        self.last_time = start
        self.peak_rss_mb: float | None = None
        self.peak_gpu_mem_mb: float | None = None
        self.gpu_seconds: float | None = None

    def add(self, sample: dict[str, float], now: float) -> None:
        dt = max(0.0, now - self.last_time)
        self.last_time = now
        rss = sample.get("sys/proc_rss_mb")
        if rss is not None:
            self.peak_rss_mb = rss if self.peak_rss_mb is None else max(self.peak_rss_mb, rss)
        utils = [v for k, v in sample.items() if k.endswith("/util_percent")]
        if utils:
            self.gpu_seconds = (self.gpu_seconds or 0.0) + sum(utils) / 100.0 * dt
        own = [v for k, v in sample.items() if k.endswith("/proc_mem_mb")]
        used = own if any(own) else [v for k, v in sample.items() if k.endswith("/mem_used_mb")]
        if used and any(k.startswith("sys/gpu") for k in sample):
            total = sum(used)
            self.peak_gpu_mem_mb = (
                total if self.peak_gpu_mem_mb is None else max(self.peak_gpu_mem_mb, total)
            )

    def summary(self) -> dict[str, float]:
        out = {
            "sys/peak_rss_mb": self.peak_rss_mb,
            "sys/peak_gpu_mem_mb": self.peak_gpu_mem_mb,
            "sys/gpu_seconds": self.gpu_seconds,
        }
        return {k: v for k, v in out.items() if v is not None}


class SystemSampler:
    """The sampling thread of one run."""

    def __init__(self, run: ActiveRun, interval: float = DEFAULT_INTERVAL_S) -> None:
        self.run = run
        self.interval = interval
        self.samples = 0
        #: CPU seconds the thread itself used (time.thread_time), for the overhead.
        self.cpu_seconds = 0.0
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.totals = Totals(time.time())

    def start(self) -> SystemSampler:
        self._thread = threading.Thread(
            target=self._loop, name=f"nbtrack-sysmetrics-{self.run.id}", daemon=True
        )
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        begin = time.thread_time()
        try:
            from .capture.system import SystemProbe

            probe = SystemProbe()
        except Exception as exc:  # noqa: BLE001 - psutil missing or refused: no metrics, run goes on
            self.error = f"system metrics are off: {type(exc).__name__}: {exc}"
            return
        finally:
            self.cpu_seconds += time.thread_time() - begin
        try:
            while not self._stop.wait(self.interval):
                if not self._sample(probe):
                    return
            self._sample(probe)  # the last one, at the run's end
        finally:
            probe.close()

    def _sample(self, probe: Any) -> bool:
        begin = time.thread_time()
        try:
            now = time.time()
            values = probe.sample(now)
            self.totals.add(values, now)
            # Not through run.on_log: a pruner raising here would stop the sampler,
            # never the cell (sweeps/pruning.py does not prune on sys/ metrics).
            _log_to(self.run, values, self.samples, {}, hooks=False)
            self.samples += 1
            return True
        except Exception as exc:  # noqa: BLE001 - a sampler failure costs the metrics, never the run
            self.error = f"system metrics stopped: {type(exc).__name__}: {exc}"
            return False
        finally:
            self.cpu_seconds += time.thread_time() - begin

    def stop(self) -> None:
        """Take the last sample, stop the thread and log the run's summaries (while
        the run is still running: end_run calls this first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
        if self.error:
            self.run.warnings.append(self.error)
        summary = self.totals.summary()
        if summary and self.run.status == "running":
            _log_to(self.run, summary, 0, {}, hooks=False)


def start(run: ActiveRun, interval: float) -> SystemSampler:
    return SystemSampler(run, interval).start()
