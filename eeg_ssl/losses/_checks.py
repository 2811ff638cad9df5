"""Input checks shared by several losses (a helper module, not a loss)."""

from __future__ import annotations


def check_embedding_pair(z_a, z_b, loss_name):
    """Refuse two views' embeddings unless both are (B, D) with B >= 2.

    Parameters
    ----------
    z_a, z_b : Tensor
        Embeddings of the two views.
    loss_name : str
        Named in the error about too small a batch.
    """
    if z_a.ndim != 2 or z_a.shape != z_b.shape:
        raise ValueError(
            f"z_a and z_b must both be (B, D); got {tuple(z_a.shape)} and {tuple(z_b.shape)}."
        )
    if z_a.shape[0] < 2:
        raise ValueError(f"{loss_name} needs at least 2 windows per batch; got {z_a.shape[0]}.")


def check_temperature(temperature):
    """Refuse a softmax temperature that is not > 0; return it."""
    if not temperature > 0:
        raise ValueError(f"'temperature' must be > 0; got {temperature!r}.")
    return temperature
