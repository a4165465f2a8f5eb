"""Token masking for the online encoder: MAE's random and MAMP's motion-aware.

Both return ``ids_shuffle`` (B, L): a per-sample permutation whose first
``len_keep`` entries are the visible tokens. All randomness comes from
:func:`torch.rand` (the default torch generator unless ``generator`` is given),
so a run is reproducible under :func:`torch.manual_seed`.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F


def random_shuffle(batch: int, length: int, device: torch.device,
                   generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """MAE: argsort of uniform noise -> ids_shuffle (B, L)."""
    noise = torch.rand(batch, length, device=device, generator=generator)
    return torch.argsort(noise, dim=1)


def motion_aware_shuffle(tokens: torch.Tensor, num_segments: int, tau: float,
                         generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """MAMP's motion-aware Gumbel-max sampling order.

    The motion of a token is the mean absolute difference between its ``l*C``
    values and those of the same joint's previous segment (the first segment
    copies the second's). Motions are divided by ``max * tau``, turned into
    probabilities with a softmax and perturbed with Gumbel noise
    ``log p - log(-log U)``. Ascending argsort keeps the *low* scores, so
    high-motion tokens are more likely to be masked (reconstructed).

    Args:
        tokens: patchified input skeleton (B, L, l*C), L = num_segments * V.
        num_segments: T/l.
        tau: temperature (0.80 NTU-60, 0.75 NTU-120/PKU); must be > 0.

    Returns:
        ids_shuffle (B, L).
    """
    B, L, D = tokens.shape
    seg = tokens.reshape(B, num_segments, L // num_segments, D)  # (B, T/l, V, l*C)
    motion = torch.zeros_like(seg)
    motion[:, 1:] = (seg[:, 1:] - seg[:, :-1]).abs()
    motion[:, 0] = motion[:, 1] if num_segments > 1 else 0.
    motion = motion.mean(dim=-1).reshape(B, L)  # (B, L)
    motion = motion / (motion.amax(dim=-1, keepdim=True) * tau + 1e-10)
    log_prob = F.log_softmax(motion, dim=-1)
    u = torch.rand(B, L, device=tokens.device, generator=generator)
    noise = log_prob - torch.log(-torch.log(u + 1e-10) + 1e-10)
    return torch.argsort(noise, dim=1)


def split_by_shuffle(ids_shuffle: torch.Tensor, len_keep: int
                     ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ids_shuffle (B, L) -> (ids_keep (B, len_keep), mask (B, L) 1=masked, ids_restore (B, L))."""
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :len_keep]
    mask = torch.ones_like(ids_shuffle, dtype=torch.float32)
    mask[:, :len_keep] = 0
    mask = torch.gather(mask, 1, ids_restore)  # back to token order
    return ids_keep, mask, ids_restore
