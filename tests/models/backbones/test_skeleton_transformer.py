import pytest
import torch
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope

import natmae_mm  # noqa: F401
from natmae_mm.models.backbones import SkeletonTransformer

TINY = dict(num_frames=8, num_joints=5, segment_len=4, embed_dim=16, depth=2, num_heads=2)


def test_output_layout_and_joint_counts():
    for v in (25, 20):
        model = SkeletonTransformer(**{**TINY, 'num_joints': v})
        out = model(torch.randn(3, 2, 8, v, 3))
        assert out.shape == (3, 2, 16, 2, v)  # (N, M, C_e, T/l, V)


def test_persons_are_folded_into_batch_independently():
    torch.manual_seed(0)
    model = SkeletonTransformer(**TINY).eval()
    x = torch.randn(2, 2, 8, 5, 3)
    x[1, 1] = 0  # a zero-padded person is kept and encoded
    out = model(x)
    alone = model.forward_tokens(x[1, 0][None])  # (1, L, C_e)
    expected = alone.reshape(1, 2, 5, 16).permute(0, 3, 1, 2)[0]  # (C_e, T/l, V)
    torch.testing.assert_close(out[1, 0], expected)
    assert torch.isfinite(out[1, 1]).all()


def test_segment_embedding_is_linear_on_frame_major_coords():
    model = SkeletonTransformer(**TINY)
    x = torch.randn(1, 8, 5, 3)
    emb = model.embed(x) - (model.temporal_pos + model.joint_pos).reshape(1, 10, 16)
    # token (t=1, v=3) = W @ [frames 4..7 of joint 3, frame major, then x, y, z] + b
    seg = x[0, 4:8, 3, :].reshape(-1)
    manual = model.joint_embed.weight @ seg + model.joint_embed.bias
    torch.testing.assert_close(emb[0, 1 * 5 + 3], manual)


def test_bad_configuration_and_input_shapes():
    with pytest.raises(ValueError, match='divisible'):
        SkeletonTransformer(**{**TINY, 'num_frames': 10})
    model = SkeletonTransformer(**TINY)
    with pytest.raises(ValueError, match=r'T=8, V=5, C=3.*got \(2, 2, 8, 6, 3\)'):
        model(torch.randn(2, 2, 8, 6, 3))
    with pytest.raises(ValueError, match='got'):
        model.forward_tokens(torch.randn(2, 12, 5, 3))
    with pytest.raises(ValueError, match='attention'):
        SkeletonTransformer(**TINY, attention='flash')


def test_sdpa_and_eager_attention_agree():
    torch.manual_seed(1)
    a = SkeletonTransformer(**TINY, attention='sdpa').eval()
    b = SkeletonTransformer(**TINY, attention='eager').eval()
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 2, 8, 5, 3)
    torch.testing.assert_close(a(x), b(x), atol=1e-5, rtol=1e-5)


def test_init_statistics():
    model = SkeletonTransformer(in_channels=3, num_frames=120, num_joints=25, embed_dim=256,
                                depth=1)
    assert model.temporal_pos.shape == (1, 30, 1, 256)
    assert model.joint_pos.shape == (1, 1, 25, 256)
    assert abs(model.temporal_pos.std().item() - 0.02) < 0.004
    assert abs(model.joint_pos.std().item() - 0.02) < 0.006  # (MAMP truncates at +-2 absolute)
    w = model.blocks[0].mlp.fc1.weight  # xavier uniform bound sqrt(6 / (fan_in + fan_out))
    assert w.abs().max() <= (6 / (256 + 1024)) ** 0.5 + 1e-6
    assert model.blocks[0].mlp.fc1.bias.abs().sum() == 0


def test_get_layer_depth():
    model = SkeletonTransformer(**TINY)
    assert model.get_layer_depth('backbone.joint_embed.weight', 'backbone.') == (0, 4)
    assert model.get_layer_depth('backbone.temporal_pos', 'backbone.') == (0, 4)
    assert model.get_layer_depth('backbone.joint_pos', 'backbone.') == (0, 4)
    assert model.get_layer_depth('backbone.blocks.0.attn.qkv.weight', 'backbone.') == (1, 4)
    assert model.get_layer_depth('backbone.blocks.1.mlp.fc2.bias', 'backbone.') == (2, 4)
    assert model.get_layer_depth('backbone.norm.weight', 'backbone.') == (3, 4)
    assert model.get_layer_depth('cls_head.fc.weight', 'backbone.') == (3, 4)
    assert model.get_layer_depth('blocks.1.norm1.weight') == (2, 4)


def test_frozen_keeps_eval_and_no_grad():
    model = SkeletonTransformer(**TINY, drop_path_rate=0.5, frozen=True)
    model.train()
    assert not model.training and not any(m.training for m in model.modules())
    assert not any(p.requires_grad for p in model.parameters())
    x = torch.randn(1, 1, 8, 5, 3)
    torch.testing.assert_close(model(x), model(x))  # drop path inactive


def test_drop_path_is_stochastic_in_train_mode():
    torch.manual_seed(0)
    model = SkeletonTransformer(**TINY, drop_path_rate=0.9).train()
    x = torch.randn(4, 2, 8, 5, 3)
    assert not torch.allclose(model(x), model(x))


def _recognizer(backbone_extra=None):
    init_default_scope('mmaction')
    return MODELS.build(dict(
        type='RecognizerGCN',
        backbone=dict(type='SkeletonTransformer', **TINY, **(backbone_extra or {})),
        cls_head=dict(type='GCNHead', num_classes=4, in_channels=16),
        data_preprocessor=dict(type='ActionDataPreprocessor')))


def _batch(n=2):
    from mmaction.structures import ActionDataSample

    from natmae_mm.utils.compat import set_label
    samples = []
    for i in range(n):
        s = ActionDataSample()
        set_label(s, torch.tensor([i % 4]))
        samples.append(s)
    return dict(inputs=[torch.randn(1, 2, 8, 5, 3) for _ in range(n)], data_samples=samples)


def test_recognizer_gcn_with_gcn_head_train_step():
    from mmengine.optim import OptimWrapper
    torch.manual_seed(0)
    model = _recognizer()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = model.backbone.joint_embed.weight.clone()
    log = model.train_step(_batch(), optim)
    assert torch.isfinite(log['loss'])
    assert not torch.equal(before, model.backbone.joint_embed.weight)
    preds = model.test_step(_batch())
    assert len(preds) == 2


def test_pretrained_prefix_loading(tmp_path):
    torch.manual_seed(0)
    pre = MODELS.build(dict(type='MaskedSkeletonTransformer', mask_ratio=0.5, **TINY))
    ckpt = tmp_path / 'pre.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in pre.state_dict().items()}}, ckpt)
    model = _recognizer(dict(init_cfg=dict(type='Pretrained', checkpoint=str(ckpt),
                                           prefix='backbone.')))
    model.init_weights()
    for k, v in pre.state_dict().items():
        torch.testing.assert_close(model.backbone.state_dict()[k], v)
