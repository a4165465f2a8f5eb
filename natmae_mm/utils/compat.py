"""One place for the label API difference between MMAction2 releases.

MMAction2 1.1.0 stores labels as ``data_sample.gt_labels.item`` (a
``LabelData``) and scores as ``pred_scores.item``, set with ``set_gt_labels``;
1.2.0 stores plain tensors ``gt_label`` / ``pred_score`` set with
``set_gt_label``. A prediction dump (``tools/test.py --dump``) holds the same
fields as dicts (``{'gt_labels': {'item': tensor}}`` in 1.1). Code in this
package reads and writes labels only through these helpers, so both releases
(and both forms) work.
"""
from typing import Any, Sequence

import torch


def _field(data_sample: Any, new: str, old: str, what: str) -> torch.Tensor:
    """``data_sample.new`` (1.2) or ``data_sample.old.item`` (1.1); dicts alike."""
    for key in (new, old):
        if key not in data_sample:
            continue
        value = data_sample[key] if isinstance(data_sample, dict) else getattr(data_sample, key)
        if key == old:
            value = value['item'] if isinstance(value, dict) else value.item
        return torch.as_tensor(value)
    keys = sorted(data_sample.keys()) if hasattr(data_sample, 'keys') else []
    raise KeyError(f'data sample carries no {what} (neither {new!r} nor {old!r}; keys: {keys})')


def get_label(data_sample: Any) -> torch.Tensor:
    """The ground-truth label tensor of one ``ActionDataSample`` or dumped dict.

    Args:
        data_sample (ActionDataSample | dict): A sample of either release, or
            its ``to_dict()`` form in a prediction dump.

    Returns:
        torch.Tensor: The label tensor as stored (shape (1,) or ()).
    """
    return _field(data_sample, 'gt_label', 'gt_labels', 'ground-truth label')


def get_labels(data_samples: Sequence) -> torch.Tensor:
    """Stack the labels of a batch into a 1-D ``LongTensor`` of shape (N,)."""
    return torch.stack([get_label(s).reshape(-1)[0] for s in data_samples]).long()


def get_pred_score(data_sample: Any) -> torch.Tensor:
    """The class scores of one prediction as a 1-D tensor of shape (K,).

    Args:
        data_sample (ActionDataSample | dict): A recognizer output of either
            release, or its ``to_dict()`` form in a prediction dump.

    Returns:
        torch.Tensor: Scores (K,).
    """
    return _field(data_sample, 'pred_score', 'pred_scores', 'prediction scores').reshape(-1)


def set_label(data_sample, label) -> None:
    """Attach a ground-truth label with whichever setter this release has."""
    if hasattr(data_sample, 'set_gt_label'):
        data_sample.set_gt_label(label)
    else:
        data_sample.set_gt_labels(label)
