"""Linear-probe head of MAMP / NAT-MAE (linear evaluation protocol).

The frozen encoder's tokens are global-average-pooled over time segments and
joints, then persons (:func:`~natmae_mm.models.utils.mean_pool_tokens`, the
representation NATMAE.extract_feat also gives), normalised by a parameter-free
BatchNorm (MoCo v3 / MAE linear probing) and classified by one linear layer:

    logits = W * BN(mean_m mean_{t, v} z[:, m, :, t, v]) + b

Input is what ``RecognizerGCN`` passes from ``SkeletonTransformer``:
``(N, M, C_e, T', V)``; output ``(N, num_classes)``.
"""
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS

from ..backbones.skeleton_transformer import encoder_width
from ..utils import mean_pool_tokens


@MODELS.register_module()
class LinearProbeHead(BaseHead):
    """Mean pooling -> BatchNorm1d(affine=False, eps=1e-6) -> Linear.

    Args:
        num_classes: number of action classes.
        in_channels: encoder width C_e, as a number or as the ``arch`` preset
            name of the encoder (e.g. ``'4x128'``). Defaults to 256.
        loss_cls: classification loss config (MMAction2's).
        init_std: std of the truncated-normal init of the linear weight
            (0.01, MoCo v3 / MAMP); its bias starts at zero.
        **kwargs: forwarded to :class:`mmaction.models.heads.BaseHead`
            (``label_smooth_eps``, ``topk``, ``average_clips``...).
    """

    def __init__(self, num_classes: int, in_channels: Union[int, str] = 256,
                 loss_cls: Optional[Dict] = None, init_std: float = 0.01,
                 init_cfg: Optional[Dict] = None, **kwargs) -> None:
        loss_cls = loss_cls or dict(type='CrossEntropyLoss')
        # One (K,) score vector per sample, as MMAction2's GCNHead: with BaseHead's
        # default (None) predictions stay (num_clips, K) and AccMetric mis-scores them.
        kwargs.setdefault('average_clips', 'prob')
        in_channels = encoder_width(in_channels)
        super().__init__(num_classes, in_channels, loss_cls=loss_cls, init_cfg=init_cfg,
                         **kwargs)
        self.init_std = init_std
        self.bn = nn.BatchNorm1d(in_channels, affine=False, eps=1e-6)
        self.fc = nn.Linear(in_channels, num_classes)

    def init_weights(self) -> None:
        """Truncated-normal weight (std ``init_std``), zero bias."""
        super().init_weights()
        if self.init_cfg is None:
            nn.init.trunc_normal_(self.fc.weight, std=self.init_std)
            nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """(N, M, C_e, T', V) -> logits (N, num_classes)."""
        if x.dim() != 5 or x.shape[2] != self.in_channels:
            raise ValueError(f'{type(self).__name__} expects features (N, M, C={self.in_channels}'
                             f', T, V), got {tuple(x.shape)}')
        tokens = x.flatten(3).transpose(2, 3)  # (N, M, T'*V, C_e), a view
        x = mean_pool_tokens(tokens, num_persons=x.shape[1])  # (N, C_e)
        return self.fc(self.bn(x))  # (N, num_classes)
