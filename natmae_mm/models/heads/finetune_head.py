"""MLP head of MAMP / NAT-MAE for fine-tuning (fine-tune, semi-supervised and
transfer protocols).

Each joint keeps its own feature: tokens are averaged over time only, the
joints are concatenated, persons averaged, and a two-layer MLP classifies:

    f = mean_m concat_v mean_t Dropout(z)[:, m, :, t, v]        # (N, V*C_e)
    logits = fc2(ReLU(BN(fc1(f))))

Input ``(N, M, C_e, T', V)`` from ``RecognizerGCN``; output ``(N, num_classes)``.
"""
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS

from ..backbones.skeleton_transformer import encoder_width


@MODELS.register_module()
class MAMPFinetuneHead(BaseHead):
    """Dropout -> mean over time -> (N, M, V*C) -> mean over persons -> MLP.

    Args:
        num_classes (int): number of action classes.
        in_channels (int | str): encoder width C_e, or the encoder's ``arch``
            (e.g. ``'8x256'``). Defaults to 256.
        num_joints (int): joints V (the first MLP layer has ``V * C_e``
            inputs). Defaults to 25.
        hidden (int): MLP hidden width. Defaults to 2048.
        dropout (float): dropout ratio applied to the tokens. Defaults to 0.3.
        loss_cls (dict, optional): classification loss config; label
            smoothing is BaseHead's ``label_smooth_eps`` (0.1 in the fine-tune
            configs). Defaults to None (``CrossEntropyLoss``).
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
        **kwargs: forwarded to :class:`mmaction.models.heads.BaseHead`.
    """

    def __init__(self, num_classes: int, in_channels: Union[int, str] = 256,
                 num_joints: int = 25,
                 hidden: int = 2048, dropout: float = 0.3,
                 loss_cls: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None, **kwargs) -> None:
        loss_cls = loss_cls or dict(type='CrossEntropyLoss')
        # One (K,) score vector per sample, as MMAction2's GCNHead: with BaseHead's
        # default (None) predictions stay (num_clips, K) and AccMetric mis-scores them.
        kwargs.setdefault('average_clips', 'prob')
        in_channels = encoder_width(in_channels)
        super().__init__(num_classes, in_channels, loss_cls=loss_cls, init_cfg=init_cfg,
                         **kwargs)
        self.num_joints = num_joints
        self.dropout = nn.Dropout(p=dropout)
        self.fc1 = nn.Linear(num_joints * in_channels, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Linear(hidden, num_classes)

    def init_weights(self) -> None:
        """Xavier-uniform Linear weights and zero biases (MAMP's init)."""
        super().init_weights()
        if self.init_cfg is None:
            for fc in (self.fc1, self.fc2):
                nn.init.xavier_uniform_(fc.weight)
                nn.init.zeros_(fc.bias)

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """(N, M, C_e, T', V) -> logits (N, num_classes)."""
        if x.dim() != 5 or x.shape[2] != self.in_channels or x.shape[4] != self.num_joints:
            raise ValueError(f'{type(self).__name__} expects features (N, M, C={self.in_channels}'
                             f', T, V={self.num_joints}), got {tuple(x.shape)}')
        N, M = x.shape[:2]
        x = self.dropout(x).mean(dim=3)  # (N, M, C_e, V)
        x = x.transpose(2, 3).reshape(N, M, -1)  # (N, M, V*C_e), joint major
        x = x.mean(dim=1)  # (N, V*C_e)
        return self.fc2(self.relu(self.bn(self.fc1(x))))  # (N, num_classes)
