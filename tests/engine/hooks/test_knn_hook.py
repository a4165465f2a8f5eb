"""KNNEvalHook and the weighted k-NN it runs, on hand-checkable toy features."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmaction.registry import HOOKS
from mmaction.structures import ActionDataSample
from mmengine.dataset import pseudo_collate
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import BaseModel
from torch.utils.data import DataLoader

from natmae_mm.engine.hooks import KNNEvalHook
from natmae_mm.evaluation.knn import knn_scores
from natmae_mm.utils.compat import set_label

# bank: two class-0 vectors near +x, two class-1 vectors (cosines with the queries
# below are exact: 1, 0.8, 0, -0.6 for +x and 0, 0.6, 1, -0.8 for +y)
BANK = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, -0.8]])
BANK_LABELS = torch.tensor([0, 0, 1, 1])
QUERIES = torch.tensor([[2.0, 0.0], [0.0, 3.0]])  # norms do not matter (cosine)


def test_knn_scores_match_hand_computation():
    s = knn_scores(BANK, BANK_LABELS, QUERIES, num_classes=2, k=3, temperature=1.0)
    e = math.exp
    # DINO's exp(cos / tau) votes, divided per query by exp(max cos / tau) = e
    torch.testing.assert_close(s, torch.tensor([[e(1) + e(0.8), e(0)],
                                                [e(0.6) + e(0), e(1)]]) / e(1))
    # with k=3 the +y query is outvoted by two class-0 neighbours; with k=1 it is class 1
    assert s.argmax(1).tolist() == [0, 0]
    s1 = knn_scores(BANK, BANK_LABELS, QUERIES, num_classes=2, k=1, temperature=1.0)
    assert s1.argmax(1).tolist() == [0, 1]
    # k larger than the bank is clipped; a small temperature sharpens towards 1-NN
    big = knn_scores(BANK, BANK_LABELS, QUERIES, num_classes=2, k=10, temperature=0.01)
    assert big.argmax(1).tolist() == [0, 1]


@pytest.mark.parametrize('kw, match', [
    (dict(k=0), 'k must be'),
    (dict(num_classes=1), 'labels must lie'),
])
def test_knn_scores_bad_input(kw, match):
    args = dict(num_classes=2, k=3)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        knn_scores(BANK, BANK_LABELS, QUERIES, **args)
    with pytest.raises(ValueError, match='shapes do not match'):
        knn_scores(BANK, BANK_LABELS, torch.zeros(2, 3), num_classes=2)


class _Identity(BaseModel):
    """extract_feat returns the inputs: the hook sees the toy features themselves."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.calls = 0

    def extract_feat(self, inputs):
        assert not self.training       # features are taken in eval mode
        self.calls += 1
        return torch.stack(inputs)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return inputs


def _loader(feats, labels, batch_size=3):
    items = []
    for f, y in zip(feats, labels):
        sample = ActionDataSample()
        set_label(sample, torch.tensor([int(y)]))
        items.append(dict(inputs=f, data_samples=sample))
    return DataLoader(items, batch_size=batch_size, collate_fn=pseudo_collate)


def _runner(model, epoch, max_epochs):
    scalars = {}
    vis = SimpleNamespace(add_scalars=lambda d, step: scalars.update({'step': step, **d}))
    from mmengine.runner import Runner
    return SimpleNamespace(model=model, epoch=epoch, max_epochs=max_epochs,
                           train_loop=SimpleNamespace(max_epochs=max_epochs),
                           message_hub=MessageHub.get_instance('knn_hook_test'),
                           visualizer=vis, logger=MMLogger.get_instance('knn_hook_test'),
                           build_dataloader=Runner.build_dataloader, cfg=None), scalars


def test_hook_runs_on_interval_and_publishes_hand_checked_accuracy():
    hook = HOOKS.build(dict(type='KNNEvalHook', interval=2, k=3, temperature=1.0,
                            train_dataloader=_loader(BANK, BANK_LABELS),
                            val_dataloader=_loader(QUERIES, [0, 1])))
    assert isinstance(hook, KNNEvalHook)
    model = _Identity().train()
    runner, scalars = _runner(model, epoch=0, max_epochs=5)
    hook.after_train_epoch(runner)                    # epoch 1 of 5: not due
    assert model.calls == 0 and not scalars
    runner.epoch = 1                                  # epoch 2: due
    hook.after_train_epoch(runner)
    assert model.training                             # train mode restored
    # hand computation above: predictions [0, 0] for labels [0, 1] -> 50 % top-1
    assert hook.last == {'top1': 50.0, 'top5': 100.0}
    assert scalars == {'step': 2, 'knn/top1': 50.0, 'knn/top5': 100.0}
    assert runner.message_hub.get_scalar('knn/top1').current() == 50.0
    runner.epoch = 4                                  # the last epoch always evaluates
    hook.k = 1
    hook.after_train_epoch(runner)
    assert hook.last['top1'] == 100.0


def test_hook_rejects_bad_arguments():
    with pytest.raises(ValueError, match='interval'):
        KNNEvalHook(interval=0)
    with pytest.raises(ValueError, match='k must'):
        KNNEvalHook(k=0)
