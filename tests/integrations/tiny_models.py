"""Tiny models and data for the framework integration tests (CPU, seconds)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3 over the installed PyTorch
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may come from the hub

HUB_TOKEN = "hf_nbtrackTestSecret0123456789"


def stored_bytes(project: Path) -> bytes:
    """Every byte nbtrack wrote under the project (the SQLite store, its WAL,
    artifacts, journals)."""
    return b"".join(p.read_bytes() for p in sorted(project.rglob("*")) if p.is_file())


def lightning_module(fail_at: int | None = None) -> Any:
    import torch

    torch.manual_seed(0)
    return _lightning_class()(fail_at=fail_at)


def _lightning_class() -> Any:
    """Tiny, defined at this module's top level on first use (so that a logged
    checkpoint loads back by the class's import path), without importing
    Lightning when this module is imported."""
    global Tiny
    if "Tiny" in globals():
        return Tiny
    import lightning.pytorch as pl
    import torch
    from torch import nn

    class Tiny(pl.LightningModule):  # type: ignore[no-redef]
        def __init__(self, lr: float = 0.05, hidden: int = 8, fail_at: int | None = None):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 1))

        def training_step(self, batch: Any, index: int) -> Any:
            if self.hparams.fail_at is not None and self.global_step >= self.hparams.fail_at:
                raise RuntimeError(f"diverged at step {self.global_step}")
            x, y = batch
            loss = nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def test_step(self, batch: Any, index: int) -> Any:
            x, y = batch
            self.log("test_loss", nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    Tiny.__qualname__ = "Tiny"
    Tiny.__module__ = __name__
    return Tiny


def lightning_data() -> Any:
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=g)
    data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    return torch.utils.data.DataLoader(data, batch_size=4)  # 8 steps an epoch


def lightning_trainer(logger: Any, root: Path, epochs: int = 2) -> Any:
    import lightning.pytorch as pl

    return pl.Trainer(
        max_epochs=epochs,
        logger=logger,
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        default_root_dir=str(root),
    )


def keras_model() -> Any:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def keras_data() -> tuple[Any, Any]:
    import numpy as np

    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    return x, x.sum(1, keepdims=True)


def bert_trainer(callback: Any, output: Path, fail_at_read: int | None = None) -> Any:
    """A 1-layer BERT on random tokens, 4 steps an epoch for 2 epochs; with
    `fail_at_read`, reading that many examples (counted from 1) raises."""
    import torch
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        Trainer,
        TrainingArguments,
    )

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
    )

    reads = [0]

    class Random(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 16  # 4 steps an epoch at batch size 4

        def __getitem__(self, i: int) -> dict[str, Any]:
            reads[0] += 1
            if reads[0] == fail_at_read:
                raise RuntimeError(f"corrupt example at read {reads[0]}")
            g = torch.Generator().manual_seed(i)
            ids = torch.randint(0, 50, (8,), generator=g)
            return {"input_ids": ids, "labels": torch.tensor(i % 2)}

    args = TrainingArguments(
        output_dir=str(output),
        per_device_train_batch_size=4,
        num_train_epochs=2,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        hub_token=HUB_TOKEN,
        use_cpu=True,
        learning_rate=1e-3,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    return Trainer(
        model=BertForSequenceClassification(config),
        args=args,
        train_dataset=Random(),
        callbacks=[callback],
    )
