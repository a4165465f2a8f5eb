"""MAMPFinetuneHead: joint-major flattening, person/time means, MLP, smoothing."""
import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

import natmae_mm  # noqa: F401
from natmae_mm.utils.compat import set_label


def _head(**kw):
    cfg = dict(type='MAMPFinetuneHead', num_classes=4, in_channels=2, num_joints=3,
               hidden=6, dropout=0.3)
    cfg.update(kw)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def test_feature_layout_hand_computed():
    """With fc1 = I and fc2 = I the logits are ReLU(BN(f)), f computed by loops."""
    head = _head(num_classes=6, hidden=6).eval()  # V*C = 6
    with torch.no_grad():
        head.fc1.weight.copy_(torch.eye(6))
        head.fc1.bias.zero_()
        head.fc2.weight.copy_(torch.eye(6))
        head.fc2.bias.zero_()
    N, M, C, T, V = 2, 2, 2, 3, 3
    x = torch.randn(N, M, C, T, V)
    f = torch.zeros(N, V * C)
    for n in range(N):
        for v in range(V):
            for c in range(C):
                total = sum(x[n, m, c, t, v] for m in range(M) for t in range(T))
                f[n, v * C + c] = total / (M * T)
    expected = torch.relu(f / (1 + 1e-5) ** 0.5)  # eval BN (eps 1e-5, affine 1/0)
    torch.testing.assert_close(head(x), expected)


def test_dropout_only_in_training():
    head = _head(dropout=0.5)
    x = torch.randn(8, 2, 2, 3, 3)
    head.eval()
    torch.testing.assert_close(head(x), head(x))
    head.train()
    torch.manual_seed(0)
    a = head(x)
    torch.manual_seed(1)
    b = head(x)
    assert not torch.allclose(a, b)


def test_init_and_shapes():
    head = _head(num_classes=60, in_channels=8, num_joints=25, hidden=32)
    assert head.fc1.weight.shape == (32, 25 * 8)
    assert head.fc2.weight.shape == (60, 32)
    assert torch.all(head.fc1.bias == 0) and torch.all(head.fc2.bias == 0)
    bound = (6 / (25 * 8 + 32)) ** 0.5  # xavier-uniform
    assert head.fc1.weight.abs().max() <= bound


def test_label_smoothing_matches_closed_form():
    head = _head(label_smooth_eps=0.1).eval()
    x = torch.randn(5, 2, 2, 3, 3)
    labels = torch.tensor([0, 3, 1, 1, 2])
    samples = []
    for y in labels:
        s = ActionDataSample()
        set_label(s, y.view(1))
        samples.append(s)
    losses = head.loss(x, samples)
    logp = F.log_softmax(head(x), dim=1)
    K, eps = 4, 0.1
    target = torch.full((5, K), eps / K)
    target[torch.arange(5), labels] += 1 - eps
    expected = -(target * logp).sum(1).mean()
    torch.testing.assert_close(losses['loss_cls'], expected)
    assert 'top1_acc' in losses


def test_wrong_shape_raises():
    head = _head()
    with pytest.raises(ValueError, match='V=3'):
        head(torch.randn(2, 2, 2, 3, 4))  # 4 joints
    with pytest.raises(ValueError, match='C=2'):
        head(torch.randn(2, 2, 5, 3, 3))
