"""Helpers for ``torchrun`` / DistributedDataParallel training.

``torchrun --nproc_per_node=N`` starts N processes and sets ``RANK``, ``LOCAL_RANK``,
``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` in each; :func:`init_distributed`
reads them and joins the process group (NCCL on GPU, gloo on CPU). Without those
variables everything here degrades to single-process behaviour (rank 0 of 1).
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

from ..utils import logger


def is_distributed():
    """Whether a process group with more than one process is active."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def get_rank():
    """Global rank of this process (0 when not distributed)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def get_world_size():
    """Number of processes (1 when not distributed)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def get_local_rank():
    """Rank of this process on its node (``LOCAL_RANK`` set by torchrun, else 0)."""
    return int(os.environ.get("LOCAL_RANK", 0))


def is_main_process():
    """True on rank 0, the only rank that writes files."""
    return get_rank() == 0


def launched_by_torchrun():
    """Whether the environment of a torchrun worker is present."""
    return all(key in os.environ for key in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"))


def init_distributed(backend=None, device=None):
    """Join the process group described by torchrun's environment variables.

    Parameters
    ----------
    backend : str | None
        ``"nccl"`` or ``"gloo"``; ``None`` picks NCCL when CUDA is available and the
        device is not CPU, else gloo.
    device : str | torch.device | None
        The requested training device; ``None`` means CUDA when available.

    Returns
    -------
    device : torch.device
        The device of this rank (``cuda:LOCAL_RANK`` on GPU nodes).
    started : bool
        True when this call created the process group (the caller should then call
        :func:`cleanup_distributed` at the end).
    """
    use_cuda = torch.cuda.is_available() and (
        device is None or torch.device(device).type == "cuda"
    )
    if use_cuda:
        local_device = torch.device("cuda", get_local_rank())
        torch.cuda.set_device(local_device)
    else:
        local_device = torch.device("cpu" if device is None else device)
    if not launched_by_torchrun() or (dist.is_initialized()):
        return local_device, False
    if backend is None:
        backend = "nccl" if use_cuda else "gloo"
    dist.init_process_group(backend=backend)
    logger.info(
        "Joined process group: rank %d of %d (backend %s, device %s)",
        get_rank(),
        get_world_size(),
        backend,
        local_device,
    )
    return local_device, True


def cleanup_distributed():
    """Leave the process group if one is active."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier():
    """Wait for all ranks (no-op when not distributed)."""
    if is_distributed():
        dist.barrier()


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward sums every rank's gradient into the owning rank.

    Hand-written because torch's differentiable ``torch.distributed.nn.functional
    .all_gather`` is deprecated and its replacement lives in a private module.
    """

    @staticmethod
    def forward(ctx, tensor):
        ctx.batch_size = tensor.shape[0]
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor)
        return torch.cat(parts, dim=0)  # W x (B, ...) -> (W * B, ...)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)  # d(sum of all ranks' losses)
        start = dist.get_rank() * ctx.batch_size
        return grad[start : start + ctx.batch_size]


def all_gather_with_grad(tensor):
    """Concatenate ``tensor`` from all ranks along dim 0, gradients flowing back.

    The backward pass sums the gradients that every rank's loss sends to a row and
    returns them to the rank that owns the row. Each rank's loss thus trains every
    rank's encoder, and after DDP averages the gradients, ranks of batch B train as
    one process with batch W*B.

    Parameters
    ----------
    tensor : Tensor, shape (B, ...)
        Same shape on every rank.

    Returns
    -------
    gathered : Tensor, shape (world_size * B, ...)
        Rank r's rows are at ``r * B : (r + 1) * B``; unchanged when single-process.
    """
    if not is_distributed():
        return tensor
    sizes = all_gather_object(tuple(tensor.shape)) if _check_shapes() else None
    if sizes is not None and len(set(sizes)) > 1:
        raise ValueError(
            f"all_gather_with_grad needs the same shape on every rank; got {sizes}. Use "
            f"drop_last=True so every rank's batch has the same size."
        )
    return _GatherWithGrad.apply(tensor.contiguous())


def _check_shapes():
    """Shape checks cost a collective; only in debug mode (TORCH_DISTRIBUTED_DEBUG set)."""
    return os.environ.get("TORCH_DISTRIBUTED_DEBUG", "OFF").upper() != "OFF"


def all_reduce_mean(value):
    """Mean of a float (or tensor) over ranks, for logging; unchanged when single-process."""
    if not is_distributed():
        return value
    tensor = torch.as_tensor(value, dtype=torch.float64).clone()
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    tensor = tensor / get_world_size()
    return tensor.item() if tensor.ndim == 0 else tensor.cpu()


def all_gather_object(obj):
    """List of ``obj`` from every rank (``[obj]`` when single-process)."""
    if not is_distributed():
        return [obj]
    out = [None] * get_world_size()
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj, src=0):
    """``obj`` of rank ``src`` on every rank."""
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


__all__ = [
    "all_gather_object",
    "all_gather_with_grad",
    "all_reduce_mean",
    "barrier",
    "broadcast_object",
    "cleanup_distributed",
    "get_local_rank",
    "get_rank",
    "get_world_size",
    "init_distributed",
    "is_distributed",
    "is_main_process",
    "launched_by_torchrun",
]
