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

    Args:
        temperature: tau (0.07).
        loss_weight: multiplier of the loss.
    """

    def __init__(self, temperature: float = 0.07, loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """pos (N,) positive cosines, neg (N, K) negative cosines -> scalar loss."""
        if pos.dim() != 1 or neg.dim() != 2 or neg.shape[0] != pos.shape[0]:
            raise ValueError(f'InfoNCELoss expects pos (N,) and neg (N, K), got '
                             f'{tuple(pos.shape)} and {tuple(neg.shape)}')
        logits = torch.cat([pos[:, None], neg], dim=1).float() / self.temperature  # (N, 1+K)
        labels = torch.zeros(pos.shape[0], dtype=torch.long, device=pos.device)
        return self.loss_weight * F.cross_entropy(logits, labels)
