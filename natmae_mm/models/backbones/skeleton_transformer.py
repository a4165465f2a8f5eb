"""Skeleton transformer encoder of MAMP / NAT-MAE (paper Eqs. 1-2).

Each person's sequence (T, V, C) is cut into segments of ``l`` frames; one
token is one joint over one segment, embedded by a Linear on its ``l*C``
values (Eq. 1). Learnable temporal (1, T/l, 1, C_e) and joint (1, 1, V, C_e)
embeddings are added, and ``depth`` pre-LN blocks plus a final LayerNorm
give the latent tokens (Eq. 2). Persons are folded into the batch; zero-padded
persons are kept, as in MAMP. The output layout (N, M, C_e, T/l, V) is what
MMAction2's ``RecognizerGCN`` and its heads expect.

The encoder sizes live in one table, :data:`ARCH_ZOO` (as mmpretrain's ViT
``arch_zoo``): configs say ``arch='8x256'`` and the modules that consume the
encoder width (the MAE decoder, the heads) look it up with
:func:`encoder_width`, so each size is written once.
"""
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from ..utils import TransformerBlock, check_skeleton_shape, init_transformer_weights, patchify

SHAPE_KEYS = ('embed_dim', 'depth', 'num_heads', 'mlp_ratio')
#: Named encoder sizes ``depth x embed_dim``; several names may share one entry.
ARCH_ZOO: Dict[str, Dict[str, Union[int, float]]] = {
    # the paper's (and MAMP's) encoder: 8 blocks x 256, 8 heads
    **dict.fromkeys(['8x256', 'paper'], dict(embed_dim=256, depth=8, num_heads=8, mlp_ratio=4.)),
    # N-UCLA at CPU scale (configs/natmae/nucla/*_cpu.py): 4 blocks x 128, 4 heads of 32
    **dict.fromkeys(['4x128', 'nucla-cpu'],
                    dict(embed_dim=128, depth=4, num_heads=4, mlp_ratio=4.)),
    # the synthetic demo (configs/natmae/demo/): 4 blocks x 64, 4 heads
    **dict.fromkeys(['4x64', 'demo'], dict(embed_dim=64, depth=4, num_heads=4, mlp_ratio=4.)),
}


def resolve_arch(arch: Union[str, dict] = '8x256', **overrides: Optional[Union[int, float]]
                 ) -> Dict[str, Union[int, float]]:
    """The encoder shape of a preset, with explicit values taking precedence.

    Args:
        arch (str | dict): a name in :data:`ARCH_ZOO`, or a dict with all of
            ``embed_dim``, ``depth``, ``num_heads``, ``mlp_ratio``. Defaults to
            ``'8x256'``.
        **overrides: any of those four keys; a value that is not None replaces
            the preset's (so configs written with explicit sizes keep working).

    Returns:
        dict: ``{'embed_dim', 'depth', 'num_heads', 'mlp_ratio'}``.

    Raises:
        ValueError: an unknown preset name, or a dict that lacks a key.
        TypeError: an override key that is not a shape key.
    """
    unknown = set(overrides) - set(SHAPE_KEYS)
    if unknown:
        raise TypeError(f'not encoder shape keys: {sorted(unknown)} (expected {SHAPE_KEYS})')
    if isinstance(arch, str):
        if arch not in ARCH_ZOO:
            raise ValueError(f'unknown SkeletonTransformer arch {arch!r}; presets: '
                             f'{sorted(ARCH_ZOO)} (or a dict of {SHAPE_KEYS})')
        shape = dict(ARCH_ZOO[arch])
    elif isinstance(arch, dict):
        missing = [k for k in SHAPE_KEYS if k not in arch]
        if missing:
            raise ValueError(f'a custom arch needs {SHAPE_KEYS}; missing {missing}')
        shape = {k: arch[k] for k in SHAPE_KEYS}
    else:
        raise ValueError(f'arch must be a preset name or a dict, got {type(arch).__name__}')
    shape.update({k: v for k, v in overrides.items() if v is not None})
    return shape


def encoder_width(value: Union[int, str, dict]) -> int:
    """``C_e`` given as a number, or as the ``arch`` of the encoder it comes from.

    Args:
        value (int | str | dict): a width, or a preset name / dict as for
            :func:`resolve_arch`.

    Returns:
        int: the encoder width.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str, dict)):
        raise ValueError(f'expected an encoder width or arch, got {value!r}')
    return value if isinstance(value, int) else int(resolve_arch(value)['embed_dim'])


@MODELS.register_module()
class SkeletonTransformer(BaseModule):
    """Transformer over (segment, joint) tokens.

    The shape (width, depth, heads, MLP ratio) comes from ``arch``; an
    explicit ``embed_dim`` / ``depth`` / ``num_heads`` / ``mlp_ratio``
    overrides the preset's value (configs written before the presets, and
    ``--cfg-options model.backbone.depth=1``, keep working).

    Args:
        in_channels (int): coordinates per joint C. Defaults to 3.
        num_frames (int): input length T; must be divisible by ``segment_len``.
            Defaults to 120.
        num_joints (int): joints V (25 NTU/PKU, 20 N-UCLA). Defaults to 25.
        segment_len (int): frames per token l. Defaults to 4.
        embed_dim (int, optional): token width C_e. Defaults to None (the
            preset's).
        depth (int, optional): number of blocks N_e. Defaults to None (the
            preset's).
        num_heads (int, optional): attention heads. Defaults to None (the
            preset's).
        mlp_ratio (float, optional): MLP hidden width / C_e. Defaults to None
            (the preset's).
        drop_path_rate (float): stochastic depth, linearly increasing over
            blocks. Defaults to 0.
        attention (str): ``'sdpa'`` or ``'eager'`` attention kernel. Defaults
            to ``'sdpa'``.
        frozen (bool): freeze every parameter and keep eval mode (linear
            probing). Defaults to False.
        init_cfg (dict, optional): MMEngine init config, e.g.
            ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.
            Defaults to None.
        arch (str | dict): a preset of :data:`ARCH_ZOO` (``'8x256'``,
            ``'4x128'``, ``'4x64'`` and their aliases) or a dict of the four
            shape keys. Defaults to ``'8x256'`` (the paper's).
    """

    arch_zoo = ARCH_ZOO

    def __init__(self, in_channels: int = 3, num_frames: int = 120, num_joints: int = 25,
                 segment_len: int = 4, embed_dim: Optional[int] = None,
                 depth: Optional[int] = None, num_heads: Optional[int] = None,
                 mlp_ratio: Optional[float] = None, drop_path_rate: float = 0.,
                 attention: str = 'sdpa', frozen: bool = False, init_cfg: Optional[dict] = None,
                 arch: Union[str, dict] = '8x256') -> None:
        super().__init__(init_cfg=init_cfg)
        shape = resolve_arch(arch, embed_dim=embed_dim, depth=depth, num_heads=num_heads,
                             mlp_ratio=mlp_ratio)
        embed_dim, depth = int(shape['embed_dim']), int(shape['depth'])
        num_heads, mlp_ratio = int(shape['num_heads']), float(shape['mlp_ratio'])
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
        self.num_heads = num_heads
        self.mlp_ratio = mlp_ratio
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
