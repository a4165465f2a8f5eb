"""One place for the label API difference between MMAction2 releases.

MMAction2 1.1.0 stores labels as ``data_sample.gt_labels.item`` (a
``LabelData``) and sets them with ``set_gt_labels``; 1.2.0 stores a plain
tensor ``data_sample.gt_label`` set with ``set_gt_label`` and predictions as
``pred_score``. Code in this package reads and writes labels only through
these helpers, so both releases work.
"""
from typing import Sequence

import torch


def get_label(data_sample) -> torch.Tensor:
    """The ground-truth label tensor of one ``ActionDataSample`` (1.1 or 1.2 API)."""
    if 'gt_label' in data_sample:  # mmaction2 >= 1.2
        return data_sample.gt_label
    if 'gt_labels' in data_sample:  # mmaction2 1.1
        return data_sample.gt_labels.item
    raise KeyError('data sample carries no ground-truth label '
                   '(neither gt_label nor gt_labels)')


def get_labels(data_samples: Sequence) -> torch.Tensor:
    """Stack the labels of a batch into a 1-D ``LongTensor`` of shape (N,)."""
    return torch.stack([get_label(s).reshape(-1)[0] for s in data_samples]).long()


def set_label(data_sample, label) -> None:
    """Attach a ground-truth label with whichever setter this release has."""
    if hasattr(data_sample, 'set_gt_label'):
        data_sample.set_gt_label(label)
    else:
        data_sample.set_gt_labels(label)


def set_pred_score(data_sample, score: torch.Tensor) -> None:
    """Attach class scores (1-D tensor) with whichever setter this release has."""
    data_sample.set_pred_score(score)
