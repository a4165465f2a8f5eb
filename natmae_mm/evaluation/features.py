"""Frozen features of a whole dataloader (k-NN, t-SNE, the analysis tools).

Features are the pooled encoder output, the same representation the linear
probe sees: for a pretraining model (``NATMAE``) ``model.extract_feat(inputs)``
(N, C_e); for a recognizer the backbone's (N, M, C_e, T/l, V) output pooled by
:func:`~natmae_mm.models.utils.mean_pool_tokens` (tokens, persons, test clips).
"""
from typing import List, Tuple

import torch
from mmengine.dist import collect_results, get_world_size
from mmengine.model import is_model_wrapper

from ..models.utils import mean_pool_tokens
from ..utils.compat import get_labels


@torch.no_grad()
def extract_batch_features(model: torch.nn.Module, data: dict) -> Tuple[torch.Tensor,
                                                                        torch.Tensor]:
    """Pooled features and labels of one dataloader batch.

    Args:
        model (torch.nn.Module): a ``NATMAE`` (anything with
            ``extract_feat(inputs) -> (N, C)``) or an MMAction2 recognizer
            (``backbone`` + ``cls_head``); possibly wrapped.
        data (dict): a collated batch ``{'inputs', 'data_samples'}``.

    Returns:
        Tuple[torch.Tensor, torch.Tensor]: features (N, C) float32 on CPU and
        labels (N,) int64.
    """
    if is_model_wrapper(model):
        model = model.module
    data = model.data_preprocessor(data, False)
    inputs, samples = data['inputs'], data['data_samples']
    labels = get_labels(samples).cpu()
    if hasattr(model, 'cls_head'):                 # recognizer: pool the backbone output
        feats, _ = model.extract_feat(inputs, stage='backbone')  # (N * clips, M, C, T', V)
        feats = mean_pool_tokens(feats.flatten(3).transpose(2, 3),  # (N * clips, M, L, C)
                                 num_persons=feats.shape[1],
                                 num_clips=feats.shape[0] // len(samples))  # (N, C)
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

    Args:
        model (torch.nn.Module): see :func:`extract_batch_features`; it is run
            in eval mode and its mode restored afterwards.
        dataloader (torch.utils.data.DataLoader): the samples.
        progress (bool): print a line every 10 batches. Defaults to False.

    Returns:
        Tuple[torch.Tensor, torch.Tensor]: features (N, C) and labels (N,).
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
