"""InfoNCE contrastive loss (paper Eq. 9)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """``L_c = -log(exp(rho+/tau) / (exp(rho+/tau) + sum_j exp(rho-_j/tau)))``.

    Takes cosine similarities (Eq. 8), not features, so the caller decides
    where negatives come from (a queue here). Negatives set to ``-inf`` (e.g.
    empty queue slots) drop out of the sum. The batch mean is returned.

    In NAT-MAE this loss is the ``loss=`` entry of
    :class:`~natmae_mm.models.heads.SkeletonContrastHead`, and its
    ``loss_weight`` is lambda of Eq. 10 (``L = L_r + lambda * L_c``); no other
    module of the contrastive branch has a weight.

    Args:
        temperature (float): tau of Eq. 9. Defaults to 0.07.
        loss_weight (float): multiplier of the loss (lambda of Eq. 10 in
            NAT-MAE, 1e-4 in the paper's configs). Defaults to 1.0.
    """

    def __init__(self, temperature: float = 0.07, loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """Batch mean of Eq. 9, times ``loss_weight``.

        Args:
            pos (torch.Tensor): ``(N,)`` positive cosine similarities rho+.
            neg (torch.Tensor): ``(N, K)`` negative cosine similarities rho-;
                ``-inf`` entries are left out.

        Returns:
            torch.Tensor: scalar loss.
        """
        if pos.dim() != 1 or neg.dim() != 2 or neg.shape[0] != pos.shape[0]:
            raise ValueError(f'InfoNCELoss expects pos (N,) and neg (N, K), got '
                             f'{tuple(pos.shape)} and {tuple(neg.shape)}')
        logits = torch.cat([pos[:, None], neg], dim=1).float() / self.temperature  # (N, 1+K)
        labels = torch.zeros(pos.shape[0], dtype=torch.long, device=pos.device)
        return self.loss_weight * F.cross_entropy(logits, labels)
