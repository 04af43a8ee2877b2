"""Artifacts in archives: `export --with-artifacts` + `import` of a run that logged
a folder of F files x S MB, beside `tar cf` + `tar xf` of the same folder (the
raw-copy floor: no hashing, no checks, no store), and the peak memory each adds.

    python benchmarks/bench_transfer_artifacts.py           # 8 files x 16 MB
    python benchmarks/bench_transfer_artifacts.py --quick   # 4 files x 4 MB

Targets (set here): export + import within 4x of tar out + in (export and import
each hash every byte once more than tar: SHA-256 for the archive, BLAKE3 for the
content address); peak memory added by export + import under a quarter of the
artifact's size (blobs are streamed, never whole in memory).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path


def _row(figure: str, measured: str, limit: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("ok" if ok else "OVER")
    print(f"{figure:<44} {measured:>14}  {limit:<24} {verdict}")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    files, mb = (4, 4) if args.quick else (8, 16)
    import nbtrack
    from nbtrack.artifacts.context import forget_contexts
    from nbtrack.store import forget_stores
    from nbtrack.transfer import export_runs, import_archive

    with tempfile.TemporaryDirectory(prefix="bench-art-") as tmp:
        base = Path(tmp)
        src, dst = base / "src", base / "dst"
        folder = src / "weights"
        folder.mkdir(parents=True)
        dst.mkdir()
        for i in range(files):
            (folder / f"part{i}.bin").write_bytes(os.urandom(mb << 20))
        size_mb = files * mb
        src_url = f"sqlite:///{src / '.nbtrack' / 'nbtrack.db'}"
        dst_url = f"sqlite:///{dst / '.nbtrack' / 'nbtrack.db'}"
        os.chdir(src)
        os.environ["NBTRACK_STORE"] = src_url
        with nbtrack.start_run(name="train"):
            nbtrack.log_artifact(folder, name="weights")
        before = _peak_mb()

        start = time.perf_counter()
        export_runs(src_url, base / "runs.nbtrack", project_root=src, with_artifacts=True)
        export_s = time.perf_counter() - start
        os.chdir(dst)
        os.environ["NBTRACK_STORE"] = dst_url
        forget_contexts()
        forget_stores()
        start = time.perf_counter()
        done = import_archive(base / "runs.nbtrack", dst_url, project_root=dst)
        import_s = time.perf_counter() - start
        added = _peak_mb() - before
        assert done.artifacts.versions == 1 and done.artifacts.missing == 0

        start = time.perf_counter()
        subprocess.run(["tar", "cf", str(base / "w.tar"), "-C", str(src), "weights"], check=True)
        (base / "untar").mkdir()
        subprocess.run(["tar", "xf", str(base / "w.tar"), "-C", str(base / "untar")], check=True)
        tar_s = time.perf_counter() - start

    print(f"artifact: {files} files x {mb} MB = {size_mb} MB (random bytes)")
    _row("export --with-artifacts", f"{export_s:.2f} s")
    _row("import (blobs into local storage)", f"{import_s:.2f} s")
    _row("tar cf + tar xf (floor)", f"{tar_s:.2f} s")
    ratio = (export_s + import_s) / tar_s
    _row("export + import / tar", f"{ratio:.2f}x", "<= 4x", ratio <= 4)
    _row("peak memory before export", f"{before:.0f} MB")
    _row("peak memory added", f"{added:.0f} MB", f"< {size_mb / 4:.0f} MB", added < size_mb / 4)


if __name__ == "__main__":
    main()
