"""A streaming dataset over prepared shards: contiguous block reads + a shuffle buffer."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from ..utils import check_random_state
from .dataset import ShardDataset


def rank_and_world():
    """``(rank, world_size)`` of torch.distributed when initialised, else ``(0, 1)``."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


# NumPy requests transparent huge pages (madvise) for allocations of at least 4 MiB
_HUGE_PAGE_ARRAY = 4 << 20


class _BufferPool:
    """Batch arrays recycled once no consumer references them any more.

    Fresh memory costs a page fault per page on first write (in a VM, as much as the
    read itself); recycling a few arrays keeps the stream's reads on warm memory.
    Hand-written because torch's ``DataLoader`` has no hook for the producer's memory.
    An array is reused only when its reference count shows that the pool alone holds
    it (every tensor made by ``torch.from_numpy`` holds a reference to its array), so a
    batch kept by the caller is never overwritten.
    """

    def __init__(self, shape, size):
        self.shape, self.size = tuple(shape), int(size)
        self.arrays = [np.empty(0, dtype=np.float32)]
        self.free_refs = self._refs(0)  # count when only the pool holds an array
        self.arrays = []
        self.views = []

    def _refs(self, i):
        return sys.getrefcount(self.arrays[i])

    def take(self):
        """A free array, its row views, and whether it is new.

        The array has ``shape`` (float32, contents undefined). A new array's pages are
        not touched yet: the caller should ``fill`` it when it is backed by small pages
        (faulting them in from user space is cheaper than inside the kernel's copy). The
        row views of a pooled array are made once; each holds a reference to the array,
        which the free test allows for.
        """
        for i in range(len(self.arrays)):
            if self._refs(i) == self.free_refs + len(self.views[i]):
                return self.arrays[i], self.views[i], False
        array = np.empty(self.shape, dtype=np.float32)
        views = list(array)
        if len(self.arrays) < self.size:
            self.arrays.append(array)
            self.views.append(views)
        return array, views, True


def _read_all(reads):
    """Run ``(reader, first_row, rows_out)`` reads in order."""
    for reader, first_row, rows_out in reads:
        reader.read_into(first_row, rows_out)


class ShardStream(IterableDataset):
    """Shuffled stream of windows read in contiguous blocks (fast sequential HDF5 reads).

    Each pass cuts every shard's selected rows into blocks of ``block_size`` consecutive
    windows, shuffles the blocks, deals them to DDP ranks (``torch.distributed``) and
    then to ``DataLoader`` workers, reads ``buffer_blocks`` blocks at a time, shuffles
    the windows inside that buffer and yields them (or whole batches).

    Parameters
    ----------
    root : str | Path
        A prepared folder.
    batch_size : int | None
        Yield ``(X, y)`` batches of shape (batch_size, n_chans, n_times) (use
        ``DataLoader(stream, batch_size=None)``); ``None`` yields single windows.
    block_size : int
        Consecutive windows per read.
    buffer_blocks : int
        Blocks held in the shuffle buffer (memory: ``buffer_blocks * block_size`` windows).
    shuffle : bool
        Shuffle blocks and windows; ``False`` streams in manifest order.
    drop_last : bool
        Drop a last incomplete batch.
    random_state : int | None
        Seed; pass ``set_epoch(epoch)`` to vary the order across epochs.
    read_threads : int | None
        Threads that read a buffer's blocks concurrently (``os.preadv`` releases the
        GIL, so copies from the page cache run in parallel). ``None``: 2 on a machine
        with at least 2 CPUs in the main process, 1 inside a ``DataLoader`` worker
        (the workers already read in parallel). The order of windows does not depend on
        it.
    **kwargs
        Row selection as in :class:`ShardDataset` (``subjects``, ``labelled_only``,
        ``classes``).
    """

    def __init__(self, root, *, batch_size=None, block_size=32, buffer_blocks=16, shuffle=True,
                 drop_last=False, random_state=None, read_threads=None, **kwargs):  # fmt: skip
        super().__init__()
        self.base = ShardDataset(root, **kwargs)
        self.root = Path(root)
        self.batch_size = batch_size
        self.block_size = int(block_size)
        self.buffer_blocks = int(buffer_blocks)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.random_state = random_state
        self.read_threads = read_threads
        self.epoch = 0
        self._pool = None  # (pid, _BufferPool): recycled batch arrays of this process
        self._executor = None  # (pid, ThreadPoolExecutor) of this process
        if self.block_size < 1 or self.buffer_blocks < 1:
            raise ValueError(
                f"'block_size' and 'buffer_blocks' must be >= 1; got {block_size!r}, "
                f"{buffer_blocks!r}."
            )
        if read_threads is not None and (not isinstance(read_threads, int) or read_threads < 1):
            raise ValueError(f"'read_threads' must be None or an int >= 1; got {read_threads!r}.")

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_pool"] = None  # arrays stay in their process
        state["_executor"] = None  # threads too
        return state

    def _n_threads(self):
        if self.read_threads is not None:
            return self.read_threads
        if get_worker_info() is not None:
            return 1
        return min(2, os.cpu_count() or 1)

    def _reader_threads(self, n_threads):
        """This process's read threads (``None`` for 1: read in the calling thread)."""
        if n_threads < 2:
            return None
        pid = os.getpid()
        if self._executor is None or self._executor[0] != pid:
            self._executor = (
                pid,
                ThreadPoolExecutor(n_threads, thread_name_prefix="eeg-ssl-read"),
            )
        return self._executor[1]

    def _batch_pool(self, shape, capacity):
        pid = os.getpid()
        if self._pool is None or self._pool[0] != pid or self._pool[1].shape != shape:
            # a buffer's batches + the one the consumer holds (a consumer that keeps more
            # gets fresh arrays, not pooled ones)
            self._pool = (pid, _BufferPool(shape, -(-capacity // shape[0]) + 1))
        return self._pool[1]

    def set_epoch(self, epoch):
        """Use a different (but reproducible) order for ``epoch``."""
        self.epoch = int(epoch)

    @property
    def classes(self):
        return self.base.classes

    def _blocks(self):
        """Blocks ``(first_pos, stop_pos)``: runs of <= block_size consecutive rows of a shard."""
        shards, rows = self.base._shard_codes, self.base._rows
        if len(rows) == 0:
            return []
        # a new run starts where the shard changes or the row does not follow
        new_run = np.ones(len(rows), dtype=bool)
        new_run[1:] = (shards[1:] != shards[:-1]) | (np.diff(rows) != 1)
        run_start = np.flatnonzero(new_run)
        run_stop = np.append(run_start[1:], len(rows))
        blocks = []
        for start, stop in zip(run_start.tolist(), run_stop.tolist()):
            blocks.extend((s, min(s + self.block_size, stop))
                          for s in range(start, stop, self.block_size))  # fmt: skip
        return blocks

    def _my_blocks(self):
        blocks = self._blocks()
        seed = None if self.random_state is None else (int(self.random_state) + self.epoch)
        rng = check_random_state(seed)
        if self.shuffle:
            blocks = [blocks[i] for i in rng.permutation(len(blocks))]
        rank, world = rank_and_world()
        worker = get_worker_info()
        n_workers, worker_id = (1, 0) if worker is None else (worker.num_workers, worker.id)
        # rank-major deal: rank r gets blocks r, r+world, ...; then its workers split those
        mine = blocks[rank::world][worker_id::n_workers]
        return mine, rng

    def __len__(self):
        rank, world = rank_and_world()
        n = sum(e - s for s, e in self._blocks()[rank::world])
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _buffers(self, blocks):
        """Group blocks into buffers of about ``buffer_blocks * block_size`` windows.

        With a ``batch_size``, buffers hold a whole number of batches: the last block of
        a buffer is split and its remainder starts the next buffer, so no window is
        copied twice. Yields lists of ``(first_pos, stop_pos)`` manifest positions.
        """
        capacity = self.buffer_blocks * self.block_size
        if self.batch_size is not None:
            capacity = max(1, round(capacity / self.batch_size)) * self.batch_size
        current, size = [], 0
        for start, stop in blocks:
            while start < stop:
                take = min(stop - start, capacity - size)
                current.append((start, start + take))
                size += take
                start += take
                if size == capacity:
                    yield current
                    current, size = [], 0
        if current:
            yield current

    def _fill(self, group, rng, pool, shape, threads=None, n_threads=1):
        """Read one shuffle buffer: ``(batches, labels)`` in shuffled order."""
        base, batch = self.base, self.batch_size or 1
        n = sum(e - s for s, e in group)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        # window j of the buffer goes to row slot[j] of the buffer's output; each block is
        # read by one scatter read straight into its windows' rows (one copy from the page
        # cache, no intermediate buffer). Batches are separate arrays of batch_size rows,
        # recycled from the pool once the consumer has dropped them (the pool keeps each
        # array's row views and allows for their references; the views of an array
        # outside the pool die with this call, so they never pin a batch).
        slot = np.empty(n, dtype=np.int64)
        slot[order] = np.arange(n)
        outs, fresh, rows = [], [], []
        for i in range(0, n, batch):
            if n - i >= batch:
                array, views, new = pool.take()
                rows.extend(views)
            else:
                array, new = np.empty((n - i,) + shape, dtype=np.float32), True
                rows.extend(array)
            outs.append(array)
            if new:
                fresh.append(array)
        # first touch of new arrays (ndarray.fill releases the GIL: threads fault in parallel).
        # Arrays of 4 MiB or more are left to the reads: NumPy asks the kernel for
        # transparent huge pages there, so a read faults one page per 2 MiB, and touching
        # them first only adds a pass over the memory (measured together with the pool
        # size below, batch 256: first pass 108,000 vs 96,000 windows/s, median of 10
        # fresh processes each, alternating)
        fresh = [array for array in fresh if array.nbytes < _HUGE_PAGE_ARRAY]
        if threads is None:
            for array in fresh:
                array.fill(0)
        else:
            list(threads.map(np.ndarray.fill, fresh, [0] * len(fresh)))
        out_y = np.empty(n, dtype=np.int64)
        pos, reads = 0, []
        for s, e in group:
            dest = slot[pos : pos + e - s].tolist()
            rows_out = [rows[k] for k in dest]  # views made once per pooled array
            # readers are created here, in the calling thread; the reads may run in threads
            reads.append((base._reader(base._shard_of(s)), int(base._rows[s]), rows_out))
            out_y[dest] = base.targets[s:e]
            pos += e - s
        if threads is None:
            _read_all(reads)
        else:  # blocks write disjoint rows, so they can be read in any order
            # one task per thread, not per block: a task costs about as much as a read
            # of a few windows (measured together with the pooled row views: second pass
            # 187,000 -> 213,000 windows/s, median of 20 alternating fresh processes)
            chunks = [reads[i::n_threads] for i in range(n_threads)]
            for _ in threads.map(_read_all, chunks):
                pass  # re-raises a read error here
        return outs, out_y

    def __iter__(self):
        blocks, rng = self._my_blocks()
        shape = tuple(self.base.shape)  # (C, T)
        batch = self.batch_size or 1
        capacity = self.buffer_blocks * self.block_size
        pool = self._batch_pool((batch,) + shape, max(capacity, batch))
        n_threads = self._n_threads()
        threads = self._reader_threads(n_threads)
        for group in self._buffers(blocks):
            x = None  # drop our reference to the last batch before taking from the pool
            outs, out_y = self._fill(group, rng, pool, shape, threads, n_threads)
            if self.batch_size is None:
                for i in range(len(outs)):
                    x, outs[i] = outs[i], None
                    yield torch.from_numpy(x[0]), int(out_y[i])
                continue
            for i in range(len(outs)):
                x, outs[i] = outs[i], None  # the consumer owns the batch now
                if self.drop_last and len(x) < batch:
                    break
                yield torch.from_numpy(x), torch.from_numpy(out_y[i * batch : i * batch + len(x)])
