"""Argument checks and seeding helpers (torch imported lazily inside them)."""

import numpy as np
import pytest
import torch

from eeg_ssl.utils import check_option, check_random_state, seeded, torch_generator


def test_check_option__suggests_the_closest_value():
    assert check_option("engine", "fast", ["mne", "fast"]) == "fast"
    with pytest.raises(ValueError, match="Did you mean 'fast'"):
        check_option("engine", "fats", ["mne", "fast"])


def test_torch_generator__int_seed_reproducible_and_generator_passthrough():
    a = torch.rand(3, generator=torch_generator(5))
    b = torch.rand(3, generator=torch_generator(5))
    assert torch.equal(a, b)
    gen = torch.Generator()
    assert torch_generator(gen) is gen
    assert isinstance(torch_generator(np.random.default_rng(0)), torch.Generator)


def test_seeded__restores_the_global_torch_state():
    torch.manual_seed(0)
    expected = torch.rand(2)
    torch.manual_seed(0)
    with seeded(3):
        inside = torch.rand(2)
    assert torch.equal(torch.rand(2), expected)  # global stream untouched
    with seeded(3):
        assert torch.equal(torch.rand(2), inside)


def test_check_random_state__rejects_strings():
    with pytest.raises(TypeError, match="random_state"):
        check_random_state("seed")
