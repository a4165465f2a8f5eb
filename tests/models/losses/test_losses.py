import math

import pytest
import torch
from mmaction.registry import MODELS

import natmae_mm  # noqa: F401
from natmae_mm.models.losses import InfoNCELoss, MaskedMSELoss


def test_masked_mse_by_hand():
    pred = torch.tensor([[[1., 1.], [0., 0.], [2., 0.]]])
    target = torch.zeros(1, 3, 2)
    mask = torch.tensor([[1., 0., 1.]])
    # per-token means: 1, 0, 2 -> masked tokens 0 and 2 -> (1 + 2) / 2
    assert MaskedMSELoss()(pred, target, mask).item() == pytest.approx(1.5)
    assert MaskedMSELoss(loss_weight=2.)(pred, target, mask).item() == pytest.approx(3.0)
    with pytest.raises(ValueError, match='do not match'):
        MaskedMSELoss()(pred, target, mask[:, :2])


def test_reconstruction_head_uses_configured_loss():
    head = MODELS.build(dict(type='SkeletonReconstructionHead'))
    pred = torch.tensor([[[3., 0.]]])
    assert head.loss(pred, torch.zeros(1, 1, 2), torch.ones(1, 1)).item() == pytest.approx(4.5)
    head = MODELS.build(dict(type='SkeletonReconstructionHead',
                             loss=dict(type='MaskedMSELoss', loss_weight=0.5)))
    assert head.loss(pred, torch.zeros(1, 1, 2), torch.ones(1, 1)).item() == pytest.approx(2.25)


def test_info_nce_closed_form():
    pos = torch.tensor([0.5, -0.2])
    neg = torch.tensor([[0.1, 0.3, -1.0], [0.9, 0.0, float('-inf')]])
    tau = 0.07
    expected = []
    for p, n in zip(pos.tolist(), neg.tolist()):
        den = math.exp(p / tau) + sum(math.exp(v / tau) for v in n if v != float('-inf'))
        expected.append(-math.log(math.exp(p / tau) / den))
    out = InfoNCELoss(temperature=tau)(pos, neg)
    assert out.item() == pytest.approx(sum(expected) / 2, rel=1e-5)
    weighted = InfoNCELoss(temperature=tau, loss_weight=1e-4)(pos, neg)  # lambda of Eq. 10
    assert weighted.item() == pytest.approx(1e-4 * sum(expected) / 2, rel=1e-5)
    with pytest.raises(ValueError, match='temperature'):
        InfoNCELoss(temperature=0)
    with pytest.raises(ValueError, match=r'pos \(N,\)'):
        InfoNCELoss()(pos[:1], neg)
