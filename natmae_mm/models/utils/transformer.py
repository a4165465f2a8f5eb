"""Pre-LN transformer blocks shared by the encoder and the decoder (paper Eqs. 2-3).

``G' = x + MSA(LN(x))``, ``G = G' + MLP(LN(G'))`` with qkv bias, GELU MLP of
ratio 4 and stochastic depth, as in MAMP/ViT. Attention runs through
:func:`torch.nn.functional.scaled_dot_product_attention` (``attention='sdpa'``,
which never materialises the (B, H, L, L) score matrix on fused kernels) or an
explicit softmax (``attention='eager'``, kept for memory/speed comparisons).
Parameter names (``norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2``)
match MAMP's, so its checkpoints map one to one.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath

ATTENTION_IMPLS = ('sdpa', 'eager')


class MultiheadSelfAttention(nn.Module):
    """Multi-head self-attention on (B, L, C) tokens.

    Args:
        dim: token width C.
        num_heads: number of heads H; must divide ``dim``.
        qkv_bias: learn biases in the qkv projection.
        attention: ``'sdpa'`` or ``'eager'`` (numerically equivalent).
    """

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = True,
                 attention: str = 'sdpa') -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'embed dim {dim} is not divisible by num_heads {num_heads}')
        if attention not in ATTENTION_IMPLS:
            raise ValueError(f'attention must be one of {ATTENTION_IMPLS}, got {attention!r}')
        self.num_heads = num_heads
        self.attention = attention
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, C) -> (B, L, C)."""
        B, L, C = x.shape
        qkv = self.qkv(x).reshape(B, L, 3, self.num_heads, C // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # 3 x (B, H, L, C/H)
        if self.attention == 'sdpa':
            x = F.scaled_dot_product_attention(q, k, v)
        else:
            attn = (q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5  # (B, H, L, L)
            x = attn.softmax(dim=-1) @ v
        x = x.transpose(1, 2).reshape(B, L, C)  # (B, L, C)
        return self.proj(x)


class Mlp(nn.Module):
    """Two-layer GELU MLP: (B, L, C) -> (B, L, C)."""

    def __init__(self, dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class TransformerBlock(nn.Module):
    """One pre-LN transformer block (paper Eq. 2 / Eq. 3, one n).

    Args:
        dim: token width.
        num_heads: attention heads.
        mlp_ratio: hidden width of the MLP relative to ``dim``.
        qkv_bias: learn qkv biases.
        drop_path: stochastic-depth rate of both residual branches.
        attention: ``'sdpa'`` or ``'eager'``.
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4., qkv_bias: bool = True,
                 drop_path: float = 0., attention: str = 'sdpa') -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiheadSelfAttention(dim, num_heads, qkv_bias, attention)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, C) -> (B, L, C)."""
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


def init_transformer_weights(module: nn.Module) -> None:
    """MAMP/MAE initialisation: xavier-uniform Linear weights, zero biases, unit LayerNorm."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
