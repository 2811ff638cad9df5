"""A channel-agnostic encoder: per-channel patch tokens with electrode position embeddings."""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from .channel_mask import current_channel_mask

with warnings.catch_warnings():
    # braindecode 1.8 warns at import time about an MNE montage name it uses internally
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    from braindecode.models.base import EEGModuleMixin

from .hub import PretrainedMixin

#: Positions are divided by this (metres; about a head radius) before the Fourier features.
HEAD_RADIUS = 0.1


@lru_cache(maxsize=2)
def _montage_positions():
    """``{lower-case name: xyz in metres}`` of MNE's 10-05 template.

    :func:`eeg_ssl.io.harmonise.default_montage`: ``colin27_1005`` on MNE >= 1.13 (its
    name for ``standard_1005``, which is deprecated there), else ``standard_1005``.
    """
    import mne

    from ..io.harmonise import default_montage

    positions = mne.channels.make_standard_montage(default_montage()).get_positions()["ch_pos"]
    return {name.lower(): np.asarray(xyz, dtype=float) for name, xyz in positions.items()}


def electrode_positions(ch_names, ch_positions=None):
    """3-D position of each channel (metres) and whether it is known.

    Parameters
    ----------
    ch_names : list of str
    ch_positions : list of (3,) | None, or None
        Given positions (e.g. ECoG/sEEG contacts from ``chs_info``); ``None`` or NaN
        entries are looked up by standardised name in the 10-05 template.

    Returns
    -------
    positions : ndarray, shape (n_chans, 3)
        Zeros where unknown.
    known : ndarray of bool, shape (n_chans,)
    """
    from ..io.harmonise import standardise_name

    template = _montage_positions()
    positions, known = np.zeros((len(ch_names), 3)), np.zeros(len(ch_names), dtype=bool)
    for i, name in enumerate(ch_names):
        given = None if ch_positions is None else ch_positions[i]
        if given is not None and np.all(np.isfinite(np.asarray(given, dtype=float))):
            given = np.asarray(given, dtype=float)
            if np.any(given != 0):  # MNE's loc is all zeros when there is no position
                positions[i], known[i] = given, True
                continue
        xyz = template.get(standardise_name(str(name)).lower())
        if xyz is not None:
            positions[i], known[i] = xyz, True
    return positions, known


class ChannelTokenEncoder(PretrainedMixin, EEGModuleMixin, nn.Module):
    """Per-channel temporal patch tokens, electrode position embeddings, masked attention.

    In the manner of BIOT (Yang et al. 2023), LaBraM (Jiang et al. 2024) and CBraMod
    (Wang et al. 2025): every channel is cut into patches of ``patch_size`` samples and
    each patch becomes a token through one shared linear embedding, so the weights do
    not depend on the montage. A token is the sum of its patch embedding, an embedding
    of the channel's log amplitude (channels are scaled to unit standard deviation
    before patching), a learnt time embedding, and an electrode embedding computed from
    the channel's 3-D position (Fourier features of MNE's 10-05 template position,
    looked up by standardised name, or of a position given in ``chs_info`` /
    ``ch_positions`` for ECoG/sEEG contacts; a learnt "unknown" embedding otherwise).
    Layers alternate attention across channels (per time patch, CBraMod's spatial
    attention) and across time (per channel), which costs ``C^2 P + P^2 C`` instead of
    ``(C P)^2``; masked channels are key-padded in the channel attention and left out
    of the mean pooling, so their values never reach the embedding; channels masked
    in every window of a batch are not computed at all (a batch of 1-channel windows on
    a 71-channel corpus list costs what 1 channel costs).

    The channel mask comes from, in order: the ``ch_mask`` argument of :meth:`forward`;
    the mask published for the current training batch
    (:func:`eeg_ssl.models.channel_mask.batch_channel_mask`, e.g. by a
    :class:`eeg_ssl.data.CorpusDataset`); else channels that are identically zero in a
    window (the zero-filled ones) are masked when ``mask_zero_channels``.

    Electrode positions are buffers, not parameters, so the weights load into an
    encoder built for any other channel list (``load_state_dict``).

    Parameters
    ----------
    n_chans, n_outputs, n_times
        As in :class:`braindecode.models.base.EEGModuleMixin`; ``n_outputs`` is the
        embedding size.
    patch_size : int
        Samples per patch (64 = 0.5 s at 128 Hz); trailing samples are ignored.
    embed_dim : int
        Token width.
    depth : int
        Number of (channel attention, time attention) layer pairs.
    n_heads : int
        Attention heads (must divide ``embed_dim``).
    mlp_ratio : float
        Feed-forward width relative to ``embed_dim``.
    dropout : float
    n_frequencies : int
        Octaves of the Fourier features of the positions.
    mask_zero_channels : bool
        Without an explicit or published mask, mask channels that are zero throughout.
    ch_names : list of str | None
        Channel names (default: from ``chs_info``, else unknown positions).
    ch_positions : list of (3,) | None
        Positions in metres (``None`` entries: looked up by name).
    chs_info, input_window_seconds, sfreq
        As in :class:`braindecode.models.base.EEGModuleMixin`.

    Shapes
    ------
    input (B, n_chans, T) with ``patch_size <= T <= n_times``, optional ``ch_mask``
    (B, n_chans) bool -> output (B, n_outputs)
    """

    def __init__(
        self,
        n_chans=None,
        n_outputs=128,
        n_times=None,
        patch_size=64,
        embed_dim=64,
        depth=2,
        n_heads=4,
        mlp_ratio=2.0,
        dropout=0.0,
        n_frequencies=4,
        mask_zero_channels=True,
        ch_names=None,
        ch_positions=None,
        chs_info=None,
        input_window_seconds=None,
        sfreq=None,
    ):
        super().__init__(n_outputs=n_outputs, n_chans=n_chans, chs_info=chs_info,
                         n_times=n_times, input_window_seconds=input_window_seconds,
                         sfreq=sfreq)  # fmt: skip
        if not 1 <= int(patch_size) <= self.n_times:
            raise ValueError(
                f"'patch_size' must be in [1, n_times={self.n_times}]; got {patch_size!r}. "
                f"Use a shorter patch or longer windows."
            )
        if embed_dim % n_heads:
            raise ValueError(
                f"'n_heads' must divide 'embed_dim'; got n_heads={n_heads}, embed_dim={embed_dim}."
            )
        if ch_names is None and chs_info is not None:
            ch_names = [ch.get("ch_name", "") for ch in chs_info]
            if ch_positions is None:
                ch_positions = [
                    (np.asarray(ch["loc"][:3], dtype=float) if ch.get("loc") is not None else None)
                    for ch in chs_info
                ]
        if ch_names is None:
            ch_names = [""] * self.n_chans
        for key, value in (("ch_names", ch_names), ("ch_positions", ch_positions)):
            if value is not None and len(value) != self.n_chans:
                raise ValueError(
                    f"'{key}' has {len(value)} entries for n_chans={self.n_chans}; give one "
                    f"per channel."
                )
        self.patch_size, self.embed_dim, self.depth = int(patch_size), embed_dim, depth
        self.n_heads, self.mlp_ratio, self.dropout = n_heads, mlp_ratio, dropout
        self.n_frequencies, self.mask_zero_channels = n_frequencies, bool(mask_zero_channels)
        self.channel_names = [str(n) for n in ch_names]
        positions, known = electrode_positions(self.channel_names, ch_positions)
        self.register_buffer("positions", torch.as_tensor(positions, dtype=torch.float32),
                             persistent=False)  # fmt: skip
        self.register_buffer("known", torch.as_tensor(known), persistent=False)
        self.n_patches = self.n_times // self.patch_size

        self.patch_embed = nn.Linear(self.patch_size, embed_dim)
        self.amplitude_embed = nn.Linear(1, embed_dim)
        self.time_embed = nn.Parameter(torch.zeros(self.n_patches, embed_dim))
        nn.init.trunc_normal_(self.time_embed, std=0.02)
        self.position_embed = nn.Sequential(
            nn.Linear(3 + 6 * n_frequencies, embed_dim), nn.GELU(), nn.Linear(embed_dim, embed_dim)
        )
        self.unknown_embed = nn.Parameter(torch.zeros(embed_dim))
        nn.init.trunc_normal_(self.unknown_embed, std=0.02)

        def layer():
            return nn.TransformerEncoderLayer(embed_dim, n_heads, int(embed_dim * mlp_ratio),
                                              dropout, activation="gelu", batch_first=True,
                                              norm_first=True)  # fmt: skip

        self.channel_layers = nn.ModuleList(layer() for _ in range(depth))
        self.time_layers = nn.ModuleList(layer() for _ in range(depth))
        self.norm = nn.LayerNorm(embed_dim)
        self.final_layer = nn.Linear(embed_dim, self.n_outputs)

    def get_config(self):
        """The constructor arguments, with the channel names and given positions resolved
        (``chs_info`` itself is not kept by checkpoints)."""
        config = super().get_config()
        config["ch_names"] = list(self.channel_names)
        config.pop("chs_info", None)
        if config.get("ch_positions") is None and bool(self.known.any()):
            config["ch_positions"] = [
                [float(v) for v in xyz] if k else None
                for xyz, k in zip(self.positions.tolist(), self.known.tolist())
            ]
        return config

    def for_channels(self, ch_names, ch_positions=None):
        """The same weights for another montage: a new encoder for ``ch_names``.

        E.g. an encoder pretrained on a corpus's 71 channels, applied to a dataset's 19.

        Parameters
        ----------
        ch_names : list of str
        ch_positions : list of (3,) | None, or None
            As in the constructor.

        Returns
        -------
        ChannelTokenEncoder
            In the same mode (train/eval) as this one.
        """
        config = dict(self.get_config(), n_chans=len(ch_names), ch_names=list(ch_names),
                      ch_positions=ch_positions)  # fmt: skip
        encoder = type(self)(**config).to(self.unknown_embed.device)
        encoder.load_state_dict(self.state_dict())
        return encoder.train(self.training)

    def electrode_embedding(self):
        """(n_chans, embed_dim): from the positions, or the learnt unknown embedding."""
        xyz = self.positions / HEAD_RADIUS  # (C, 3)
        freqs = math.pi * 2.0 ** torch.arange(self.n_frequencies, device=xyz.device)
        angles = (xyz[:, :, None] * freqs).flatten(1)  # (C, 3 * F)
        features = torch.cat([xyz, torch.sin(angles), torch.cos(angles)], dim=1)
        embedded = self.position_embed(features)
        return torch.where(self.known[:, None], embedded, self.unknown_embed.expand_as(embedded))

    def resolve_mask(self, x, ch_mask=None):
        """The (B, C) bool mask used for ``x``: given, published, or non-zero channels."""
        if ch_mask is not None:
            ch_mask = torch.as_tensor(ch_mask, device=x.device).bool()
            if ch_mask.shape != x.shape[:2]:
                raise ValueError(
                    f"'ch_mask' must have shape (batch, n_chans) = {tuple(x.shape[:2])}; got "
                    f"{tuple(ch_mask.shape)}."
                )
            return ch_mask
        published = current_channel_mask(x)
        if published is not None:
            return published
        if self.mask_zero_channels:
            return x.detach().abs().amax(dim=-1) > 0
        return torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)

    def forward(self, x, ch_mask=None):
        batch, n_chans, n_times = x.shape
        n_patches = n_times // self.patch_size
        if n_chans != self.n_chans or not 1 <= n_patches <= self.n_patches:
            raise ValueError(
                f"ChannelTokenEncoder was built for {self.n_chans} channels and windows of "
                f"{self.patch_size} to {self.n_times} samples; got input of shape "
                f"{tuple(x.shape)}."
            )
        mask = self.resolve_mask(x, ch_mask)  # (B, C), True = use
        empty = ~mask.any(
            dim=1
        )  # windows without any channel: use all (all-padded attention is NaN)
        mask = mask | empty[:, None]
        electrodes = self.electrode_embedding()
        used = mask.any(dim=0)
        if not used.all():  # channels masked in every window of the batch: leave them out
            x, mask, electrodes = x[:, used], mask[:, used], electrodes[used]
            n_chans = x.shape[1]
        x = x[..., : n_patches * self.patch_size] * mask[..., None]  # masked channels -> 0
        scale = x.std(dim=-1, keepdim=True)  # (B, C, 1)
        x = x / (scale + 1e-6)
        # (B, C, P*L) -> (B, C, P, L) -> (B, C, P, D)
        tokens = self.patch_embed(x.reshape(batch, n_chans, n_patches, self.patch_size))
        tokens = tokens + self.amplitude_embed(torch.log(scale + 1e-6))[:, :, None]
        tokens = tokens + self.time_embed[:n_patches] + electrodes[:, None]
        padding = (~mask)[:, None].expand(batch, n_patches, n_chans).reshape(-1, n_chans)
        dim = self.embed_dim
        for channel_layer, time_layer in zip(self.channel_layers, self.time_layers):
            # across channels: (B, C, P, D) -> (B*P, C, D), masked channels key-padded
            tokens = tokens.transpose(1, 2).reshape(batch * n_patches, n_chans, dim)
            tokens = channel_layer(tokens, src_key_padding_mask=padding)
            # across time: (B*P, C, D) -> (B, P, C, D) -> (B*C, P, D)
            tokens = tokens.reshape(batch, n_patches, n_chans, dim).transpose(1, 2)
            tokens = time_layer(tokens.reshape(batch * n_chans, n_patches, dim))
            tokens = tokens.reshape(batch, n_chans, n_patches, dim)
        # masked mean over channels and patches: (B, C, P, D) -> (B, D)
        weights = mask.to(tokens.dtype)[:, :, None, None]
        pooled = (tokens * weights).sum(dim=(1, 2)) / (weights.sum(dim=(1, 2)) * n_patches)
        return self.final_layer(self.norm(pooled))


__all__ = ["ChannelTokenEncoder", "electrode_positions"]
