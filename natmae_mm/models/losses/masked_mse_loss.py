"""Masked reconstruction loss of NAT-MAE (paper Eq. 7)."""
import torch
import torch.nn as nn
from mmaction.registry import MODELS


@MODELS.register_module()
class MaskedMSELoss(nn.Module):
    """``L_r = 1/N_mask * sum_{masked t,v} mean_{l*C}((pred - target)^2)``.

    The squared error is averaged over the ``l*C`` values of a token, then over
    the masked tokens of the whole batch (MAMP's ``forward_loss``). Computed in
    fp32.

    Args:
        loss_weight: multiplier of the loss.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        """pred, target (B, L, D); mask (B, L) with 1 = masked -> scalar loss."""
        if pred.shape != target.shape or mask.shape != pred.shape[:2]:
            raise ValueError(f'MaskedMSELoss: pred {tuple(pred.shape)}, target '
                             f'{tuple(target.shape)} and mask {tuple(mask.shape)} do not match '
                             '(expected (B, L, D), (B, L, D), (B, L))')
        mask = mask.float()
        per_token = (pred.float() - target.float()).pow(2).mean(dim=-1)  # (B, L)
        return self.loss_weight * (per_token * mask).sum() / mask.sum().clamp(min=1.)
