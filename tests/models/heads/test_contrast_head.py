"""SkeletonContrastHead: Eqs. 8-9 by hand, the empty-slot mask, the accuracy, bad shapes."""
import math

import pytest
import torch
from mmaction.registry import MODELS

import natmae_mm  # noqa: F401


def _cos(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_loss_and_accuracy_hand_computed_with_an_empty_slot():
    head = MODELS.build(dict(type='SkeletonContrastHead',
                             loss=dict(type='InfoNCELoss', temperature=0.5, loss_weight=2.)))
    query = torch.tensor([[3., 0.], [1., 2.]])  # not unit norm: the head normalises (Eq. 8)
    key = torch.tensor([[2., 2.], [1., 3.]])
    queue = torch.tensor([[1., 0.], [0., 1.], [0., 0.]])  # unit keys, one empty slot
    valid = torch.tensor([True, True, False])
    out = head.loss(query, key, queue, valid)
    losses, wins = [], 0
    for q, k in zip(query.tolist(), key.tolist()):
        pos = _cos(q, k)
        negs = [_cos(q, n) for n in queue[:2].tolist()]
        den = math.exp(pos / 0.5) + sum(math.exp(n / 0.5) for n in negs)
        losses.append(-math.log(math.exp(pos / 0.5) / den))
        wins += all(pos > n for n in negs)
    assert out['loss_con'].item() == pytest.approx(2. * sum(losses) / 2, rel=1e-6)
    # query 0 is closer to queue row 0 than to its key, query 1 beats both negatives
    assert wins == 1 and out['acc_con'].item() == 50.
    # without the mask the zero row is a negative with cosine 0: a different loss
    unmasked = head.loss(query, key, queue)['loss_con']
    assert unmasked.item() > out['loss_con'].item()
    # a query equal to its key outranks every negative
    assert head.loss(key[:1], key[:1], queue, valid)['acc_con'].item() == 100.


def test_default_is_the_papers_infonce_and_gradient_reaches_only_the_query():
    head = MODELS.build(dict(type='SkeletonContrastHead'))
    assert (head.loss_module.temperature, head.loss_module.loss_weight) == (0.07, 1e-4)
    assert not list(head.parameters()) and not list(head.buffers())  # stateless
    query = torch.randn(4, 8, requires_grad=True)
    out = head.loss(query, torch.randn(4, 8), torch.nn.functional.normalize(torch.randn(6, 8)))
    out['loss_con'].backward()
    assert query.grad.abs().sum() > 0 and not out['acc_con'].requires_grad


def test_bad_shapes():
    head = MODELS.build(dict(type='SkeletonContrastHead'))
    q, queue = torch.randn(2, 4), torch.randn(3, 4)
    with pytest.raises(ValueError, match='query and key'):
        head.loss(q, torch.randn(3, 4), queue)
    with pytest.raises(ValueError, match=r'queue \(N_Q, C=4\)'):
        head.loss(q, q, torch.randn(3, 5))
    with pytest.raises(ValueError, match='bool mask'):
        head.loss(q, q, queue, torch.ones(3))
    with pytest.raises(ValueError, match='bool mask'):
        head.loss(q, q, queue, torch.ones(2, dtype=torch.bool))
