"""A minimal pretraining loop: AdamW, epochs, tqdm, checkpoint at the end."""

from __future__ import annotations

import time

import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..utils import logger, torch_generator
from ..utils.logs import progress_enabled
from .checkpoint import save_checkpoint


def default_device(device=None):
    """``device`` if given, else ``"cuda"`` when available, else ``"cpu"``."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pretrain(
    method,
    dataset,
    *,
    epochs=10,
    batch_size=128,
    lr=1e-3,
    weight_decay=1e-4,
    num_workers=0,
    device=None,
    checkpoint=None,
    checkpoint_extra=None,
    random_state=None,
    verbose=None,
):
    """Pretrain ``method`` on the windows of ``dataset``.

    Parameters
    ----------
    method : SSLMethod
        Its ``forward`` maps a batch of windows (B, C, T) to a scalar loss.
    dataset : torch Dataset
        Items are windows or ``(window, label)`` tuples; labels are ignored.
    epochs, batch_size, lr, weight_decay
        Optimisation settings (AdamW).
    num_workers : int
        DataLoader worker processes.
    device : str | None
        ``None`` picks CUDA when available.
    checkpoint : str | Path | None
        Where to save the final checkpoint.
    checkpoint_extra : dict | None
        Plain data stored with the checkpoint (e.g. the data recipe).
    random_state : int | None
        Seed of the shuffling order.
    verbose : bool | str | None
        Progress bar and log level.

    Returns
    -------
    history : list of dict
        One entry per epoch: ``epoch``, ``loss`` (mean), ``seconds``.
    """
    if len(dataset) < 2:
        raise ValueError(f"Pretraining needs at least 2 windows; the dataset has {len(dataset)}.")
    device = default_device(device)
    method.to(device)
    dataset = method.wrap_dataset(dataset)
    batch_size = min(batch_size, len(dataset))
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=num_workers,
        generator=torch_generator(random_state),
        persistent_workers=num_workers > 0,
    )
    optimizer = torch.optim.AdamW(method.parameters(), lr=lr, weight_decay=weight_decay)
    total = epochs * len(loader)
    history, step = [], 0
    bar = tqdm(total=total, desc=f"pretrain {method.name}", unit="step",
               disable=not progress_enabled(verbose))  # fmt: skip
    method.train()
    for epoch in range(epochs):
        start, losses = time.perf_counter(), []
        for batch in loader:
            X = batch[0] if isinstance(batch, (list, tuple)) else batch
            loss = method(_to_device(X, device))
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"Non-finite loss {loss.item()} at epoch {epoch}, step {step}; lower 'lr' "
                    f"or check the data for extreme values."
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            method.on_train_step_end(step, total)
            losses.append(loss.item())
            step += 1
            bar.update()
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
        record = dict(epoch=epoch, loss=sum(losses) / len(losses), seconds=time.perf_counter() - start)
        history.append(record)
        logger.debug("epoch %d: loss %.4f (%.1f s)", epoch, record["loss"], record["seconds"])
    bar.close()
    method.eval()
    if checkpoint is not None:
        save_checkpoint(checkpoint, method, extra=dict(checkpoint_extra or {}, history=history))
    return history


def _to_device(X, device):
    """Move a tensor, or a tuple/list of tensors, to ``device``."""
    if isinstance(X, (list, tuple)):
        return type(X)(_to_device(x, device) for x in X)
    return X.to(device, non_blocking=True)
