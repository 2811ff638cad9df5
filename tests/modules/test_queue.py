"""The key queue of MoCo: FIFO order with wrap-around, state in buffers."""

import collections

import pytest
import torch

from eeg_ssl.modules import KeyQueue


@pytest.mark.parametrize(
    "size, batches", [(10, [4, 4, 4, 4, 3]), (7, [3, 5, 2, 9, 1]), (6, [6, 6])]
)
def test_key_queue__fifo_order_with_wrap_around(size, batches):
    """After any batch sizes, row (ptr - 1 - i) % K holds the i-th newest key, as a deque."""
    queue = KeyQueue(size, 3, random_state=0)
    reference = collections.deque(queue.queue.clone().unbind(0), maxlen=size)  # oldest first
    counter = 0
    for n in batches:
        keys = torch.arange(counter, counter + n, dtype=torch.float32)[:, None].repeat(1, 3)
        counter += n
        queue.enqueue(keys)
        reference.extend(keys.unbind(0))
        ptr = int(queue.ptr)
        assert ptr == counter % size
        newest_first = [queue.queue[(ptr - 1 - i) % size] for i in range(size)]
        for got, want in zip(newest_first, reversed(reference)):
            torch.testing.assert_close(got, want)


def test_key_queue__state_dict_round_trip():
    queue = KeyQueue(5, 2, random_state=1)
    queue.enqueue(torch.ones(3, 2))
    other = KeyQueue(5, 2, random_state=2)
    other.load_state_dict(queue.state_dict())
    torch.testing.assert_close(other.queue, queue.queue)
    assert int(other.ptr) == 3


def test_key_queue__bad_input():
    with pytest.raises(ValueError, match="'size'"):
        KeyQueue(0, 3)
    with pytest.raises(ValueError, match=r"keys must be \(N, 3\); got \(2, 4\)"):
        KeyQueue(4, 3).enqueue(torch.zeros(2, 4))


def test_key_queue__more_keys_than_size_keeps_newest():
    queue = KeyQueue(4, 1, random_state=0)
    queue.enqueue(torch.arange(10, dtype=torch.float32)[:, None])
    assert sorted(queue.queue.squeeze(1).tolist()) == [6.0, 7.0, 8.0, 9.0]
    assert int(queue.ptr) == 10 % 4


def test_key_queue__initial_keys_unit_norm_and_seeded():
    a, b = KeyQueue(16, 8, random_state=3), KeyQueue(16, 8, random_state=3)
    torch.testing.assert_close(a.queue, b.queue)
    torch.testing.assert_close(a.queue.norm(dim=1), torch.ones(16))
    copy = a()
    a.enqueue(torch.zeros(2, 8))
    assert copy.norm(dim=1).min() > 0.99  # forward() returns a copy, unaffected by enqueue
