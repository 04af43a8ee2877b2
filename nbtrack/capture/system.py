"""One sample of the machine and this process: psutil for CPU, memory, disk and
network; NVIDIA's management library (`pynvml`, from nvidia-ml-py) for each GPU when
it imports and a GPU answers, else no GPU keys at all (never an error).

`SystemProbe.sample(now)` gives {metric key: value}: rates (MB/s) are over the time
since the previous sample, so the first sample has none. Keys (all under `sys/`):

    cpu_percent            system CPU, % of all cores (100 = every core busy)
    proc_cpu_percent       this process, % of one core (may pass 100 with threads)
    proc_rss_mb            this process's resident memory
    mem_used_mb, mem_percent   system memory in use
    disk_read_mb_s, disk_write_mb_s, net_sent_mb_s, net_recv_mb_s
    gpu<i>/util_percent, gpu<i>/mem_used_mb, gpu<i>/power_w, gpu<i>/temp_c
    gpu<i>/proc_mem_mb     this process's memory on GPU i, when the driver says
"""

from __future__ import annotations

import os
from typing import Any

MB = 1024 * 1024


class SystemProbe:
    """psutil handles (and GPU handles) kept between samples. Not thread-safe: one
    sampler thread owns it."""

    def __init__(self, pid: int | None = None) -> None:
        import psutil

        self._psutil = psutil
        self.process = psutil.Process(pid or os.getpid())
        # cpu_percent measures since the previous call: prime both.
        self.process.cpu_percent(None)
        psutil.cpu_percent(None)
        self._last_time: float | None = None
        self._last_disk = self._disk()
        self._last_net = self._net()
        self.gpus = GpuProbe.open()

    def _disk(self) -> tuple[int, int] | None:
        try:
            io = self._psutil.disk_io_counters()
        except (OSError, RuntimeError):  # no disks visible (some containers)
            return None
        return None if io is None else (io.read_bytes, io.write_bytes)

    def _net(self) -> tuple[int, int] | None:
        try:
            io = self._psutil.net_io_counters()
        except (OSError, RuntimeError):
            return None
        return None if io is None else (io.bytes_sent, io.bytes_recv)

    def sample(self, now: float) -> dict[str, float]:
        ps = self._psutil
        out: dict[str, float] = {
            "sys/cpu_percent": ps.cpu_percent(None),
            "sys/proc_cpu_percent": self.process.cpu_percent(None),
            "sys/proc_rss_mb": self.process.memory_info().rss / MB,
        }
        mem = ps.virtual_memory()
        out["sys/mem_used_mb"] = (mem.total - mem.available) / MB
        out["sys/mem_percent"] = mem.percent
        disk, net = self._disk(), self._net()
        if self._last_time is not None and now > self._last_time:
            dt = now - self._last_time
            for names, before, after in (
                (("sys/disk_read_mb_s", "sys/disk_write_mb_s"), self._last_disk, disk),
                (("sys/net_sent_mb_s", "sys/net_recv_mb_s"), self._last_net, net),
            ):
                if before is not None and after is not None:
                    for name, b, a in zip(names, before, after, strict=True):
                        out[name] = max(0, a - b) / MB / dt
        self._last_time, self._last_disk, self._last_net = now, disk, net
        if self.gpus is not None:
            out.update(self.gpus.sample(self.process.pid))
        return out

    def close(self) -> None:
        if self.gpus is not None:
            self.gpus.close()


class GpuProbe:
    """Every NVIDIA GPU through pynvml. `open()` is None without the library, a
    driver or a GPU; a reading a GPU does not support is left out."""

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self.nvml = nvml
        self.handles = handles

    @classmethod
    def open(cls) -> GpuProbe | None:
        try:
            import pynvml as nvml
        except ImportError:
            return None
        try:
            nvml.nvmlInit()
        except Exception:  # noqa: BLE001 - NVMLError_*: no driver, no GPU: skip quietly
            return None
        try:
            handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
        except Exception:  # noqa: BLE001 - a driver that answers nothing useful
            handles = []
        if not handles:
            _quietly(nvml.nvmlShutdown)
            return None
        return cls(nvml, handles)

    def sample(self, pid: int) -> dict[str, float]:
        nvml, out = self.nvml, {}
        for i, h in enumerate(self.handles):
            key = f"sys/gpu{i}/"
            util = _quietly(nvml.nvmlDeviceGetUtilizationRates, h)
            if util is not None:
                out[key + "util_percent"] = float(util.gpu)
            mem = _quietly(nvml.nvmlDeviceGetMemoryInfo, h)
            if mem is not None:
                out[key + "mem_used_mb"] = mem.used / MB
            power = _quietly(nvml.nvmlDeviceGetPowerUsage, h)  # milliwatts
            if power is not None:
                out[key + "power_w"] = power / 1000.0
            temp = _quietly(nvml.nvmlDeviceGetTemperature, h, 0)  # NVML_TEMPERATURE_GPU
            if temp is not None:
                out[key + "temp_c"] = float(temp)
            procs = _quietly(nvml.nvmlDeviceGetComputeRunningProcesses, h)
            if procs is not None:
                mine = [p.usedGpuMemory for p in procs if p.pid == pid and p.usedGpuMemory]
                out[key + "proc_mem_mb"] = sum(mine) / MB
        return out

    def close(self) -> None:
        _quietly(self.nvml.nvmlShutdown)


def _quietly(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - NVMLError_NotSupported and kin: the reading is skipped
        return None
