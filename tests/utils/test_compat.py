"""Label access works with the 1.1 (gt_labels.item) and 1.2 (gt_label) APIs."""
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.structures import BaseDataElement

from natmae_mm.utils.compat import get_label, get_labels, set_label


def test_mmaction_1_1_api_round_trip():
    sample = ActionDataSample()
    set_label(sample, 4)
    assert int(get_label(sample).reshape(-1)[0]) == 4


class Sample12(BaseDataElement):
    """Mimics mmaction2 1.2's ActionDataSample label API."""

    def set_gt_label(self, value):
        self.gt_label = torch.as_tensor([value]).long()


def test_mmaction_1_2_style_api():
    samples = []
    for label in (3, 0, 7):
        s = Sample12()
        set_label(s, label)
        samples.append(s)
    assert get_labels(samples).tolist() == [3, 0, 7]


def test_missing_label_is_a_clear_error():
    with pytest.raises(KeyError, match='no ground-truth label'):
        get_label(BaseDataElement())
