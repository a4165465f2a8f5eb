"""Lightweight MAE decoder of NAT-MAE (paper Eq. 3 and the prediction head).

Visible latent tokens are projected to the decoder width, mask tokens fill the
masked positions, ``ids_restore`` puts every token back in place, the decoder's
own temporal/joint embeddings are added, ``depth`` pre-LN blocks and a
LayerNorm give H_d, and a Linear predicts the ``l*C`` values of every token.
"""
from typing import Optional, Union

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from ..backbones.skeleton_transformer import encoder_width
from ..utils import TransformerBlock, init_transformer_weights


@MODELS.register_module()
class SkeletonMAEDecoder(BaseModule):
    """MAE decoder: (latent (B, N_vis, C_e), ids_restore (B, L)) -> pred (B, L, l*C).

    Args:
        num_frames (int): T. Defaults to 120.
        num_joints (int): V. Defaults to 25.
        segment_len (int): l. Defaults to 4.
        in_channels (int): C. Defaults to 3.
        embed_dim (int | str): encoder width C_e, or the encoder's ``arch``
            (e.g. ``'8x256'``, looked up in
            :data:`~natmae_mm.models.backbones.skeleton_transformer.ARCH_ZOO`).
            Defaults to 256.
        decoder_dim (int): decoder width C_d. Defaults to 256.
        depth (int): decoder blocks N_d (3 NTU-60, 5 NTU-120/PKU). Defaults to 3.
        num_heads (int): attention heads. Defaults to 8.
        mlp_ratio (float): MLP hidden width / C_d. Defaults to 4.
        attention (str): ``'sdpa'`` or ``'eager'``. Defaults to ``'sdpa'``.
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self, num_frames: int = 120, num_joints: int = 25, segment_len: int = 4,
                 in_channels: int = 3, embed_dim: Union[int, str] = 256,
                 decoder_dim: int = 256, depth: int = 3, num_heads: int = 8,
                 mlp_ratio: float = 4., attention: str = 'sdpa',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        embed_dim = encoder_width(embed_dim)
        if num_frames % segment_len:
            raise ValueError(f'num_frames={num_frames} must be divisible by '
                             f'segment_len={segment_len}')
        self.num_segments = num_frames // segment_len
        self.num_joints = num_joints
        self.num_tokens = self.num_segments * num_joints
        self.decoder_embed = nn.Linear(embed_dim, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        self.temporal_pos = nn.Parameter(torch.zeros(1, self.num_segments, 1, decoder_dim))
        self.joint_pos = nn.Parameter(torch.zeros(1, 1, num_joints, decoder_dim))
        self.blocks = nn.ModuleList([
            TransformerBlock(decoder_dim, num_heads, mlp_ratio, qkv_bias=True,
                             attention=attention) for _ in range(depth)])
        self.norm = nn.LayerNorm(decoder_dim)
        self.pred = nn.Linear(decoder_dim, segment_len * in_channels)

        init_transformer_weights(self)
        for p in (self.mask_token, self.temporal_pos, self.joint_pos):
            nn.init.trunc_normal_(p, std=.02)

    def forward(self, latent: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
        """Decode.

        Args:
            latent: visible encoder tokens (B, N_vis, C_e) in shuffled order.
            ids_restore: (B, L) inverse of the masking permutation.

        Returns:
            pred (B, L, l*C) in token order.
        """
        B, L = ids_restore.shape
        if L != self.num_tokens:
            raise ValueError(f'ids_restore has {L} tokens, decoder expects {self.num_tokens}')
        x = self.decoder_embed(latent)  # (B, N_vis, C_d)
        C = x.shape[-1]
        masks = self.mask_token.expand(B, L - x.shape[1], C)
        x = torch.cat([x, masks], dim=1)  # (B, L, C_d), shuffled order
        x = torch.gather(x, 1, ids_restore.unsqueeze(-1).expand(-1, -1, C))  # token order
        x = x.reshape(B, self.num_segments, self.num_joints, C) + self.temporal_pos \
            + self.joint_pos  # (B, T/l, V, C_d)
        x = x.reshape(B, L, C)
        for blk in self.blocks:
            x = blk(x)
        return self.pred(self.norm(x))  # (B, L, l*C)
