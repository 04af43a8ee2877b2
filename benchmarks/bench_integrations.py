"""Framework integration overhead: what recording costs a training, beside the
training without nbtrack. No target is set by the issue; the figures say what
a user pays (a fresh project in a temp folder, SQLite store).

    python benchmarks/bench_integrations.py

- `autolog()` itself (patching the estimator classes loaded so far);
- `FITS` `LogisticRegression.fit` calls on iris with and without autolog
  (each autologged fit is a run of its own: create, params, score, end);
- a Lightning fit of 2 epochs x 8 steps with `nbtrack.lightning.Logger()`
  against Lightning's own `CSVLogger`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

FITS = 20


def _timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sklearn_figures() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import nbtrack

    X, y = load_iris(return_X_y=True)

    def fits() -> None:
        for _ in range(FITS):
            LogisticRegression(max_iter=300).fit(X, y)

    LogisticRegression(max_iter=300).fit(X, y)  # warm-up (imports, BLAS threads)
    plain = _timed(fits, 1)
    start = time.perf_counter()
    nbtrack.sklearn.autolog()
    patch = time.perf_counter() - start
    logged = _timed(fits, 1)
    nbtrack.sklearn.autolog(disable=True)
    print(f"sklearn: autolog() {patch * 1000:.0f} ms")
    print(
        f"sklearn: {FITS} fits {plain:.2f} s plain, {logged:.2f} s autologged "
        f"({(logged - plain) / FITS * 1000:.1f} ms per fit, each its own run)"
    )


def lightning_figures(root: Path) -> None:
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.loggers import CSVLogger
    from torch import nn

    import nbtrack

    class Tiny(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Linear(4, 1)

        def training_step(self, batch, index):
            x, y = batch
            loss = nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.05)

    x = torch.randn(32, 4)
    pairs = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    data = torch.utils.data.DataLoader(pairs, batch_size=4)

    def fit(logger) -> float:
        trainer = pl.Trainer(
            max_epochs=2,
            logger=logger,
            log_every_n_steps=1,
            enable_progress_bar=False,
            enable_model_summary=False,
            enable_checkpointing=False,
            accelerator="cpu",
            default_root_dir=str(root),
        )
        start = time.perf_counter()
        trainer.fit(Tiny(), data)
        return time.perf_counter() - start

    fit(CSVLogger(str(root)))  # warm-up
    csv = fit(CSVLogger(str(root)))
    ours = fit(nbtrack.lightning.Logger())
    print(f"lightning: 16-step fit {csv:.2f} s with CSVLogger, {ours:.2f} s with nbtrack Logger")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        subprocess.run(["git", "init", "-q"], check=True)
        sklearn_figures()
        lightning_figures(Path(folder))


if __name__ == "__main__":
    main()
