"""Moving runs between stores: `nbtrack export` + `nbtrack import` of N runs x P
points, beside `sqlite3 .dump` + restore of the same SQLite file (the raw-copy
floor: no checks, no id mapping, no renumbering).

    python benchmarks/bench_transfer.py            # 100 runs x 10,000 points
    python benchmarks/bench_transfer.py --quick    # 10 runs x 1,000 points
    python benchmarks/bench_transfer.py --pg postgresql+psycopg:///db   # also import there

Target (set here): export + import within 3x of dump + restore.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def _row(figure: str, measured: str, limit: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("ok" if ok else "OVER")
    print(f"{figure:<44} {measured:>18}  {limit:<24} {verdict}")


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _fill(url: str, runs: int, points: int) -> None:
    import nbtrack

    os.environ["NBTRACK_STORE"] = url
    for r in range(runs):
        with nbtrack.start_run(params={"lr": 0.1 * (r + 1), "seed": r}, tags=["bench"]):
            for step in range(points // 2):
                nbtrack.log(loss=1.0 / (step + 1), acc=step / points, step=step)
    os.environ.pop("NBTRACK_STORE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pg", metavar="URL", help="also import into this PostgreSQL store")
    args = parser.parse_args()
    runs, points = (10, 1_000) if args.quick else (100, 10_000)

    from nbtrack.store import forget_stores
    from nbtrack.transfer import export_runs, import_archive

    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-transfer-") as tmp:
        root = Path(tmp)
        os.chdir(root)
        src = f"sqlite:///{root / 'src.db'}"
        fill_s, _ = _timed(lambda: _fill(src, runs, points))
        forget_stores()
        print(
            f"{runs} runs x {points:,} points ({runs * points:,} points), filled in {fill_s:.1f} s"
        )
        archive = root / "runs.nbtrack"
        export_s, done = _timed(lambda: export_runs(src, archive))
        assert done.points == runs * points
        dst = f"sqlite:///{root / 'dst.db'}"
        import_s, loaded = _timed(lambda: import_archive(archive, dst))
        assert loaded.points == runs * points
        again_s, _ = _timed(lambda: import_archive(archive, dst))

        dump = root / "src.sql"
        sqlite3 = shutil.which("sqlite3")
        dump_s = restore_s = None
        if sqlite3:

            def dump_it() -> None:
                cmd = [sqlite3, str(root / "src.db"), ".dump"]
                dump.write_bytes(subprocess.run(cmd, capture_output=True, check=True).stdout)

            def restore_it() -> None:
                cmd = [sqlite3, str(root / "restored.db")]
                subprocess.run(cmd, input=dump.read_bytes(), check=True)

            dump_s, _ = _timed(dump_it)
            restore_s, _ = _timed(restore_it)

        print()
        _row("figure", "measured", "target")
        _row("export (SQLite -> archive)", f"{export_s:.2f} s")
        _row("import (archive -> new SQLite)", f"{import_s:.2f} s")
        _row("import again (nothing new)", f"{again_s:.2f} s")
        _row("points per second, export + import", f"{runs * points / (export_s + import_s):,.0f}")
        _row("archive size", f"{archive.stat().st_size / 1e6:.1f} MB")
        _row("SQLite file size", f"{(root / 'src.db').stat().st_size / 1e6:.1f} MB")
        if dump_s is not None and restore_s is not None:
            ours, floor = export_s + import_s, dump_s + restore_s
            _row("sqlite3 .dump", f"{dump_s:.2f} s")
            _row("sqlite3 restore of the dump", f"{restore_s:.2f} s")
            _row("dump size", f"{dump.stat().st_size / 1e6:.1f} MB")
            _row(
                "export+import vs dump+restore", f"{ours / floor:.2f}x", "<= 3x", ours <= 3 * floor
            )
        if args.pg:
            pg_s, _ = _timed(lambda: import_archive(archive, args.pg))
            _row("import (archive -> PostgreSQL)", f"{pg_s:.2f} s")
        os.chdir("/")


if __name__ == "__main__":
    main()
