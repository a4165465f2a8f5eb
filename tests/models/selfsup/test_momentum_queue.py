"""MomentumKeyQueue: the ring buffer, the one hand-over of the online encoder, the
old ``MomentumContrastNeck`` configs and checkpoints."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS

import natmae_mm  # noqa: F401
from natmae_mm.models.selfsup import MomentumKeyQueue
from natmae_mm.models.selfsup.natmae import split_contrast_config

from .test_natmae import ENC, M, T, V, natmae_cfg


def _queue(queue_len):
    encoder = MODELS.build(dict(type='SkeletonTransformer', **ENC))
    return MomentumKeyQueue(encoder, queue_len=queue_len)


def test_ring_buffer_rows_hand_checked():
    q = _queue(5)
    e = torch.eye(16)
    q.enqueue(3 * e[0:3])  # a0 a1 a2 -> rows 0 1 2 (normalised), ptr 3
    assert torch.equal(q.queue[:3], e[0:3]) and (q.queue[3:] == 0).all()
    assert q.queue_ptr.item() == 3
    queue, valid = q.negatives()
    assert valid.tolist() == [True, True, True, False, False]
    q.enqueue(e[3:7])  # b0..b3 does not fit in the 2 free rows: rows 3 4, then 0 1
    assert torch.equal(q.queue, e[[5, 6, 2, 3, 4]]) and q.queue_ptr.item() == 2
    before = torch.zeros(5, 16)
    before[:3] = e[0:3]
    assert torch.equal(queue, before)  # negatives() gave a copy
    q.enqueue(e[7:14])  # 7 keys > N_Q at ptr 2: rows 2 3 4 0 1 2 3, the last 5 survive
    assert torch.equal(q.queue, e[[10, 11, 12, 13, 9]]) and q.queue_ptr.item() == 4
    assert q.negatives()[1].all()


def test_online_encoder_is_handed_over_once_and_saved_once():
    model = MODELS.build(natmae_cfg())
    assert model.contrast.online_encoder is model.backbone
    assert 'online_encoder' not in dict(model.contrast.named_children())
    names = [n for n, _ in model.named_parameters()]
    assert len(names) == len(set(names))
    assert not any('online_encoder' in k for k in model.state_dict())
    clone = copy.deepcopy(model)  # e.g. MMEngine's EMAHook: the reference follows the copy
    assert clone.contrast.online_encoder is clone.backbone


def _main_b5d71eb_keys(model):
    """State-dict keys of a NATMAE with contrast as the ``MomentumContrastNeck`` of main
    b5d71eb wrote them: the online encoder's keys under ``momentum_encoder.module.``,
    the EMA step counter, the queue and its pointer."""
    online = [k[len('backbone.'):] for k in model.state_dict() if k.startswith('backbone.')]
    return ({'contrast.momentum_encoder.module.' + k for k in online}
            | {'contrast.momentum_encoder.steps', 'contrast.queue', 'contrast.queue_ptr'})


def test_checkpoint_with_the_old_key_names_loads_with_identical_tensors():
    torch.manual_seed(0)
    model = MODELS.build(natmae_cfg(queue_len=8))
    state = model.state_dict()
    assert {k for k in state if k.startswith('contrast.')} == _main_b5d71eb_keys(model)
    # an old checkpoint: other values under the same names
    old = {k: (torch.randn_like(v) if v.is_floating_point() else v + 3) for k, v in state.items()}
    old['contrast.queue'] = F.normalize(torch.randn(8, 16), dim=1)
    old['contrast.queue'][6:] = 0  # two empty slots
    old['contrast.queue_ptr'] = torch.tensor([6])
    old['contrast.momentum_encoder.steps'] = torch.tensor(41)
    fresh = MODELS.build(natmae_cfg(queue_len=8))
    assert not fresh.load_state_dict(old, strict=True).missing_keys
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, old[k]), k
    assert fresh.contrast.negatives()[1].tolist() == [True] * 6 + [False] * 2
    out = fresh(torch.randn(2, 1, M, T, V, 3), mode='loss')  # and it trains on from there
    assert torch.isfinite(out['loss_con']) and fresh.contrast.queue_ptr.item() == 0
    assert fresh.contrast.momentum_encoder.steps.item() == 42


def test_old_momentum_contrast_neck_config_builds_the_same_model():
    assert MODELS.get('MomentumContrastNeck') is MomentumKeyQueue
    legacy = natmae_cfg()
    legacy['contrast'] = dict(type='MomentumContrastNeck', momentum=0.9, queue_len=4,
                              temperature=0.2, loss_weight=0.5)
    new = natmae_cfg(queue_len=4, momentum=0.9, temperature=0.2, loss_weight=0.5)
    x = torch.randn(2, 1, M, T, V, 3)
    outs = []
    for cfg in (legacy, new):
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        loss = model.contrast_head.loss_module
        assert (loss.temperature, loss.loss_weight) == (0.2, 0.5)
        assert model.contrast.momentum == 0.9
        torch.manual_seed(1)
        outs.append(model(x, mode='loss'))
    for k in outs[0]:
        assert torch.equal(outs[0][k], outs[1][k]), k


def test_split_contrast_config():
    queue, head = split_contrast_config(dict(queue_len=8))  # a derived config's override
    assert queue == dict(type='MomentumKeyQueue', queue_len=8)
    assert head == dict(type='SkeletonContrastHead')
    # an old config merged onto the new base: its top-level values win
    base_head = dict(type='SkeletonContrastHead',
                     loss=dict(type='InfoNCELoss', temperature=0.07, loss_weight=1e-4))
    cfg = dict(type='MomentumContrastNeck', queue_len=8, loss_weight=1e-3, head=base_head)
    queue, head = split_contrast_config(cfg)
    assert queue == dict(type='MomentumContrastNeck', queue_len=8)
    assert head['loss'] == dict(type='InfoNCELoss', temperature=0.07, loss_weight=1e-3)
    assert base_head['loss']['loss_weight'] == 1e-4  # the caller's dict is not changed
    _, head = split_contrast_config(dict(temperature=0.2))
    assert head['loss'] == dict(type='InfoNCELoss', temperature=0.2, loss_weight=1e-4)


@pytest.mark.parametrize('kwargs, match', [
    (dict(queue_len=0), 'queue_len'), (dict(queue_len=True), 'queue_len'),
    (dict(queue_len=8.0), 'queue_len'), (dict(instance='sequence'), 'instance'),
    (dict(momentum=0.), 'momentum')])
def test_bad_arguments(kwargs, match):
    encoder = MODELS.build(dict(type='SkeletonTransformer', **ENC))
    with pytest.raises(ValueError, match=match):
        MomentumKeyQueue(encoder, **kwargs)
    with pytest.raises(TypeError, match='forward_tokens'):
        MomentumKeyQueue(torch.nn.Linear(2, 2))


def test_every_shipped_config_sets_lambda_and_tau_once_in_the_head_loss():
    import glob
    import os.path as osp

    from mmengine.config import Config
    root = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs')
    seen = 0
    for path in sorted(glob.glob(osp.join(root, 'natmae', '**', '*.py'), recursive=True)):
        model = Config.fromfile(path).get('model', {})
        if model.get('type') != 'NATMAE' or not model.get('contrast'):
            continue
        queue, head = split_contrast_config(model['contrast'])
        assert queue['type'] == 'MomentumKeyQueue' and queue['momentum'] == 0.999, path
        assert set(queue) <= {'type', 'momentum', 'queue_len', 'instance'}, path
        assert head['loss'] == dict(type='InfoNCELoss', temperature=0.07, loss_weight=1e-4), path
        seen += 1
    assert seen >= 10  # the NTU / PKU / N-UCLA / demo pretraining recipes with contrast
