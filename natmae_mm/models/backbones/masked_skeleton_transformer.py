"""Masked encoder for pretraining: the online branch of NAT-MAE (paper Eq. 2).

Subclasses :class:`SkeletonTransformer` so pretraining and downstream share
parameter names; only :meth:`forward_masked` is new. Its plain ``forward``
stays the unmasked encoder.
"""
from typing import Optional, Tuple

import torch
from mmaction.registry import MODELS

from ..utils import motion_aware_shuffle, patchify, random_shuffle, split_by_shuffle
from .skeleton_transformer import SkeletonTransformer

MASK_TYPES = ('motion_aware', 'random')


@MODELS.register_module()
class MaskedSkeletonTransformer(SkeletonTransformer):
    """Skeleton transformer that encodes only the visible tokens.

    Args:
        mask_ratio: fraction of masked tokens (0.9); ``int(L * (1 - ratio))``
            tokens stay visible, exactly as MAMP (74 of 750 at 0.9: float rounding).
        mask_type: ``'motion_aware'`` (MAMP's Gumbel sampling favouring the
            masking of high-motion tokens) or ``'random'`` (MAE).
        motion_tau: temperature of motion-aware masking (0.80 NTU-60,
            0.75 NTU-120/PKU).
        **kwargs: :class:`SkeletonTransformer` arguments.
    """

    def __init__(self, mask_ratio: float = 0.9, mask_type: str = 'motion_aware',
                 motion_tau: float = 0.80, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0. <= mask_ratio < 1.:
            raise ValueError(f'mask_ratio must be in [0, 1), got {mask_ratio}')
        if mask_type not in MASK_TYPES:
            raise ValueError(f'mask_type must be one of {MASK_TYPES}, got {mask_type!r}')
        if mask_type == 'motion_aware' and motion_tau <= 0:
            raise ValueError(f'motion_tau must be > 0, got {motion_tau}')
        self.mask_ratio = mask_ratio
        self.mask_type = mask_type
        self.motion_tau = motion_tau
        self.len_keep = int(self.num_tokens * (1 - mask_ratio))
        if self.len_keep < 1:
            raise ValueError(f'mask_ratio={mask_ratio} leaves no visible token of '
                             f'{self.num_tokens}')

    def forward_masked(self, x: torch.Tensor, generator: Optional[torch.Generator] = None
                       ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mask, then encode the visible tokens.

        Args:
            x: skeletons (B, T, V, C), persons folded into B.
            generator: optional torch generator for the mask noise.

        Returns:
            latent (B, N_vis, C_e), mask (B, L) with 1 = masked, ids_restore (B, L).
        """
        tokens = self.embed(x)  # (B, L, C_e)
        B, L, C = tokens.shape
        if self.mask_type == 'motion_aware':
            with torch.no_grad():
                raw = patchify(x.float(), self.segment_len)  # (B, L, l*C)
                ids_shuffle = motion_aware_shuffle(raw, self.num_segments, self.motion_tau,
                                                   generator)
        else:
            ids_shuffle = random_shuffle(B, L, x.device, generator)
        ids_keep, mask, ids_restore = split_by_shuffle(ids_shuffle, self.len_keep)
        index = ids_keep.unsqueeze(-1).expand(-1, -1, C)
        visible = torch.gather(tokens, 1, index)  # (B, N_vis, C_e)
        return self.encode(visible), mask, ids_restore
