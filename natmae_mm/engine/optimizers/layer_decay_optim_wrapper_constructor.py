"""Layer-wise learning-rate decay (ELECTRA / BEiT; MAMP's fine-tuning).

With decay rate ``r`` and a backbone of ``K = num_layers`` layers (embeddings
are layer 0, block ``i`` is layer ``i + 1``, the final norm is layer ``K - 1``),
a parameter of layer ``k`` gets

    lr_k = lr * r ** (K - 1 - k)

so the final norm and the classification head train at ``lr``, the last
block at ``r * lr`` and the embeddings at ``r ** (K - 1) * lr`` (MAMP's
``util/lr_decay.py``: ``K = depth + 2``). Weight decay is switched off for
1-D parameters (norm weights, biases), every ``*.bias`` and the parameters
named in ``no_decay_names``.

The layer id comes from ``model.backbone.get_layer_depth(name, prefix)``, so
the constructor works for any backbone that implements it. Parameters outside
the backbone (the head) get scale 1; frozen parameters are left out.

The ``lr`` of each group is set to ``lr_k``; MMEngine's schedulers scale every
group proportionally, so use ``CosineAnnealingLR(eta_min_ratio=...)`` (not an
absolute ``eta_min``) to keep the per-layer ratios down to the minimum lr, as
MAMP does.
"""
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Build an optimizer with one parameter group per (layer, decay/no-decay).

    ``paramwise_cfg`` keys:
        layer_decay_rate (float, required): ``r`` in ``lr * r ** (K - 1 - k)``,
            in (0, 1].
        no_decay_names (sequence of str): parameter-name suffixes (relative to
            the backbone, e.g. ``'temporal_pos'``) that get no weight decay
            besides 1-D parameters and biases. Defaults to none.
        backbone_prefix (str): where the backbone's parameters live in the
            model. Defaults to ``'backbone.'``.

    Each group carries ``lr``, ``weight_decay``, ``lr_scale``, ``layer_id`` and
    ``param_names`` (for logging and tests).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        if 'layer_decay_rate' not in paramwise_cfg:
            raise ValueError('LayerDecayOptimWrapperConstructor needs '
                             'paramwise_cfg=dict(layer_decay_rate=...)')
        self.layer_decay_rate = float(paramwise_cfg.pop('layer_decay_rate'))
        if not 0 < self.layer_decay_rate <= 1:
            raise ValueError(f'paramwise_cfg.layer_decay_rate must be in (0, 1], got '
                             f'{self.layer_decay_rate}')
        self.no_decay_names: Tuple[str, ...] = tuple(paramwise_cfg.pop('no_decay_names', ()))
        self.backbone_prefix: str = paramwise_cfg.pop('backbone_prefix', 'backbone.')
        if paramwise_cfg:
            raise ValueError('LayerDecayOptimWrapperConstructor: unsupported paramwise_cfg '
                             f'keys {sorted(paramwise_cfg)}')
        super().__init__(optim_wrapper_cfg, None)

    def _no_decay(self, name: str, ndim: int) -> bool:
        short = name[len(self.backbone_prefix):] if name.startswith(self.backbone_prefix) \
            else name
        return ndim <= 1 or name.endswith('.bias') or any(
            short == n or short.endswith('.' + n) or short.startswith(n + '.')
            for n in self.no_decay_names)

    def add_params(self, params: List[Dict], module: nn.Module, **kwargs) -> None:
        """Fill ``params`` with the layer-decay groups of ``module``.

        Args:
            params: the list of parameter groups to append to (modified).
            module: the model (``module.backbone`` must implement
                ``get_layer_depth``).
        """
        backbone = getattr(module, 'backbone', None)
        if backbone is None or not hasattr(backbone, 'get_layer_depth'):
            raise TypeError(f'{type(self).__name__}: the model ({type(module).__name__}) '
                            'needs a backbone with get_layer_depth(param_name, prefix)')
        rate = self.layer_decay_rate
        groups: Dict[str, Dict] = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            if name.startswith(self.backbone_prefix):
                layer_id, num_layers = backbone.get_layer_depth(name, self.backbone_prefix)
                if not 0 <= layer_id < num_layers:
                    raise ValueError(f'get_layer_depth({name!r}) returned layer {layer_id} '
                                     f'outside [0, {num_layers})')
                scale = rate ** (num_layers - 1 - layer_id)
            else:  # head and anything else outside the backbone
                layer_id, scale = -1, 1.0
            no_decay = self._no_decay(name, param.ndim)
            key = f'layer_{layer_id}_{"no_decay" if no_decay else "decay"}'
            if key not in groups:
                groups[key] = dict(params=[], param_names=[], lr=self.base_lr * scale,
                                   lr_scale=scale, layer_id=layer_id,
                                   weight_decay=0. if no_decay else self.base_wd)
            groups[key]['params'].append(param)
            groups[key]['param_names'].append(name)
        logger = MMLogger.get_current_instance()
        for key, g in groups.items():
            logger.debug(f'layer decay group {key}: lr_scale={g["lr_scale"]:.4g} '
                         f'wd={g["weight_decay"]} params={g["param_names"]}')
        params.extend(groups.values())

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Build the optimizer wrapper (unwraps DDP's ``.module``)."""
        if hasattr(model, 'module'):
            model = model.module
        if self.base_lr is None:
            raise ValueError('LayerDecayOptimWrapperConstructor needs optimizer.lr')
        if self.base_wd is None:
            self.base_wd = 0.
        params: List[Dict] = []
        self.add_params(params, model)
        optimizer_cfg = dict(self.optimizer_cfg, params=params)
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = self.optim_wrapper_cfg.copy()
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(wrapper_cfg, default_args=dict(optimizer=optimizer))
