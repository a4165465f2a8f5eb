"""Contrastive branch of NAT-MAE: momentum encoder, queue and InfoNCE (paper Eqs. 8-10).

The momentum encoder is an exponential moving average of the online encoder
(MMEngine's :class:`~mmengine.model.ExponentialMovingAverage`) and sees the
FULL, unmasked skeleton under ``no_grad``. Global average pooling (GAP) of the
online encoder's visible tokens gives the query, GAP of the momentum tokens the
key; cosine similarities (Eq. 8) against the key (positive) and a queue of past
keys (negatives) enter InfoNCE (Eq. 9), weighted by lambda (Eq. 10).
"""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.dist import all_gather
from mmengine.model import BaseModule, ExponentialMovingAverage

INSTANCES = ('sample', 'person')


@MODELS.register_module()
class MomentumContrastNeck(BaseModule):
    """Momentum encoder + key queue + InfoNCE.

    What is an instance? The paper leaves open whether a contrastive instance
    is one person's sequence or the whole (two-person) sample. The default
    ``instance='sample'`` averages the pooled features over the M persons of a
    sample: with ``'person'`` every zero-padded second person of a one-actor
    sample becomes its own instance, and all of them encode the same empty
    sequence, so they would be near-identical "negatives" of each other (and
    fill the queue with copies). ``'person'`` keeps one instance per person
    sequence for comparison.

    State: ``queue`` (queue_len, C_e) and ``queue_ptr`` (1,) are buffers, saved
    in checkpoints and resumed. Empty slots (zero rows; real keys have unit
    norm) are left out of the negatives. Every rank enqueues the same
    all-gathered keys in rank order, so queues and pointers are identical on all
    ranks and MMAction2's ``SyncBuffersHook`` (which averages buffers across
    ranks) leaves them unchanged.

    Args:
        encoder: the online encoder (given by :class:`NATMAE`); it is deep-copied
            into the momentum encoder and must have ``forward_tokens`` and
            ``embed_dim``.
        momentum: the paper's mu (0.999): ``k <- mu * k + (1 - mu) * q``.
            MMEngine counts the other way, so its momentum is ``1 - mu``; its
            first update copies the online weights.
        queue_len: N_Q, a multiple of the global batch of instances.
        temperature: tau of InfoNCE.
        loss_weight: lambda of Eq. 10.
        instance: ``'sample'`` or ``'person'`` (see above).
    """

    def __init__(self, encoder: nn.Module, momentum: float = 0.999, queue_len: int = 65536,
                 temperature: float = 0.07, loss_weight: float = 1e-4,
                 instance: str = 'sample', init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if instance not in INSTANCES:
            raise ValueError(f'instance must be one of {INSTANCES}, got {instance!r}')
        if not 0. < momentum < 1.:
            raise ValueError(f'momentum (paper mu) must be in (0, 1), got {momentum}')
        if not hasattr(encoder, 'forward_tokens'):
            raise TypeError(f'{type(encoder).__name__} has no forward_tokens(); the momentum '
                            'encoder needs a SkeletonTransformer-like encoder')
        self.momentum = momentum
        self.queue_len = queue_len
        self.loss_weight = loss_weight
        self.instance = instance
        self.momentum_encoder = ExponentialMovingAverage(encoder, momentum=1. - momentum)
        self.loss_module = MODELS.build(dict(type='InfoNCELoss', temperature=temperature))
        self.register_buffer('queue', torch.zeros(queue_len, encoder.embed_dim))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    def _instances(self, tokens: torch.Tensor, num_persons: int) -> torch.Tensor:
        """GAP over tokens, then over persons for ``'sample'``: (N*M, L', C) -> (N', C)."""
        feat = tokens.float().mean(dim=1)  # (N*M, C)
        if self.instance == 'sample':
            feat = feat.reshape(-1, num_persons, feat.shape[-1]).mean(dim=1)  # (N, C)
        return feat

    @torch.no_grad()
    def momentum_keys(self, skeletons: torch.Tensor, num_persons: int) -> torch.Tensor:
        """Unit-norm keys of the momentum encoder on full skeletons (N*M, T, V, C) -> (N', C)."""
        tokens = self.momentum_encoder.module.forward_tokens(skeletons)  # (N*M, L, C)
        return F.normalize(self._instances(tokens, num_persons), dim=1)

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Gather the keys of every rank (rank order) and write them at the pointer."""
        keys = torch.cat(all_gather(keys.contiguous()), dim=0)  # (world * N', C), no grad
        batch = keys.shape[0]
        if self.queue_len % batch:
            raise ValueError(
                f'MomentumContrastNeck: queue_len={self.queue_len} is not a multiple of the '
                f'global batch of {batch} {self.instance} instances (all ranks); choose '
                'queue_len accordingly and set drop_last=True in train_dataloader')
        ptr = int(self.queue_ptr.item())
        self.queue[ptr:ptr + batch] = keys.to(self.queue.dtype)
        self.queue_ptr[0] = (ptr + batch) % self.queue_len

    def loss(self, online_tokens: torch.Tensor, skeletons: torch.Tensor,
             online_encoder: nn.Module, num_persons: int) -> Dict[str, torch.Tensor]:
        """One contrastive step.

        Args:
            online_tokens: visible latent tokens of the online encoder (N*M, N_vis, C_e).
            skeletons: the full input skeletons (N*M, T, V, C).
            online_encoder: the online encoder, source of the EMA update.
            num_persons: M.

        Returns:
            ``loss_con`` = lambda * L_c (Eq. 9-10) and ``acc_con``: the percentage of
            queries whose positive outranks every valid queue negative.
        """
        self.momentum_encoder.update_parameters(online_encoder)
        q = F.normalize(self._instances(online_tokens, num_persons), dim=1)  # (N', C)
        k = self.momentum_keys(skeletons, num_persons)  # (N', C)
        queue = self.queue.clone().detach()  # (N_Q, C)
        pos = (q * k).sum(dim=1)  # (N',), Eq. 8
        neg = q @ queue.t()  # (N', N_Q), Eq. 8
        neg = neg.masked_fill(queue.abs().sum(dim=1)[None] == 0, float('-inf'))
        loss = self.loss_weight * self.loss_module(pos, neg)
        with torch.no_grad():
            acc = (pos[:, None] > neg).all(dim=1).float().mean() * 100
        self.enqueue(k)
        return dict(loss_con=loss, acc_con=acc)
