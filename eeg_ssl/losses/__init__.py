"""SSL losses, one file per loss."""

from .ntxent_loss import NTXentLoss, nt_xent_logits, nt_xent_loss

__all__ = ["NTXentLoss", "nt_xent_logits", "nt_xent_loss"]
