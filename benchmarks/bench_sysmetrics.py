"""System metrics overhead: the sampler thread's own CPU, against 1 % of one core.

    python benchmarks/bench_sysmetrics.py            # 60 s at the default rate
    python benchmarks/bench_sysmetrics.py --quick    # 8 s (CI)

A real run (SQLite store in a temp project) records sys/... metrics while the main
thread logs a metric in a loop, as training does. The sampler counts its own CPU
with time.thread_time() (the GIL and a busy machine stretch wall-clock figures, not
this one). Figures:

- CPU per second of run at the default interval (2 s): the issue's target, <= 1 %;
- CPU per sample, from a fast sampler (0.05 s) taking many samples, and the rate
  that figure implies at 2 s (a check on the first, less noisy).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _row(figure: str, measured: str, limit: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("ok" if ok else "OVER")
    print(f"{figure:<44} {measured:>18}  {limit:<18} {verdict}")


def _run(seconds: float, interval: float) -> tuple[float, int, float]:
    """(sampler CPU seconds, samples, wall seconds) of one run lasting `seconds`."""
    import nbtrack
    from nbtrack import sysmetrics

    Path("pyproject.toml").write_text(f"[tool.nbtrack]\nsystem_metrics_interval = {interval}\n")
    start = time.perf_counter()
    with nbtrack.start_run("bench", system_metrics=True) as run:
        step = 0
        while time.perf_counter() - start < seconds:
            nbtrack.log(loss=1.0 / (step + 1))
            step += 1
            time.sleep(0.001)
        sampler: sysmetrics.SystemSampler = run.sampler
    wall = time.perf_counter() - start
    return sampler.cpu_seconds, sampler.samples, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (CI)")
    args = parser.parse_args()
    seconds = 8.0 if args.quick else 60.0
    fast_samples = 100 if args.quick else 1000
    from nbtrack import sysmetrics

    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        Path(".nbtrack").mkdir()
        os.environ.pop("NBTRACK_STORE", None)
        cpu, samples, wall = _run(seconds, sysmetrics.DEFAULT_INTERVAL_S)
        share = cpu / wall * 100
        fast = sysmetrics.DEFAULT_INTERVAL_S / 40  # 0.05 s
        fast_cpu, fast_n, _ = _run(fast_samples * fast, fast)
    per_sample = fast_cpu / max(1, fast_n)
    implied = per_sample / sysmetrics.DEFAULT_INTERVAL_S * 100
    print(f"system metrics sampler, default interval {sysmetrics.DEFAULT_INTERVAL_S:g} s")
    _row("figure", "measured", "target", None)
    _row(
        f"sampler CPU, % of a core ({samples} samples, {wall:.0f} s)",
        f"{share:.3f} %",
        "<= 1 %",
        share <= 1.0,
    )
    _row(f"CPU per sample ({fast_n} samples at {fast:g} s)", f"{per_sample * 1e3:.2f} ms", "", None)
    _row("implied at the default interval", f"{implied:.3f} %", "<= 1 %", implied <= 1.0)


if __name__ == "__main__":
    main()
