"""LinearProbeHead: pooling order, parameter-free BN, linear layer, loss."""
import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import natmae_mm  # noqa: F401
from natmae_mm.utils.compat import set_label


def _samples(labels):
    out = []
    for y in labels:
        s = ActionDataSample()
        set_label(s, torch.tensor([y]))
        out.append(s)
    return out


def _head(num_classes=3, in_channels=2):
    head = MODELS.build(dict(type='LinearProbeHead', num_classes=num_classes,
                             in_channels=in_channels))
    head.init_weights()
    return head


def test_pooling_bn_linear_hand_computed():
    head = _head(num_classes=2, in_channels=2).eval()
    with torch.no_grad():
        head.fc.weight.copy_(torch.tensor([[1., 0.], [1., -1.]]))
        head.fc.bias.copy_(torch.tensor([0.5, 0.]))
    # (N=1, M=2, C=2, T=2, V=2): person 0 is all 2 on channel 0 and all 4 on
    # channel 1; person 1 is zero padding -> pooled feature (1, 2).
    x = torch.zeros(1, 2, 2, 2, 2)
    x[0, 0, 0] = 2.
    x[0, 0, 1] = 4.
    s = 1 / (1 + 1e-6) ** 0.5  # eval BN: running mean 0, var 1, no affine
    expected = torch.tensor([[1. * s + 0.5, (1. - 2.) * s]])
    torch.testing.assert_close(head(x), expected)


def test_train_mode_bn_standardises_features():
    head = _head(num_classes=2, in_channels=2).train()
    with torch.no_grad():
        head.fc.weight.copy_(torch.eye(2))
        head.fc.bias.zero_()
    x = torch.randn(16, 2, 2, 3, 4) * 5 + 3
    out = head(x)
    torch.testing.assert_close(out.mean(0), torch.zeros(2), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.var(0, unbiased=False), torch.ones(2), atol=1e-4, rtol=0)


def test_bn_has_no_affine_parameters_and_init():
    torch.manual_seed(0)
    head = _head(num_classes=50, in_channels=64)
    names = {n for n, _ in head.named_parameters()}
    assert names == {'fc.weight', 'fc.bias'}
    assert torch.all(head.fc.bias == 0)
    assert 0.0093 < head.fc.weight.std().item() < 0.0107  # std 0.01 (3200 draws)
    assert head.bn.eps == 1e-6 and not head.bn.affine


def test_loss_and_accuracy():
    head = _head(num_classes=3, in_channels=2).eval()
    x = torch.randn(4, 2, 2, 3, 5)
    labels = [0, 2, 1, 2]
    losses = head.loss(x, _samples(labels))
    logits = head(x)
    torch.testing.assert_close(losses['loss_cls'], F.cross_entropy(logits, torch.tensor(labels)))
    acc = (logits.argmax(1) == torch.tensor(labels)).float().mean()
    torch.testing.assert_close(losses['top1_acc'].float(), acc.double().float())


def test_wrong_shape_raises():
    head = _head(num_classes=3, in_channels=2)
    with pytest.raises(ValueError, match='expects features'):
        head(torch.randn(2, 2, 3, 4, 5))  # C=3 != in_channels=2
    with pytest.raises(ValueError, match='expects features'):
        head(torch.randn(2, 2, 4))
