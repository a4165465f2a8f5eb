"""A model and feature dataloaders built from a config (analysis tools, k-NN hook).

* :func:`feature_dataloader_cfg` / :func:`build_feature_dataloader`: one split
  of a config's dataset through a deterministic test pipeline, for frozen
  features (the k-NN bank and queries, t-SNE, confusion matrices).
* :func:`build_model_from_checkpoint`: ``cfg.model`` with the weights of one
  checkpoint (torch's safe loader), or seeded random weights as a baseline.
"""
import logging
import os.path as osp
from typing import Any, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger


def default_test_pipeline(train_pipeline: List[dict]) -> List[dict]:
    """A deterministic pipeline for a config that has only a training pipeline.

    Keeps the clip length of the training ``ValidCropResize`` (MAMP's test crop:
    centre window of 95% of the valid frames) and the person count of
    ``FormatGCNInput`` (person count and padding mode); drops random augmentation.

    Args:
        train_pipeline (List[dict]): the training pipeline of a config.

    Returns:
        List[dict]: ``ValidCropResize`` (test mode), ``FormatGCNInput``,
        ``PackActionInputs``.
    """
    clip_len, fmt = None, dict(type='FormatGCNInput', num_person=2)
    for t in train_pipeline:
        if t.get('type') == 'ValidCropResize':
            clip_len = t.get('clip_len')
        elif t.get('type') == 'FormatGCNInput':
            fmt = dict(t)
    if clip_len is None:
        raise ValueError('cannot derive a test pipeline: the training pipeline has no '
                         'ValidCropResize; add a test_dataloader to the config')
    return [dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.95,), test_mode=True),
            fmt,
            dict(type='PackActionInputs')]


def feature_dataloader_cfg(cfg: Config, split: str, batch_size: int = 32,
                           num_workers: int = 0, ann_file: Optional[str] = None) -> dict:
    """A dataloader config over ``split`` with the config's test pipeline.

    The dataset is the config's ``test_dataloader`` (or ``val_``/``train_``)
    dataset with ``split`` and the deterministic pipeline; label subsets are
    dropped so that the whole split is used.

    Args:
        cfg (Config): a training or test config.
        split (str): the split name of the annotation file.
        batch_size (int): batch size. Defaults to 32.
        num_workers (int): loader workers. Defaults to 0.
        ann_file (str, optional): another annotation file. Defaults to None
            (the config's).

    Returns:
        dict: a dataloader config (unshuffled ``DefaultSampler``).

    Raises:
        FileNotFoundError: the annotation file does not exist.
    """
    src = None
    for key in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        if cfg.get(key):
            src = cfg[key]
            break
    if src is None:
        raise ValueError('the config has no dataloader to take the dataset from')
    dataset = Config(src['dataset']).to_dict() if not isinstance(src['dataset'], dict) \
        else dict(src['dataset'])
    for key in ('test_dataloader', 'val_dataloader'):
        if cfg.get(key):
            pipeline = list(cfg[key]['dataset']['pipeline'])
            break
    else:
        pipeline = default_test_pipeline(list(cfg['train_dataloader']['dataset']['pipeline']))
    dataset.update(split=split, pipeline=pipeline, test_mode=True)
    dataset.pop('label_fraction', None)
    if ann_file is not None:
        dataset['ann_file'] = ann_file
    if not osp.isfile(dataset.get('ann_file', '')):
        raise FileNotFoundError(f"annotation file not found: {dataset.get('ann_file')!r} "
                                '(set --ann-file or --cfg-options)')
    return dict(batch_size=batch_size, num_workers=num_workers, persistent_workers=False,
                sampler=dict(type='DefaultSampler', shuffle=False), dataset=dataset)


def build_feature_dataloader(cfg: Config, split: str, **kwargs: Any):
    """Build :func:`feature_dataloader_cfg` with MMEngine's runner helper.

    Args:
        cfg (Config): see :func:`feature_dataloader_cfg`.
        split (str): see :func:`feature_dataloader_cfg`.
        **kwargs: the other arguments of :func:`feature_dataloader_cfg`.

    Returns:
        torch.utils.data.DataLoader: the built dataloader.
    """
    from mmengine.runner import Runner
    return Runner.build_dataloader(feature_dataloader_cfg(cfg, split, **kwargs))


def build_model_from_checkpoint(cfg: Config, checkpoint: Optional[str],
                                strict: bool = True, seed: int = 0) -> torch.nn.Module:
    """Build ``cfg.model`` and load ``checkpoint`` (safe loader); eval mode on CPU.

    ``strict=False`` accepts a checkpoint that covers only part of the model
    (e.g. a recognizer config with an extracted backbone); MMEngine then logs
    the missing keys.

    Any ``init_cfg`` of type ``Pretrained`` inside the model is dropped: the
    weights come from ``checkpoint``. ``checkpoint=None`` keeps the random
    initialisation (a baseline), drawn after ``torch.manual_seed(seed)`` so that it
    is the same in every process.

    Args:
        cfg (Config): a config with ``model``.
        checkpoint (str, optional): the checkpoint; None for random weights.
        strict (bool): every model key must be in the checkpoint. Defaults to True.
        seed (int): seed of the random weights when ``checkpoint`` is None.
            Defaults to 0.

    Returns:
        torch.nn.Module: the model in eval mode, on the CPU.
    """
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model_cfg = _drop_pretrained(Config(cfg.model).to_dict() if not isinstance(cfg.model, dict)
                                 else cfg.model)
    if checkpoint is None:
        torch.manual_seed(seed)
    model = MODELS.build(model_cfg)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)   # init_weights logs every parameter at INFO
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        load_checkpoint(model, checkpoint, map_location='cpu', strict=strict)
    return model.eval()


def _drop_pretrained(node: Any) -> Any:
    """A copy of a model config with every ``Pretrained`` ``init_cfg`` set to None."""
    if isinstance(node, dict):
        out = {k: _drop_pretrained(v) for k, v in node.items()}
        init = out.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            out['init_cfg'] = None
        return out
    if isinstance(node, list):
        return [_drop_pretrained(v) for v in node]
    return node
