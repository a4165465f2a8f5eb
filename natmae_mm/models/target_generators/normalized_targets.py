"""Reconstruction targets of NAT-MAE (paper Eqs. 4-6).

Every generator maps skeletons (B, T, V, C) to per-token targets
(B, L, l*C), L = T/l * V, in MAMP's token order (segment major, joint minor;
frame major then x, y, z inside a token). Normalisation uses MAMP's estimator:
``(x - mean) / sqrt(var + eps)`` with the unbiased variance and eps = 1e-6,
so an all-zero (padded) person gives an all-zero, finite target. Targets are
computed in fp32 with autocast disabled.
"""
import torch
import torch.nn as nn
from mmaction.registry import MODELS

from ..utils import patchify


def _normalize(x: torch.Tensor, dim: int, eps: float) -> torch.Tensor:
    mean = x.mean(dim=dim, keepdim=True)
    var = x.var(dim=dim, keepdim=True, unbiased=True)
    return (x - mean) / (var + eps).sqrt()


class _TokenTarget(nn.Module):
    """Shared checks and fp32 handling; subclasses implement :meth:`_compute`."""

    #: fewest frames per segment for which the estimator is defined.
    min_segment_len = 1

    def __init__(self, segment_len: int = 4, eps: float = 1e-6) -> None:
        super().__init__()
        if segment_len < self.min_segment_len:
            raise ValueError(f'{type(self).__name__} needs segment_len >= '
                             f'{self.min_segment_len}, got {segment_len}')
        self.segment_len = segment_len
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, V, C) skeletons -> (B, L, l*C) targets (fp32)."""
        if x.dim() != 4:
            raise ValueError(f'{type(self).__name__} expects skeletons (B, T, V, C), '
                             f'got shape {tuple(x.shape)}')
        if x.shape[1] % self.segment_len:
            raise ValueError(f'{type(self).__name__}: T={x.shape[1]} is not divisible by '
                             f'segment_len={self.segment_len}')
        with torch.autocast(device_type=x.device.type, enabled=False):
            return self._compute(x.detach().float())

    def _compute(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


@MODELS.register_module()
class NATTarget(_TokenTarget):
    """Normalisation Among Timestamps (Eq. 5).

    Each coordinate axis of a token is normalised over its ``l`` timestamps.
    """

    min_segment_len = 2  # the unbiased variance of one value is undefined

    def _compute(self, x: torch.Tensor) -> torch.Tensor:
        B, T, V, C = x.shape
        l = self.segment_len  # noqa: E741
        seg = x.reshape(B, T // l, l, V, C)  # (B, T/l, l, V, C)
        seg = _normalize(seg, dim=2, eps=self.eps)
        return patchify(seg.reshape(B, T, V, C), l)  # (B, L, l*C)


@MODELS.register_module()
class SegmentNormTarget(_TokenTarget):
    """Per-segment normalisation of joint positions (Eq. 4, MAE's norm_pix_loss)."""

    def _compute(self, x: torch.Tensor) -> torch.Tensor:
        return _normalize(patchify(x, self.segment_len), dim=-1, eps=self.eps)  # (B, L, l*C)


@MODELS.register_module()
class MotionTarget(_TokenTarget):
    """MAMP's motion target (Eq. 6).

    ``M_t = S_{t+1} - S_t`` with the last frame's motion set to zero, then
    per-token normalisation over its ``l*C`` values.
    """

    def _compute(self, x: torch.Tensor) -> torch.Tensor:
        motion = torch.zeros_like(x)
        motion[:, :-1] = x[:, 1:] - x[:, :-1]  # (B, T, V, C), last frame 0
        return _normalize(patchify(motion, self.segment_len), dim=-1, eps=self.eps)
