"""The engine's monitor pass: embeddings of a fixed set of windows at the end of an epoch.

See :mod:`eeg_ssl.training.monitors` for the measures themselves.
"""

from __future__ import annotations

import numpy as np
import torch

from . import monitors as measures


class MonitorMixin:
    """The monitors of :class:`~eeg_ssl.training.engine.Engine` (run on rank 0)."""

    def _monitor_data(self):
        if self.monitor_set is not None:
            return self.monitor_set
        source = self.kw["val_dataset"] if self.kw["val_dataset"] is not None else self.raw_dataset
        labelled = self.kw["val_dataset"] is not None
        n = len(source)
        size = min(self.kw["monitor_size"], n)
        rng = np.random.default_rng(self.seed)
        idx = np.sort(rng.choice(n, size, replace=False)) if size < n else np.arange(n)
        items = [source[int(i)] for i in idx]
        if isinstance(items[0], (list, tuple)):
            X = torch.stack([torch.as_tensor(it[0]) for it in items])
            y = np.array([int(it[1]) for it in items]) if labelled and len(items[0]) > 1 else None
        else:
            X, y = torch.stack([torch.as_tensor(it) for it in items]), None
        groups = getattr(source, "groups", None)
        groups = np.asarray(groups)[idx] if groups is not None and y is not None else None
        if y is not None:
            keep = y >= 0
            y, groups = y[keep], (groups[keep] if groups is not None else None)
            X_lab = X[torch.as_tensor(keep)]
        else:
            X_lab = None
        self.monitor_set = (X, X_lab, y, groups)
        return self.monitor_set

    @torch.no_grad()
    def _monitors(self):
        X, X_lab, y, groups = self._monitor_data()
        method = self.method
        was_training = method.training
        rng_state = [s.clone() for s in method.rng_state()]  # monitors must not shift training RNG
        method.eval()
        bs = self.batch_size

        def embed(data):
            # (N, C, T) -> (N, D) in batches
            return torch.cat([method.embed(data[i : i + bs].to(self.device)).float().cpu()
                              for i in range(0, len(data), bs)])  # fmt: skip

        try:
            emb = embed(X)
            out = dict(embedding_std=measures.embedding_std(emb),
                       effective_rank=measures.effective_rank(emb),
                       uniformity=measures.uniformity(emb), alignment=float("nan"),
                       knn_balanced_accuracy=float("nan"))  # fmt: skip
            views = getattr(method, "views", None)
            if callable(views):
                va, vb = [], []
                for i in range(0, len(X), bs):
                    pair = views(X[i : i + bs].to(self.device))
                    va.append(method.embed(pair[0]).float().cpu())
                    vb.append(method.embed(pair[1]).float().cpu())
                out["alignment"] = measures.alignment(torch.cat(va), torch.cat(vb))
            if y is not None and len(y) >= 4:
                out["knn_balanced_accuracy"] = measures.knn_accuracy(embed(X_lab), y, groups)
        finally:
            method.set_rng_state(rng_state)
            method.train(was_training)
        collapsed, reason = measures.collapse_status(
            out["embedding_std"], out["effective_rank"], emb.shape[1],
            std_ratio=self.kw["collapse_std_ratio"], min_rank=self.kw["collapse_min_rank"],
        )  # fmt: skip
        return out, collapsed, reason
