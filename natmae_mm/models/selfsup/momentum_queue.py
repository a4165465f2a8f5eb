"""State of NAT-MAE's contrastive branch: the momentum encoder and the key queue.

The momentum encoder is an exponential moving average (EMA) of the online
encoder (MMEngine's :class:`~mmengine.model.ExponentialMovingAverage`) and sees
the FULL, unmasked skeleton under ``no_grad``; its pooled tokens ``ME^GAP`` are
the keys. The queue ``Q`` of paper Eq. 9 holds the keys of past batches as the
negatives. The similarities and the loss (Eqs. 8-9) are the stateless
:class:`~natmae_mm.models.heads.SkeletonContrastHead`'s.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.dist import all_gather
from mmengine.model import BaseModule, ExponentialMovingAverage

from ..utils import mean_pool_tokens

INSTANCES = ('sample', 'person')


# 'MomentumContrastNeck' is the registry name of this class before it was split
# into this module (state) and SkeletonContrastHead (loss); NATMAE moves that
# config's ``temperature`` / ``loss_weight`` into the head's loss.
@MODELS.register_module(name=['MomentumKeyQueue', 'MomentumContrastNeck'])
class MomentumKeyQueue(BaseModule):
    """Momentum encoder + ring-buffer queue of its unit-norm keys.

    What is an instance? The paper leaves open whether a contrastive instance
    is one person's sequence or the whole (two-person) sample. The default
    ``instance='sample'`` averages the pooled features over the M persons of a
    sample: with ``'person'`` every zero-padded second person of a one-actor
    sample becomes its own instance, and all of them encode the same empty
    sequence, so they would be near-identical "negatives" of each other (and
    fill the queue with copies). ``'person'`` keeps one instance per person
    sequence for comparison.

    State (saved in checkpoints and resumed; the names are those of every
    NAT-MAE checkpoint so far: ``contrast.momentum_encoder.module.*``,
    ``contrast.momentum_encoder.steps``, ``contrast.queue``,
    ``contrast.queue_ptr``):

    - ``momentum_encoder``: the EMA copy of the online encoder.
    - ``queue`` (N_Q, C_e): a ring buffer. A write of B keys goes to rows
      ``(ptr + i) % N_Q`` and moves the pointer to ``(ptr + B) % N_Q``, so any
      batch size is stored (a last partial batch, a resumed run with another
      batch); a write of more than N_Q keys leaves the last N_Q. Empty slots are
      zero rows (real keys have unit norm) and are no negatives.
    - ``queue_ptr`` (1,): the next row to write.

    Every rank enqueues the same all-gathered keys in rank order, so queues and
    pointers are identical on all ranks and MMAction2's ``SyncBuffersHook``
    (which averages buffers across ranks) leaves them unchanged.

    Args:
        encoder (nn.Module): the online encoder, handed over once by
            :class:`NATMAE`. It is deep-copied into the momentum encoder and
            kept as the source of every EMA update (a plain reference, not a
            submodule: its weights are saved once, under ``backbone.``). It
            must have ``forward_tokens`` and ``embed_dim``.
        momentum (float): the paper's mu: ``xi <- mu * xi + (1 - mu) * theta``.
            MMEngine counts the other way, so its momentum is ``1 - mu``; its
            first update copies the online weights. Defaults to 0.999.
        queue_len (int): N_Q, the number of queued keys. Defaults to 65536.
        instance (str): ``'sample'`` or ``'person'`` (see above). Defaults to
            ``'sample'``.
        init_cfg (dict, optional): initialisation config. Defaults to None.
    """

    def __init__(self, encoder: nn.Module, momentum: float = 0.999, queue_len: int = 65536,
                 instance: str = 'sample', init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if instance not in INSTANCES:
            raise ValueError(f'instance must be one of {INSTANCES}, got {instance!r}')
        if not 0. < momentum < 1.:
            raise ValueError(f'momentum (paper mu) must be in (0, 1), got {momentum}')
        if isinstance(queue_len, bool) or not isinstance(queue_len, int) or queue_len < 1:
            raise ValueError(f'queue_len (N_Q) must be a positive int, got {queue_len!r}')
        if not hasattr(encoder, 'forward_tokens'):
            raise TypeError(f'{type(encoder).__name__} has no forward_tokens(); the momentum '
                            'encoder needs a SkeletonTransformer-like encoder')
        self.momentum = momentum
        self.queue_len = queue_len
        self.instance = instance
        self.momentum_encoder = ExponentialMovingAverage(encoder, momentum=1. - momentum)
        # Not registered as a submodule (nn.Module.__setattr__ would): the online
        # weights belong to NATMAE.backbone and are saved there only.
        self.__dict__['online_encoder'] = encoder
        self.register_buffer('queue', torch.zeros(queue_len, encoder.embed_dim))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    def instances(self, tokens: torch.Tensor, num_persons: int) -> torch.Tensor:
        """GAP of tokens into contrastive instances (float32).

        Args:
            tokens (torch.Tensor): ``(N*M, L', C_e)`` tokens, persons fastest.
            num_persons (int): M.

        Returns:
            torch.Tensor: ``(N, C_e)`` for ``'sample'``, ``(N*M, C_e)`` for
            ``'person'``.
        """
        persons = num_persons if self.instance == 'sample' else 1
        return mean_pool_tokens(tokens.float(), num_persons=persons)

    @torch.no_grad()
    def update_momentum_encoder(self) -> None:
        """One EMA step from the online encoder (the first one copies it)."""
        self.momentum_encoder.update_parameters(self.online_encoder)

    @torch.no_grad()
    def keys(self, skeletons: torch.Tensor, num_persons: int) -> torch.Tensor:
        """Pooled momentum features ``ME^GAP`` of full skeletons.

        Args:
            skeletons (torch.Tensor): ``(N*M, T, V, C)`` unmasked skeletons.
            num_persons (int): M.

        Returns:
            torch.Tensor: ``(N', C_e)`` keys (not normalised), no gradient.
        """
        tokens = self.momentum_encoder.module.forward_tokens(skeletons)  # (N*M, L, C_e)
        return self.instances(tokens, num_persons)

    @torch.no_grad()
    def negatives(self):
        """A copy of the queue and its filled-slot mask.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: ``(N_Q, C_e)`` queued keys (a
            copy, so a later :meth:`enqueue` does not change what the loss
            saved for backward) and ``(N_Q,)`` bool, True where a key is stored.
        """
        queue = self.queue.clone()
        return queue, queue.abs().sum(dim=1) != 0

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Normalise the keys, gather them from every rank (rank order) and write
        them into the ring buffer at the pointer.

        Args:
            keys (torch.Tensor): ``(N', C_e)`` this rank's keys (:meth:`keys`).
        """
        keys = F.normalize(keys, dim=1).contiguous()
        keys = torch.cat(all_gather(keys), dim=0).to(self.queue.dtype)  # (world * N', C_e)
        batch = keys.shape[0]
        ptr = int(self.queue_ptr.item())
        rows = (ptr + torch.arange(batch, device=self.queue.device)) % self.queue_len
        if batch > self.queue_len:  # only the last N_Q keys survive a lap
            keys, rows = keys[-self.queue_len:], rows[-self.queue_len:]
        self.queue[rows] = keys
        self.queue_ptr[0] = (ptr + batch) % self.queue_len
