"""Downstream heads give one (K,) score vector per sample, so AccMetric scores them right."""
import pytest
import torch
from mmaction.evaluation import AccMetric
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.registry import init_default_scope

import natmae_mm  # noqa: F401
from natmae_mm.utils.compat import set_label


@pytest.mark.parametrize('head', [
    dict(type='LinearProbeHead', num_classes=3, in_channels=16),
    dict(type='MAMPFinetuneHead', num_classes=3, in_channels=16, num_joints=5, hidden=8),
])
def test_predict_scores_are_per_sample_and_scored_correctly(head):
    init_default_scope('mmaction')
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='RecognizerGCN',
        backbone=dict(type='SkeletonTransformer', num_frames=8, num_joints=5, segment_len=4,
                      embed_dim=16, depth=1, num_heads=2),
        cls_head=head)).eval()
    inputs = torch.randn(4, 1, 2, 8, 5, 3)  # (N, clips, M, T, V, C)
    samples = []
    for _ in range(4):
        s = ActionDataSample()
        set_label(s, 0)
        samples.append(s)
    with torch.no_grad():
        out = model(inputs, samples, mode='predict')
    scores = torch.stack([o.pred_scores.item if 'pred_scores' in o else o.pred_score
                          for o in out])
    assert scores.shape == (4, 3)
    torch.testing.assert_close(scores.sum(dim=1), torch.ones(4))  # probabilities
    # the metric must agree with the argmax computed by hand
    metric = AccMetric(metric_list=('top_k_accuracy', ),
                       metric_options=dict(top_k_accuracy=dict(topk=(1, ))))
    metric.process(None, [o.to_dict() for o in out])
    expected = (scores.argmax(dim=1) == 0).float().mean().item()
    assert metric.compute_metrics(metric.results)['top1'] == pytest.approx(expected)
