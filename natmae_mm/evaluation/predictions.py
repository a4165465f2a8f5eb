"""Reading ``tools/test.py --dump`` prediction files (MMEngine ``DumpResults``).

A dump is a pickled list with one dict per test sample; MMAction2 1.2 stores
``pred_score`` (K,) and ``gt_label`` (1,), 1.1 ``pred_scores`` / ``gt_labels``
as ``{'item': tensor}`` (both read through :mod:`natmae_mm.utils.compat`). The
file is data: it is read by the restricted unpickler
(:func:`natmae_mm.utils.safe_pickle.safe_pickle_load`), which refuses any
global outside builtin containers, NumPy and torch's safe tensor types.
"""
from typing import Callable, Tuple

import numpy as np
import torch

from ..utils.compat import get_label, get_pred_score
from ..utils.errors import InvalidInputError
from ..utils.safe_pickle import safe_pickle_load


def _read(get: Callable, result: dict, path: str, i: int) -> torch.Tensor:
    try:
        return get(result).reshape(-1)
    except KeyError as exc:
        raise InvalidInputError(f'{path}: result {i}: {exc.args[0]}; was it written by '
                                'tools/test.py --dump?') from None


def read_dump(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Scores and labels of a prediction dump.

    Args:
        path (str): a ``DumpResults`` pickle.

    Returns:
        tuple[np.ndarray, np.ndarray]: scores (N, K) float32 and labels (N,) int64.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafePickleError: the file references a global outside the allowlist.
        InvalidInputError: the file is not a list of result dicts.
    """
    results = safe_pickle_load(path, 'prediction dump')
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise InvalidInputError(f'{path}: expected a non-empty list of result dicts, '
                                f'got {type(results).__name__}')
    scores = [_read(get_pred_score, r, path, i) for i, r in enumerate(results)]
    labels = [_read(get_label, r, path, i)[0] for i, r in enumerate(results)]
    return torch.stack(scores).float().numpy(), torch.stack(labels).long().numpy()
