"""Contrastive head: cosine similarities (paper Eq. 8) and the InfoNCE loss (Eq. 9).

Stateless counterpart of :class:`SkeletonReconstructionHead`: it receives the
queries (online encoder), their keys (momentum encoder) and the negatives (the
queue kept by :class:`~natmae_mm.models.selfsup.MomentumKeyQueue`), and applies
its loss config, InfoNCE by default:

    rho+   = cos(q_n, k_n)                                           # Eq. 8
    rho-_j = cos(q_n, Q_j)    for every filled queue slot j          # Eq. 8
    L_c    = -log(exp(rho+/tau) / (exp(rho+/tau) + sum_j exp(rho-_j/tau)))   # Eq. 9

The loss's ``loss_weight`` is lambda of Eq. 10 (the only place lambda is set).
"""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

# Paper: tau = 0.07, lambda = 1e-4 (Eq. 10 weight, carried by the loss).
DEFAULT_CONTRAST_LOSS = dict(type='InfoNCELoss', temperature=0.07, loss_weight=1e-4)


@MODELS.register_module()
class SkeletonContrastHead(BaseModule):
    """Cosine similarities against the positive key and the queue, then the loss.

    Args:
        loss (dict, optional): loss config taking ``(pos (N,), neg (N, K))``
            cosine similarities. Its ``loss_weight`` is lambda of Eq. 10.
            Defaults to ``dict(type='InfoNCELoss', temperature=0.07,
            loss_weight=1e-4)`` (the paper's tau and lambda).
        init_cfg (dict, optional): initialisation config. Defaults to None.
    """

    def __init__(self, loss: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_module = MODELS.build(loss or dict(DEFAULT_CONTRAST_LOSS))

    def loss(self, query: torch.Tensor, key: torch.Tensor, queue: torch.Tensor,
             valid: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Contrastive loss of one batch of instances.

        Args:
            query (torch.Tensor): ``(N', C)`` pooled online features
                ``OE_mask^GAP`` (gradients flow through them).
            key (torch.Tensor): ``(N', C)`` pooled momentum features ``ME^GAP``
                of the same instances, the positives.
            queue (torch.Tensor): ``(N_Q, C)`` unit-norm keys of past batches,
                the negatives (a copy: the caller may overwrite its queue after).
            valid (torch.Tensor, optional): ``(N_Q,)`` bool, False for empty
                queue slots, which drop out of the negatives. Defaults to None
                (every slot is a negative).

        Returns:
            dict: ``loss_con`` (lambda * L_c, scalar) and ``acc_con``: the
            percentage of queries whose positive outranks every valid negative
            (no gradient).
        """
        if query.dim() != 2 or key.shape != query.shape:
            raise ValueError(f'{type(self).__name__} expects query and key (N, C) of one shape, '
                             f'got {tuple(query.shape)} and {tuple(key.shape)}')
        if queue.dim() != 2 or queue.shape[1] != query.shape[1]:
            raise ValueError(f'{type(self).__name__} expects queue (N_Q, C={query.shape[1]}), '
                             f'got {tuple(queue.shape)}')
        if valid is not None and (valid.dtype != torch.bool
                                  or tuple(valid.shape) != (queue.shape[0], )):
            raise ValueError(f'{type(self).__name__} expects valid as a bool mask '
                             f'({queue.shape[0]},), got {valid.dtype} {tuple(valid.shape)}')
        q = F.normalize(query, dim=1)
        k = F.normalize(key, dim=1)
        pos = (q * k).sum(dim=1)  # (N',), rho+ of Eq. 8
        neg = q @ queue.t()  # (N', N_Q), rho- of Eq. 8 (queue rows are unit norm)
        if valid is not None:
            neg = neg.masked_fill(~valid[None], float('-inf'))
        loss = self.loss_module(pos, neg)  # lambda * Eq. 9
        with torch.no_grad():
            acc = (pos[:, None] > neg).all(dim=1).float().mean() * 100
        return dict(loss_con=loss, acc_con=acc)
