"""Reconstruction head: applies the masked loss of Eq. 7 to the decoder output."""
from typing import Optional

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule


@MODELS.register_module()
class SkeletonReconstructionHead(BaseModule):
    """Compute the reconstruction loss (the prediction Linear lives in the decoder).

    Args:
        loss: loss config, :class:`MaskedMSELoss` by default.
    """

    def __init__(self, loss: Optional[dict] = None, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_module = MODELS.build(loss or dict(type='MaskedMSELoss'))

    def loss(self, pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """pred, target (B, L, l*C); mask (B, L), 1 = masked -> scalar loss."""
        return self.loss_module(pred, target, mask)
