"""LayerDecayOptimWrapperConstructor: groups against hand-computed lr scales."""
import pytest
import torch
import torch.nn as nn
from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.optim import CosineAnnealingLR

import natmae_mm  # noqa: F401


class TinyBackbone(nn.Module):
    """embed (layer 0), two blocks (layers 1, 2), norm (layer 3): 4 layers."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(3, 4)
        self.pos = nn.Parameter(torch.zeros(1, 2, 4))
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
        self.norm = nn.LayerNorm(4)
        self.frozen = nn.Parameter(torch.zeros(4, 4), requires_grad=False)

    def get_layer_depth(self, name, prefix=''):
        name = name[len(prefix):]
        if name.startswith(('embed', 'pos')):
            return 0, 4
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1, 4
        return 3, 4


class TinyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = TinyBackbone()
        self.cls_head = nn.Linear(4, 2)


def _build(model, lr=1e-3, wd=0.05, **paramwise):
    paramwise.setdefault('layer_decay_rate', 0.8)
    ctor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='LayerDecayOptimWrapperConstructor',
        optim_wrapper_cfg=dict(optimizer=dict(type='AdamW', lr=lr, weight_decay=wd)),
        paramwise_cfg=paramwise))
    return ctor(model)


def _by_param(optim_wrapper):
    out = {}
    for g in optim_wrapper.optimizer.param_groups:
        for name in g['param_names']:
            out[name] = (g['lr'], g['weight_decay'])
    return out


EXPECTED = {  # name: (lr, weight decay); 0.8 ** (4 - 1 - layer)
    'backbone.embed.weight': (1e-3 * 0.8 ** 3, 0.05),
    'backbone.embed.bias': (1e-3 * 0.8 ** 3, 0.),
    'backbone.pos': (1e-3 * 0.8 ** 3, 0.05),
    'backbone.blocks.0.weight': (1e-3 * 0.8 ** 2, 0.05),
    'backbone.blocks.0.bias': (1e-3 * 0.8 ** 2, 0.),
    'backbone.blocks.1.weight': (1e-3 * 0.8, 0.05),
    'backbone.blocks.1.bias': (1e-3 * 0.8, 0.),
    'backbone.norm.weight': (1e-3, 0.),
    'backbone.norm.bias': (1e-3, 0.),
    'cls_head.weight': (1e-3, 0.05),
    'cls_head.bias': (1e-3, 0.),
}


def test_groups_match_hand_computed_scales():
    model = TinyModel()
    got = _by_param(_build(model))
    assert set(got) == set(EXPECTED)  # the frozen parameter is left out
    for name, (lr, wd) in EXPECTED.items():
        assert got[name][0] == pytest.approx(lr, rel=1e-12), name
        assert got[name][1] == wd, name
    groups = _build(model).optimizer.param_groups
    n_params = sum(len(g['params']) for g in groups)
    assert n_params == len(EXPECTED)
    # one group per (layer, decay): embed/pos/blocks/norm/head x decay/no_decay, norm no_decay only
    assert len(groups) == 9


def test_no_decay_names_and_ddp_unwrap():
    class Wrapped(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.module = m

    got = _by_param(_build(Wrapped(TinyModel()), no_decay_names=('pos',)))
    assert got['backbone.pos'] == (pytest.approx(1e-3 * 0.512), 0.)
    assert got['backbone.embed.weight'][1] == 0.05


def test_cosine_eta_min_ratio_keeps_layer_ratios():
    """The fine-tune schedule: every group ends at its own lr_scale * min lr."""
    ow = _build(TinyModel(), lr=3e-4)
    sched = CosineAnnealingLR(ow.optimizer, T_max=10, eta_min_ratio=1e-5 / 3e-4, by_epoch=False)
    for _ in range(10):
        ow.optimizer.step()
        sched.step()
    for g in ow.optimizer.param_groups:
        assert g['lr'] == pytest.approx(1e-5 * g['lr_scale'], rel=1e-6)


def test_real_skeleton_transformer_scales():
    from mmaction.registry import MODELS
    bb = MODELS.build(dict(type='SkeletonTransformer', num_frames=8, num_joints=3,
                           embed_dim=8, depth=3, num_heads=2))
    model = TinyModel()
    model.backbone = bb
    got = _by_param(_build(model, lr=1.0, layer_decay_rate=0.5))
    # num_layers = depth + 2 = 5 -> embeddings 0.5**4, block i 0.5**(3-i), norm 1
    assert got['backbone.joint_embed.weight'][0] == pytest.approx(0.5 ** 4)
    assert got['backbone.temporal_pos'][0] == pytest.approx(0.5 ** 4)
    assert got['backbone.joint_pos'][0] == pytest.approx(0.5 ** 4)
    for i in range(3):
        names = [n for n in got if n.startswith(f'backbone.blocks.{i}.')]
        assert names and all(got[n][0] == pytest.approx(0.5 ** (3 - i)) for n in names)
    assert got['backbone.norm.weight'] == (1.0, 0.)
    assert got['cls_head.weight'] == (1.0, 0.05)


@pytest.mark.parametrize('paramwise, err, match', [
    (dict(), ValueError, 'layer_decay_rate'),
    (dict(layer_decay_rate=0.), ValueError, r'\(0, 1\]'),
    (dict(layer_decay_rate=1.5), ValueError, r'\(0, 1\]'),
    (dict(layer_decay_rate=0.8, bias_decay_mult=0.), ValueError, 'bias_decay_mult'),
])
def test_bad_paramwise_cfg(paramwise, err, match):
    with pytest.raises(err, match=match):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
            type='LayerDecayOptimWrapperConstructor',
            optim_wrapper_cfg=dict(optimizer=dict(type='AdamW', lr=1e-3)),
            paramwise_cfg=paramwise))


def test_backbone_without_layer_depth_raises():
    model = nn.Module()
    model.backbone = nn.Linear(2, 2)
    with pytest.raises(TypeError, match='get_layer_depth'):
        _build(model)


def test_layer_id_out_of_range_raises():
    model = TinyModel()
    model.backbone.get_layer_depth = lambda name, prefix='': (7, 4)
    with pytest.raises(ValueError, match='outside'):
        _build(model)
