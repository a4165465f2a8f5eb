"""Reading ``tools/test.py --dump`` prediction files (MMEngine ``DumpResults``).

A dump is a pickled list with one dict per test sample. MMAction2 1.2 stores
``pred_score`` (K,) and ``gt_label`` (1,) tensors; 1.1 stores ``pred_scores``
and ``gt_labels`` as ``{'item': tensor}``. Both are read.
"""
import os.path as osp
import pickle
from typing import Tuple

import numpy as np
import torch


def _field(sample: dict, new: str, old: str, path: str, i: int) -> torch.Tensor:
    if new in sample:
        value = sample[new]
    elif old in sample:
        value = sample[old]
        value = value['item'] if isinstance(value, dict) else value
    else:
        raise ValueError(f'{path}: result {i} has neither {new!r} nor {old!r} '
                         f'(keys: {sorted(sample)}); was it written by tools/test.py --dump?')
    return torch.as_tensor(value).reshape(-1)


def read_dump(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Scores and labels of a prediction dump.

    Args:
        path (str): a ``DumpResults`` pickle.

    Returns:
        tuple[np.ndarray, np.ndarray]: scores (N, K) float32 and labels (N,) int64.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a list of result dicts.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'prediction dump not found: {path}')
    with open(path, 'rb') as f:
        results = pickle.load(f)
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise ValueError(f'{path}: expected a non-empty list of result dicts, '
                         f'got {type(results).__name__}')
    scores = [_field(r, 'pred_score', 'pred_scores', path, i) for i, r in enumerate(results)]
    labels = [_field(r, 'gt_label', 'gt_labels', path, i)[0] for i, r in enumerate(results)]
    return torch.stack(scores).float().numpy(), torch.stack(labels).long().numpy()
