"""The weighted k-NN classifier of DINO on frozen features, and its accuracy.

k-NN (DINO, Caron et al. 2021, ``eval_knn.py``): with L2-normalised features,
a test sample ``x`` scores class ``c`` by

    s_c(x) = sum_{i in top-k(x)} exp(cos(x, x_i) / tau) [y_i = c],

where top-k are the k training samples of largest cosine similarity. For
numerical safety at small tau each query's scores are divided by
``exp(max_i cos(x, x_i) / tau)``, a per-query constant that leaves its ranking
unchanged.

Accuracy is MMAction2's :func:`mmaction.evaluation.functional.top_k_accuracy`,
the function behind ``AccMetric``, so a k-NN top-k and a linear-probe top-k
count hits the same way. Exactly equal scores are ordered as ``np.argsort``
orders them; in k-NN this matters only for top-5 when fewer than 5 classes
receive votes (the rest tie at 0).
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmaction.evaluation.functional import top_k_accuracy


def knn_scores(train_feats: torch.Tensor, train_labels: torch.Tensor,
               test_feats: torch.Tensor, num_classes: int, k: int = 20,
               temperature: float = 0.07, chunk: int = 1024) -> torch.Tensor:
    """Weighted k-NN class scores ``s_c(x)`` (module equation).

    Args:
        train_feats (torch.Tensor): (N_train, C) bank features (normalised here).
        train_labels (torch.Tensor): (N_train,) int labels in ``[0, num_classes)``.
        test_feats (torch.Tensor): (N_test, C) query features.
        num_classes (int): number of classes.
        k (int): neighbours; clipped to ``N_train``. Defaults to 20.
        temperature (float): tau of the exponential weights. Defaults to 0.07
            (DINO's).
        chunk (int): queries per matrix product (memory bound). Defaults to 1024.

    Returns:
        torch.Tensor: (N_test, num_classes) scores, each row scaled so that its
        nearest neighbour weighs 1.
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
    """Top-k accuracy in percent, keyed ``'top{k}'``.

    A row counts as a hit for ``k`` when its label is among its ``k`` best
    scores (MMAction2's ``top_k_accuracy``; a ``k`` above the number of
    classes counts every row).

    Args:
        scores (torch.Tensor): (N, K) class scores.
        labels (torch.Tensor): (N,) int labels.
        topk (Sequence[int]): the k values. Defaults to ``(1, 5)``.

    Returns:
        Dict[str, float]: ``{'top1': %, 'top5': %}`` for the default ``topk``.
    """
    if scores.dim() != 2 or len(scores) != len(labels):
        raise ValueError(f'expected (N, K) scores and (N,) labels, got shapes '
                         f'{tuple(scores.shape)} and {tuple(labels.shape)}')
    accs = top_k_accuracy(scores.detach().cpu().numpy(), labels.cpu().numpy(),
                          tuple(topk))
    return {f'top{k}': float(acc) * 100 for k, acc in zip(topk, accs)}


def knn_accuracy(train_feats: torch.Tensor, train_labels: torch.Tensor,
                 test_feats: torch.Tensor, test_labels: torch.Tensor,
                 num_classes: Optional[int] = None, k: int = 20,
                 temperature: float = 0.07) -> Dict[str, float]:
    """Top-1/top-5 accuracy (%) of the weighted k-NN classifier.

    Args:
        train_feats (torch.Tensor): (N_train, C) bank features.
        train_labels (torch.Tensor): (N_train,) bank labels.
        test_feats (torch.Tensor): (N_test, C) query features.
        test_labels (torch.Tensor): (N_test,) query labels.
        num_classes (int, optional): number of classes; None takes the largest
            label plus one. Defaults to None.
        k (int): neighbours. Defaults to 20.
        temperature (float): tau of the vote weights. Defaults to 0.07.

    Returns:
        Dict[str, float]: ``{'top1': %, 'top5': %}``.
    """
    if num_classes is None:
        num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    scores = knn_scores(train_feats, train_labels, test_feats, num_classes, k, temperature)
    return topk_accuracy(scores, test_labels)
