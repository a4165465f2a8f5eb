"""NAT-MAE: masked joint reconstruction with NAT targets + momentum contrast (paper Eq. 10).

``L = L_r + lambda * L_c``: the online encoder sees the visible tokens of the
masked skeleton, the decoder reconstructs every token, the loss on masked
tokens compares it with the target (NAT, Eq. 5, by default); the optional
contrastive branch (``contrast=None`` is "Ours w/o Con") adds InfoNCE against
a momentum encoder fed the full skeleton. The two branches have the same
shape: state and targets on the algorithm side (target generator; momentum
encoder + key queue), the loss in a stateless head built from a ``loss=``
config (reconstruction head; contrast head).
"""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.model import BaseModel

from ..heads.contrast_head import DEFAULT_CONTRAST_LOSS
from ..utils import mean_pool_tokens

# Keys of the pre-split ``MomentumContrastNeck`` config that now belong to the
# contrast head's loss (``temperature`` = tau, ``loss_weight`` = lambda).
LEGACY_LOSS_KEYS = ('temperature', 'loss_weight')


def split_contrast_config(contrast: dict) -> Tuple[dict, dict]:
    """Split ``model.contrast`` into the momentum-queue config and the head config.

    ``contrast`` is the :class:`MomentumKeyQueue` config (``type`` defaults to
    ``'MomentumKeyQueue'``) plus a ``head`` entry, the
    :class:`SkeletonContrastHead` config (default: InfoNCE with the paper's
    tau = 0.07 and lambda = 1e-4). Configs written for the old
    ``MomentumContrastNeck`` set ``temperature`` and ``loss_weight`` at the top
    level; those are moved into ``head.loss`` (where they override the head's
    entries), so such configs build the same model.

    Args:
        contrast (dict): the ``contrast=`` config of :class:`NATMAE`.

    Returns:
        tuple[dict, dict]: the momentum-queue config and the head config.
    """
    cfg = copy.deepcopy(dict(contrast))
    cfg.setdefault('type', 'MomentumKeyQueue')
    head = cfg.pop('head', None)
    head = dict(type='SkeletonContrastHead') if head is None else dict(head)
    legacy = {k: cfg.pop(k) for k in LEGACY_LOSS_KEYS if k in cfg}
    if legacy:
        loss = head.get('loss')
        head['loss'] = dict(dict(DEFAULT_CONTRAST_LOSS) if loss is None else loss, **legacy)
    return cfg, head


@MODELS.register_module()
class NATMAE(BaseModel):
    """The pretraining algorithm.

    Args:
        backbone (dict): a :class:`MaskedSkeletonTransformer` config.
        neck (dict): a :class:`SkeletonMAEDecoder` config.
        head (dict): a :class:`SkeletonReconstructionHead` config.
        target_generator (dict): ``NATTarget`` / ``SegmentNormTarget`` /
            ``MotionTarget`` config.
        contrast (dict, optional): the contrastive branch: a
            :class:`MomentumKeyQueue` config (``momentum`` mu, ``queue_len``
            N_Q, ``instance``; its ``encoder`` is this backbone, handed over
            once here) with a ``head`` entry, the :class:`SkeletonContrastHead`
            config whose ``loss=dict(type='InfoNCELoss', temperature=0.07,
            loss_weight=1e-4)`` holds tau and lambda (see
            :func:`split_contrast_config`). Built as ``self.contrast`` (state,
            saved under ``contrast.``) and ``self.contrast_head`` (stateless).
            Defaults to None: no contrastive branch ("Ours w/o Con").
        data_preprocessor (dict | nn.Module, optional): defaults to MMAction2's
            ``ActionDataPreprocessor``.
        init_cfg (dict, optional): initialisation config. Defaults to None.

    Inputs are ``(N, num_clips, M, T, V, C)`` as packed by ``PackActionInputs``
    (or ``(N, M, T, V, C)``); clips are folded into the batch.
    """

    def __init__(self, backbone: dict, neck: dict, head: dict, target_generator: dict,
                 contrast: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, torch.nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ActionDataPreprocessor')
        if isinstance(data_preprocessor, dict):  # built from mmaction's registry (its scope)
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if not hasattr(self.backbone, 'forward_masked'):
            raise TypeError(f'NATMAE needs a masking backbone (forward_masked), got '
                            f'{type(self.backbone).__name__}')
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(head)
        self.target_generator = MODELS.build(target_generator)
        self.contrast = self.contrast_head = None
        if contrast:
            queue_cfg, head_cfg = split_contrast_config(contrast)
            self.contrast = MODELS.build(queue_cfg, default_args=dict(encoder=self.backbone))
            self.contrast_head = MODELS.build(head_cfg)

    @staticmethod
    def _skeletons(inputs: torch.Tensor) -> torch.Tensor:
        """(N, nc, M, T, V, C) or (N, M, T, V, C) -> (N*nc, M, T, V, C)."""
        if inputs.dim() == 6:
            return inputs.reshape(-1, *inputs.shape[2:])
        if inputs.dim() == 5:
            return inputs
        raise ValueError(f'NATMAE expects inputs (N, num_clips, M, T, V, C) or (N, M, T, V, C), '
                         f'got {tuple(inputs.shape)}')

    def loss(self, inputs: torch.Tensor, data_samples: Optional[List] = None
             ) -> Dict[str, torch.Tensor]:
        """Eq. 10: ``{'loss_rec': L_r, 'loss_con': lambda * L_c, 'acc_con': %}``."""
        x = self._skeletons(inputs)  # (N, M, T, V, C)
        N, M = x.shape[:2]
        x = x.reshape(N * M, *x.shape[2:])  # (N*M, T, V, C): persons folded into batch
        latent, mask, ids_restore = self.backbone.forward_masked(x)  # Eq. 2
        pred = self.neck(latent, ids_restore)  # Eq. 3 + prediction head, (N*M, L, l*C)
        target = self.target_generator(x)  # Eq. 5 (NAT) by default, (N*M, L, l*C)
        losses = dict(loss_rec=self.head.loss(pred, target, mask))  # Eq. 7
        if self.contrast is not None:  # Eqs. 8-9, weighted by lambda
            self.contrast.update_momentum_encoder()  # EMA: xi <- mu * xi + (1 - mu) * theta
            query = self.contrast.instances(latent, M)  # OE_mask^GAP, (N', C_e)
            key = self.contrast.keys(x, M)  # ME^GAP of the full skeletons, (N', C_e)
            queue, valid = self.contrast.negatives()  # (N_Q, C_e), (N_Q,)
            losses.update(self.contrast_head.loss(query, key, queue, valid))
            self.contrast.enqueue(key)  # the current batch replaces the oldest keys
        return losses

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled features of the unmasked online encoder: mean over tokens, persons, clips.

        Args:
            inputs: (N, num_clips, M, T, V, C) or (N, M, T, V, C).

        Returns:
            (N, C_e).
        """
        N = inputs.shape[0]
        x = self._skeletons(inputs)  # (N*nc, M, T, V, C)
        B, M = x.shape[:2]
        tokens = self.backbone.forward_tokens(x.reshape(B * M, *x.shape[2:]))  # (B*M, L, C_e)
        return mean_pool_tokens(tokens, num_persons=M, num_clips=B // N)  # (N, C_e)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List] = None,
                mode: str = 'tensor'):
        """``'loss'``: loss dict; ``'tensor'``: (N, C_e) features; ``'predict'``: the data
        samples with the feature of each in its ``feature`` field (for k-NN / t-SNE)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'predict':
            feats = self.extract_feat(inputs)
            if data_samples is None:
                data_samples = [ActionDataSample() for _ in range(feats.shape[0])]
            for sample, feat in zip(data_samples, feats):
                sample.set_field(feat, 'feature')
            return data_samples
        raise ValueError(f'invalid mode {mode!r}: use "loss", "predict" or "tensor"')
