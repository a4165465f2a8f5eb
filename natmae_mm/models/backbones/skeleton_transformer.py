"""Skeleton transformer encoder of MAMP / NAT-MAE (paper Eqs. 1-2).

Each person's sequence (T, V, C) is cut into segments of ``l`` frames; one
token is one joint over one segment, embedded by a Linear on its ``l*C``
values (Eq. 1). Learnable temporal (1, T/l, 1, C_e) and joint (1, 1, V, C_e)
embeddings are added, and ``depth`` pre-LN blocks plus a final LayerNorm
give the latent tokens (Eq. 2). Persons are folded into the batch; zero-padded
persons are kept, as in MAMP. The output layout (N, M, C_e, T/l, V) is what
MMAction2's ``RecognizerGCN`` and its heads expect.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from ..utils import TransformerBlock, check_skeleton_shape, init_transformer_weights, patchify


@MODELS.register_module()
class SkeletonTransformer(BaseModule):
    """Transformer over (segment, joint) tokens.

    Args:
        in_channels: coordinates per joint C (3).
        num_frames: input length T; must be divisible by ``segment_len``.
        num_joints: joints V (25 NTU/PKU, 20 N-UCLA).
        segment_len: frames per token l (4).
        embed_dim: token width C_e.
        depth: number of blocks N_e.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width / C_e.
        drop_path_rate: stochastic depth, linearly increasing over blocks.
        attention: ``'sdpa'`` (default) or ``'eager'`` attention kernel.
        frozen: freeze every parameter and keep eval mode (linear probing).
        init_cfg: MMEngine init config, e.g. ``dict(type='Pretrained',
            checkpoint=..., prefix='backbone.')``.
    """

    def __init__(self, in_channels: int = 3, num_frames: int = 120, num_joints: int = 25,
                 segment_len: int = 4, embed_dim: int = 256, depth: int = 8, num_heads: int = 8,
                 mlp_ratio: float = 4., drop_path_rate: float = 0., attention: str = 'sdpa',
                 frozen: bool = False, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_frames % segment_len:
            raise ValueError(f'num_frames={num_frames} must be divisible by '
                             f'segment_len={segment_len}')
        self.in_channels = in_channels
        self.num_frames = num_frames
        self.num_joints = num_joints
        self.segment_len = segment_len
        self.num_segments = num_frames // segment_len
        self.embed_dim = embed_dim
        self.depth = depth
        self.frozen = frozen

        self.joint_embed = nn.Linear(segment_len * in_channels, embed_dim)
        self.temporal_pos = nn.Parameter(torch.zeros(1, self.num_segments, 1, embed_dim))
        self.joint_pos = nn.Parameter(torch.zeros(1, 1, num_joints, embed_dim))
        dpr = torch.linspace(0, drop_path_rate, depth).tolist()
        self.blocks = nn.ModuleList([
            TransformerBlock(embed_dim, num_heads, mlp_ratio, qkv_bias=True, drop_path=dpr[i],
                             attention=attention) for i in range(depth)])
        self.norm = nn.LayerNorm(embed_dim)

        init_transformer_weights(self)
        nn.init.trunc_normal_(self.temporal_pos, std=.02)
        nn.init.trunc_normal_(self.joint_pos, std=.02)
        if frozen:
            self.requires_grad_(False)
            self.eval()

    @property
    def num_tokens(self) -> int:
        """L = T/l * V."""
        return self.num_segments * self.num_joints

    def train(self, mode: bool = True) -> 'SkeletonTransformer':
        """Keep eval mode when frozen."""
        return super().train(mode and not self.frozen)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Eq. 1 plus position embeddings: (B, T, V, C) -> (B, L, C_e)."""
        check_skeleton_shape(x, self.num_frames, self.num_joints, self.in_channels,
                             f'{type(self).__name__} input (persons folded into batch)')
        B = x.shape[0]
        x = self.joint_embed(patchify(x, self.segment_len))  # (B, L, C_e)
        x = x.reshape(B, self.num_segments, self.num_joints, -1)  # (B, T/l, V, C_e)
        x = x + self.temporal_pos + self.joint_pos
        return x.reshape(B, self.num_tokens, -1)  # (B, L, C_e)

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """Eq. 2: blocks and final LayerNorm on (B, L', C_e) tokens."""
        for blk in self.blocks:
            tokens = blk(tokens)
        return self.norm(tokens)

    def forward_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Unmasked encoder: (B, T, V, C) -> latent tokens (B, L, C_e)."""
        return self.encode(self.embed(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, M, T, V, C) -> (N, M, C_e, T/l, V)."""
        if x.dim() != 5 or tuple(x.shape[2:]) != (self.num_frames, self.num_joints,
                                                 self.in_channels):
            raise ValueError(
                f'{type(self).__name__} expects input (N, M, T={self.num_frames}, '
                f'V={self.num_joints}, C={self.in_channels}), got {tuple(x.shape)}')
        N, M = x.shape[:2]
        x = self.forward_tokens(x.reshape(N * M, *x.shape[2:]))  # (N*M, L, C_e)
        x = x.reshape(N, M, self.num_segments, self.num_joints, -1)  # (N, M, T/l, V, C_e)
        return x.permute(0, 1, 4, 2, 3).contiguous()  # (N, M, C_e, T/l, V)

    def get_layer_depth(self, param_name: str, prefix: str = '') -> Tuple[int, int]:
        """Layer id for layer-wise lr decay, as mmpretrain's ViT.

        Embeddings are layer 0, ``blocks.i`` is layer ``i + 1``, everything else
        (final norm, names outside ``prefix``) the last layer ``depth + 1``.

        Returns:
            (layer_id, num_layers) with ``num_layers = depth + 2``.
        """
        num_layers = self.depth + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        name = param_name[len(prefix):]
        if name.split('.')[0] in ('joint_embed', 'temporal_pos', 'joint_pos'):
            return 0, num_layers
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1, num_layers
        return num_layers - 1, num_layers
