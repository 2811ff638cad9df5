"""The data sampler of the training engine: distributed, grouped, resumable mid-epoch."""

from __future__ import annotations

import numpy as np
from torch.utils.data import DistributedSampler


class ResumableSampler(DistributedSampler):
    """:class:`~torch.utils.data.DistributedSampler` that can start mid-epoch.

    The order of epoch ``e`` depends only on ``(seed, e)`` (torch's DistributedSampler
    rule), so the data position of a run is just ``(epoch, batch index)``; after
    :meth:`skip` the next epoch's iteration starts that many samples in.

    With ``groups`` (one label per item, e.g. the subject of each window), an epoch
    visits the groups in random order and the items of each group in random order, so
    a batch holds the items of one or two groups; ranks take alternate items of that
    order, so they walk through the same groups.
    """

    def __init__(self, dataset, num_replicas, rank, seed, groups=None):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True,
                         seed=seed, drop_last=True)  # fmt: skip
        self.groups = None if groups is None else np.unique(groups, return_inverse=True)[1]
        self._start = 0

    def skip(self, n_samples):
        self._start = int(n_samples)

    def _grouped_order(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        group_position = rng.permutation(self.groups.max() + 1)[self.groups]
        return np.lexsort((rng.random(len(self.groups)), group_position))

    def __iter__(self):
        if self.groups is None:
            indices = list(super().__iter__())
        else:
            order = self._grouped_order()[: self.total_size]
            indices = order[self.rank : self.total_size : self.num_replicas].tolist()
        indices = indices[self._start :]
        self._start = 0
        return iter(indices)

    def __len__(self):
        return self.num_samples - self._start
