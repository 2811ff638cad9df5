"""Micro-benchmark: eeg-ssl losses against lightly's counterparts (forward + backward).

Usage::

    python pipelines/bench_losses.py [--batch-size 256] [--dim 128] [--repeats 50]

Both implementations get the same inputs; their timings are interleaved (ours, then
lightly's, per repeat) so machine load affects both alike. Prints the median time of
each and the ratio ours / lightly (< 1 means eeg-ssl is faster), plus the largest
absolute difference of the loss values as a correctness check.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings

import torch


def _cases(batch_size, dim):
    from lightly import loss as L

    from eeg_ssl import losses as E

    neg_cos = L.NegativeCosineSimilarity()
    lightly_ntxent, lightly_swav = L.NTXentLoss(temperature=0.1), L.SwaVLoss(temperature=0.1)
    lightly_vicreg, lightly_barlow = L.VICRegLoss(), L.BarlowTwinsLoss(lambda_param=5e-3)
    return {
        # name: (n_inputs, ours(*inputs), lightly(*inputs))
        "NT-Xent": (2, lambda a, b: E.nt_xent_loss(a, b, 0.1), lightly_ntxent),
        "SwAV (2 views, 128 prototypes)": (
            2,
            lambda a, b: E.swav_loss([a, b], temperature=0.1),
            lambda a, b: lightly_swav([a, b], []).sum(),
        ),
        "VICReg": (2, lambda a, b: E.vicreg_loss(a, b), lightly_vicreg),
        "Barlow Twins": (2, lambda a, b: E.barlow_twins_loss(a, b, 5e-3), lightly_barlow),
        "negative cosine (BYOL, symmetric)": (
            4,
            E.byol_loss,
            lambda pa, pb, za, zb: 0.5 * (neg_cos(pa, zb.detach()) + neg_cos(pb, za.detach())),
        ),
    }


def _time(fn, inputs):
    for x in inputs:
        x.grad = None
    start = time.perf_counter()
    loss = fn(*inputs)
    loss.backward()
    return time.perf_counter() - start, loss.item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    # braindecode (imported by eeg_ssl) warns at import about an MNE montage name
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    import lightly

    print(f"batch {args.batch_size}, dim {args.dim}, CPU ({platform.processor() or 'cpu'}), "
          f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, "
          f"lightly {lightly.__version__}, median of {args.repeats} forward+backward")  # fmt: skip
    gen = torch.Generator().manual_seed(0)
    header = f"{'loss':36s} {'eeg-ssl ms':>11s} {'lightly ms':>11s} {'ratio':>7s} {'|diff|':>9s}"
    print(header)
    print("-" * len(header))
    for name, (n_inputs, ours, theirs) in _cases(args.batch_size, args.dim).items():
        inputs = [torch.randn(args.batch_size, args.dim, generator=gen).requires_grad_(True)
                  for _ in range(n_inputs)]  # fmt: skip
        if name.startswith("SwAV"):  # prototype scores are cosines in [-1, 1]
            inputs = [(x.detach() / x.detach().norm(dim=1, keepdim=True)).requires_grad_(True)
                      for x in inputs]  # fmt: skip
        for _ in range(args.warmup):
            _time(ours, inputs)
            _time(theirs, inputs)
        t_ours, t_theirs = [], []
        for _ in range(args.repeats):
            t, v_ours = _time(ours, inputs)
            t_ours.append(t)
            t, v_theirs = _time(theirs, inputs)
            t_theirs.append(t)
        m_ours, m_theirs = statistics.median(t_ours), statistics.median(t_theirs)
        print(f"{name:36s} {1e3 * m_ours:11.3f} {1e3 * m_theirs:11.3f} "
              f"{m_ours / m_theirs:7.2f} {abs(v_ours - v_theirs):9.2e}")  # fmt: skip


if __name__ == "__main__":
    main()
