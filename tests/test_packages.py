"""The package list of the environment record, read from metadata folder names:
it must say what `importlib.metadata` says (the slow reference), on real folders."""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata
from pathlib import Path

import pytest

from nbtrack.capture.environment import capture_environment
from nbtrack.capture.packages import canonical_name, parse_info_name, scan


def _dist(site: Path, folder: str, name: str, version: str, *, as_file: bool = False) -> Path:
    """A distribution's metadata as installers leave it (a folder, or an egg-info file)."""
    text = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if as_file:
        (site / folder).write_text(text)
        return site / folder
    info = site / folder
    info.mkdir(parents=True)
    (info / ("PKG-INFO" if folder.endswith(".egg-info") else "METADATA")).write_text(text)
    return info


def _reference(paths: list[str]) -> dict[str, str]:
    """What importlib.metadata finds on `paths`, first of a name winning."""
    found: dict[str, str] = {}
    for dist in metadata.distributions(path=paths):
        found.setdefault(canonical_name(dist.metadata["Name"]), dist.version)
    return found


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("scikit_learn-1.9.1.dist-info", ("scikit-learn", "1.9.1")),
        ("PyYAML-6.0.1.dist-info", ("pyyaml", "6.0.1")),
        ("ruamel.yaml-0.18.6.dist-info", ("ruamel-yaml", "0.18.6")),
        ("torch-2.13.0+cpu.dist-info", ("torch", "2.13.0+cpu")),
        ("foo_bar-1.0-py3.11.egg-info", ("foo-bar", "1.0")),
        ("foo-1.0-py3.11-linux-x86_64.egg", ("foo", "1.0")),
        ("mypkg.egg-info", ("mypkg", None)),
    ],
)
def test_folder_names_give_name_and_version(folder: str, expected: tuple) -> None:
    assert parse_info_name(folder) == expected


def test_scan_agrees_with_importlib_metadata(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _dist(site, "scikit_learn-1.9.1.dist-info", "scikit-learn", "1.9.1")
    _dist(site, "PyYAML-6.0.1.dist-info", "PyYAML", "6.0.1")
    _dist(site, "ruamel.yaml-0.18.6.dist-info", "ruamel.yaml", "0.18.6")
    _dist(site, "typing_extensions-4.16.0.dist-info", "typing_extensions", "4.16.0")
    _dist(site, "torch-2.13.0+cpu.dist-info", "torch", "2.13.0+cpu")
    _dist(site, "legacy_thing-0.3-py3.11.egg-info", "legacy-thing", "0.3")
    _dist(site, "python_apt-2.6.0.egg-info", "python-apt", "2.6.0", as_file=True)
    (site / "not_metadata").mkdir()
    (site / "module.py").write_text("")
    packages, editable = scan([str(site)])
    assert packages == _reference([str(site)])
    assert packages["scikit-learn"] == "1.9.1" and packages["python-apt"] == "2.6.0"
    assert list(packages) == sorted(packages)
    assert editable == {}


def test_the_first_distribution_on_the_path_wins(tmp_path: Path) -> None:
    """As for imports (and `importlib.metadata.version`): the one Python would load."""
    first, second = tmp_path / "first", tmp_path / "second"
    _dist(first, "foo-1.0.dist-info", "foo", "1.0")
    _dist(second, "foo-2.0.dist-info", "foo", "2.0")
    _dist(second, "bar-3.0.dist-info", "bar", "3.0")
    packages, _ = scan([str(first), str(second), str(tmp_path / "missing"), str(tmp_path)])
    assert packages == {"bar": "3.0", "foo": "1.0"}
    assert packages == _reference([str(first), str(second)])


def test_editable_installs_say_where_their_code_is(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    # PEP 660 (pip install -e with a modern backend): a dist-info with direct_url.json.
    info = _dist(site, "mylib-0.1.0.dist-info", "mylib", "0.1.0")
    (info / "direct_url.json").write_text(
        json.dumps({"url": "file:///home/me/my%20lib", "dir_info": {"editable": True}})
    )
    # Installed from a local wheel: a direct URL too, but not editable.
    wheel = _dist(site, "other-2.0.dist-info", "other", "2.0")
    (wheel / "direct_url.json").write_text(
        json.dumps({"url": "file:///tmp/other-2.0-py3-none-any.whl", "archive_info": {}})
    )
    # `setup.py develop`: the source tree is on the path with an unversioned egg-info.
    source = tmp_path / "src" / "oldlib"
    _dist(source, "oldlib.egg-info", "oldlib", "1.4.2")
    paths = [str(site), str(source)]
    packages, editable = scan(paths)
    assert packages == {"mylib": "0.1.0", "oldlib": "1.4.2", "other": "2.0"}
    assert packages == _reference(paths)
    assert editable == {"mylib": "/home/me/my lib", "oldlib": str(source)}


def test_the_record_of_this_process_lists_what_is_installed() -> None:
    env = capture_environment()
    packages = env["packages"]
    assert packages["pytest"] == pytest.__version__
    assert set(_reference(sys.path)) <= set(packages)
    assert all(name == canonical_name(name) for name in packages)
    assert set(env["editable"]) <= set(packages)


def test_gpu_names_come_from_the_driver_files_without_a_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The NVIDIA driver's /proc files, as it writes them (two GPUs, bus order)."""
    from nbtrack.capture.environment import gpu_names

    info = (
        "Model: \t\t NVIDIA A100-SXM4-40GB\nIRQ:   \t\t 140\n"
        "GPU UUID: \t GPU-0f5e1c2a\nBus Location: \t {bus}\nArchitecture: \t Ampere\n"
    )
    for bus, model in (("0000:3b:00.0", "NVIDIA A100-SXM4-40GB"), ("0000:07:00.0", "Tesla T4")):
        (tmp_path / bus).mkdir()
        (tmp_path / bus / "information").write_text(
            info.format(bus=bus).replace("NVIDIA A100-SXM4-40GB", model)
        )
    (tmp_path / "0000:99:00.0").mkdir()  # a GPU being set up: no information file yet
    # An imported torch answers first: another test of this worker may have imported it.
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert gpu_names(str(tmp_path)) == ["Tesla T4", "NVIDIA A100-SXM4-40GB"]
    assert gpu_names(str(tmp_path / "absent")) in ([], gpu_names())  # no driver: nvidia-smi


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.path.exists("/dev/dxg"),
    reason="Linux without WSL 2's GPU device only",
)
def test_without_the_nvidia_driver_linux_runs_no_nvidia_smi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No /proc/driver/nvidia on Linux (outside WSL 2): no driver, so nvidia-smi
    could only fail; it is neither looked for nor run (finding it on PATH was
    on every cold start's critical path)."""
    from nbtrack.capture.environment import gpu_names

    monkeypatch.delitem(sys.modules, "torch", raising=False)  # it would answer first
    ran = tmp_path / "ran"
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.parent.mkdir()
    smi.write_text(f"#!/bin/sh\ntouch {ran}\necho 'Some GPU'\n")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{smi.parent}{os.pathsep}{os.environ['PATH']}")
    assert gpu_names(str(tmp_path / "absent")) == []
    assert not ran.exists()
