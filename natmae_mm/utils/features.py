"""Frozen-feature extraction and the weighted k-NN classifier of DINO.

Features are the pooled encoder output, the same representation the linear
probe sees: for a pretraining model (``NATMAE``) ``model.extract_feat(inputs)``
(N, C_e); for a recognizer the backbone's (N, M, C_e, T/l, V) output averaged
over persons, time and joints (and over test clips).

k-NN (DINO, Caron et al. 2021, ``eval_knn.py``): with L2-normalised features,
a test sample ``x`` scores class ``c`` by

    s_c(x) = sum_{i in top-k(x)} exp(cos(x, x_i) / tau) [y_i = c],

where top-k are the k training samples of largest cosine similarity. For
numerical safety at small tau each query's scores are divided by
``exp(max_i cos(x, x_i) / tau)``, a per-query constant that leaves its ranking
unchanged.
"""
import logging
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dist import collect_results, get_world_size
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper

from .compat import get_labels


def pool_backbone_output(x: torch.Tensor) -> torch.Tensor:
    """Mean over persons, time and joints: (N, M, C, T', V) -> (N, C)."""
    if x.dim() != 5:
        raise ValueError(f'expected a backbone output (N, M, C, T, V), got shape {tuple(x.shape)}')
    return x.mean(dim=(1, 3, 4))


@torch.no_grad()
def extract_batch_features(model: torch.nn.Module, data: dict) -> Tuple[torch.Tensor,
                                                                        torch.Tensor]:
    """Pooled features and labels of one dataloader batch.

    Args:
        model: a ``NATMAE`` (anything with ``extract_feat(inputs) -> (N, C)``) or an
            MMAction2 recognizer (``backbone`` + ``cls_head``); possibly wrapped.
        data: a collated batch ``{'inputs', 'data_samples'}``.

    Returns:
        features (N, C) float32 on CPU and labels (N,) int64.
    """
    if is_model_wrapper(model):
        model = model.module
    data = model.data_preprocessor(data, False)
    inputs, samples = data['inputs'], data['data_samples']
    labels = get_labels(samples).cpu()
    if hasattr(model, 'cls_head'):                 # recognizer: pool the backbone output
        feats, _ = model.extract_feat(inputs, stage='backbone')
        feats = pool_backbone_output(feats)        # (N * clips, C)
        feats = feats.reshape(len(samples), -1, feats.shape[-1]).mean(1)  # (N, C)
    else:
        feats = model.extract_feat(inputs)
        if feats.dim() != 2 or feats.shape[0] != len(samples):
            raise ValueError(f'{type(model).__name__}.extract_feat returned shape '
                             f'{tuple(feats.shape)}, expected ({len(samples)}, C)')
    return feats.float().cpu(), labels


@torch.no_grad()
def extract_features(model: torch.nn.Module, dataloader,
                     progress: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
    """Features and labels of a whole dataloader, in dataset order.

    In a distributed run each rank extracts its shard of a ``DefaultSampler``
    and the results are gathered (``mmengine.dist.collect_results``), so every
    rank gets all ``len(dataset)`` rows.

    Returns:
        features (N, C) and labels (N,).
    """
    was_training = model.training
    model.eval()
    rows: List[Tuple[torch.Tensor, torch.Tensor]] = []
    try:
        for i, data in enumerate(dataloader):
            feats, labels = extract_batch_features(model, data)
            rows.extend(zip(feats, labels))
            if progress and (i + 1) % 10 == 0:
                print(f'  features: {len(rows)}/{len(dataloader.dataset)}', flush=True)
    finally:
        model.train(was_training)
    if get_world_size() > 1:
        rows = collect_results(rows, len(dataloader.dataset), device='cpu')
    if not rows:
        raise ValueError('the dataloader yielded no samples')
    return torch.stack([r[0] for r in rows]), torch.stack([r[1] for r in rows])


def knn_scores(train_feats: torch.Tensor, train_labels: torch.Tensor,
               test_feats: torch.Tensor, num_classes: int, k: int = 20,
               temperature: float = 0.07, chunk: int = 1024) -> torch.Tensor:
    """Weighted k-NN class scores ``s_c(x)`` (module equation).

    Args:
        train_feats: (N_train, C) bank features (normalised here).
        train_labels: (N_train,) int labels in ``[0, num_classes)``.
        test_feats: (N_test, C) query features.
        num_classes: number of classes.
        k: neighbours; clipped to ``N_train``.
        temperature: tau of the exponential weights (DINO: 0.07).
        chunk: queries per matrix product (memory bound).

    Returns:
        (N_test, num_classes) scores, each row scaled so its nearest neighbour weighs 1.
    """
    if train_feats.dim() != 2 or test_feats.dim() != 2 or \
            train_feats.shape[1] != test_feats.shape[1]:
        raise ValueError(f'feature shapes do not match: bank {tuple(train_feats.shape)}, '
                         f'queries {tuple(test_feats.shape)}')
    if len(train_labels) != len(train_feats):
        raise ValueError(f'{len(train_labels)} labels for {len(train_feats)} bank features')
    if k < 1:
        raise ValueError(f'k must be >= 1, got {k}')
    if train_labels.min() < 0 or train_labels.max() >= num_classes:
        raise ValueError(f'labels must lie in [0, {num_classes}), got '
                         f'{int(train_labels.min())}..{int(train_labels.max())}')
    k = min(k, len(train_feats))
    bank = F.normalize(train_feats.float(), dim=1)                    # (N_train, C)
    out = []
    for start in range(0, len(test_feats), chunk):
        q = F.normalize(test_feats[start:start + chunk].float(), dim=1)  # (B, C)
        sim, idx = (q @ bank.T).topk(k, dim=1)                         # (B, k)
        weight = ((sim - sim[:, :1]) / temperature).exp()              # (B, k), max 1
        votes = F.one_hot(train_labels[idx].long(), num_classes).float()  # (B, k, K)
        out.append((votes * weight.unsqueeze(-1)).sum(1))              # (B, K)
    return torch.cat(out)


def topk_accuracy(scores: torch.Tensor, labels: torch.Tensor,
                  topk: Sequence[int] = (1, 5)) -> Dict[str, float]:
    """``{'top1': %, 'top5': %}``: share of rows whose label is among the k best scores."""
    out = {}
    for k in topk:
        k_eff = min(k, scores.shape[1])
        hit = (scores.topk(k_eff, dim=1).indices == labels.view(-1, 1)).any(1)
        out[f'top{k}'] = float(hit.float().mean()) * 100
    return out


def knn_accuracy(train_feats: torch.Tensor, train_labels: torch.Tensor,
                 test_feats: torch.Tensor, test_labels: torch.Tensor,
                 num_classes: Optional[int] = None, k: int = 20,
                 temperature: float = 0.07) -> Dict[str, float]:
    """Top-1/top-5 accuracy (%) of the weighted k-NN classifier."""
    if num_classes is None:
        num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    scores = knn_scores(train_feats, train_labels, test_feats, num_classes, k, temperature)
    return topk_accuracy(scores, test_labels)


# --------------------------------------------------------------------------------------
# Building a model and feature dataloaders from a config (analysis tools, demo)
# --------------------------------------------------------------------------------------


def default_test_pipeline(train_pipeline: List[dict]) -> List[dict]:
    """A deterministic pipeline for a config that has only a training pipeline.

    Keeps the clip length of the training ``ValidCropResize`` (MAMP's test crop:
    centre window of 95% of the valid frames) and the person count of
    ``FormatGCNInput`` (person count and padding mode); drops random augmentation.
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


def build_feature_dataloader(cfg: Config, split: str, **kwargs):
    """Build :func:`feature_dataloader_cfg` with MMEngine's runner helper."""
    from mmengine.runner import Runner
    return Runner.build_dataloader(feature_dataloader_cfg(cfg, split, **kwargs))


def load_analysis_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config for the analysis tools (clear error when missing; CLI overrides)."""
    if not osp.isfile(path):
        raise SystemExit(f'error: config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


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
    """
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import natmae_mm  # noqa: F401  (registration)
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


def _drop_pretrained(node):
    if isinstance(node, dict):
        out = {k: _drop_pretrained(v) for k, v in node.items()}
        init = out.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            out['init_cfg'] = None
        return out
    if isinstance(node, list):
        return [_drop_pretrained(v) for v in node]
    return node
