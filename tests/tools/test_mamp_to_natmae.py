"""MAMP checkpoint conversion: names, safe loading, and features equal to MAMP's forward."""
import argparse
import importlib.util
import math
import os
import pickle

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS

import natmae_mm  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'mamp_to_natmae', os.path.join(ROOT, 'tools', 'convert', 'mamp_to_natmae.py'))
conv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conv)

T, V, C, L_SEG, D, DEPTH, HEADS = 8, 5, 3, 4, 16, 2, 2


def mamp_state_dict(decoder=True, head=False):
    """Random weights under MAMP's parameter names (model_mamp/transformer.py)."""
    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g) * 0.3  # noqa: E731
    sd = {'joints_embed.proj.weight': r(D, C, L_SEG, 1), 'joints_embed.proj.bias': r(D),
          'temp_embed': r(1, T // L_SEG, 1, D), 'pos_embed': r(1, 1, V, D),
          'norm.weight': 1 + r(D), 'norm.bias': r(D)}
    for i in range(DEPTH):
        p = f'blocks.{i}.'
        sd.update({p + 'norm1.weight': 1 + r(D), p + 'norm1.bias': r(D),
                   p + 'attn.qkv.weight': r(3 * D, D), p + 'attn.qkv.bias': r(3 * D),
                   p + 'attn.proj.weight': r(D, D), p + 'attn.proj.bias': r(D),
                   p + 'norm2.weight': 1 + r(D), p + 'norm2.bias': r(D),
                   p + 'mlp.fc1.weight': r(4 * D, D), p + 'mlp.fc1.bias': r(4 * D),
                   p + 'mlp.fc2.weight': r(D, 4 * D), p + 'mlp.fc2.bias': r(D)})
    if decoder:
        sd.update({'decoder_embed.weight': r(8, D), 'decoder_embed.bias': r(8),
                   'mask_token': r(1, 1, 8), 'decoder_temp_embed': r(1, T // L_SEG, 1, 8),
                   'decoder_pos_embed': r(1, 1, V, 8), 'decoder_norm.weight': r(8),
                   'decoder_norm.bias': r(8), 'decoder_pred.weight': r(L_SEG * C, 8),
                   'decoder_pred.bias': r(L_SEG * C)})
        for name, shape in [('norm1.weight', (8,)), ('norm1.bias', (8,)),
                            ('attn.qkv.weight', (24, 8)), ('attn.qkv.bias', (24,)),
                            ('attn.proj.weight', (8, 8)), ('attn.proj.bias', (8,)),
                            ('norm2.weight', (8,)), ('norm2.bias', (8,)),
                            ('mlp.fc1.weight', (32, 8)), ('mlp.fc1.bias', (32,)),
                            ('mlp.fc2.weight', (8, 32)), ('mlp.fc2.bias', (8,))]:
            sd[f'decoder_blocks.0.{name}'] = r(*shape)
    if head:
        sd.update({'head.fc.weight': r(4, D), 'head.fc.bias': r(4)})
    return sd


def mamp_features(sd, x):
    """Independent functional forward with MAMP's names: x (NM, T, V, C) -> (NM, L, D)."""
    h = F.conv2d(x.permute(0, 3, 1, 2), sd['joints_embed.proj.weight'],
                 sd['joints_embed.proj.bias'], stride=(L_SEG, 1))  # (NM, D, T/l, V)
    h = h.permute(0, 2, 3, 1) + sd['pos_embed'] + sd['temp_embed']  # (NM, T/l, V, D)
    h = h.reshape(h.shape[0], -1, D)
    for i in range(DEPTH):
        w = lambda n, i=i: sd[f'blocks.{i}.{n}']  # noqa: E731
        y = F.layer_norm(h, (D,), w('norm1.weight'), w('norm1.bias'))
        qkv = F.linear(y, w('attn.qkv.weight'), w('attn.qkv.bias'))
        q, k, v = qkv.reshape(h.shape[0], -1, 3, HEADS, D // HEADS).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(D // HEADS), dim=-1) @ v
        a = a.transpose(1, 2).reshape(h.shape)
        h = h + F.linear(a, w('attn.proj.weight'), w('attn.proj.bias'))
        y = F.layer_norm(h, (D,), w('norm2.weight'), w('norm2.bias'))
        y = F.linear(F.gelu(F.linear(y, w('mlp.fc1.weight'), w('mlp.fc1.bias'))),
                     w('mlp.fc2.weight'), w('mlp.fc2.bias'))
        h = h + y
    return F.layer_norm(h, (D,), sd['norm.weight'], sd['norm.bias'])


def test_converted_backbone_reproduces_mamp_features(tmp_path):
    sd = mamp_state_dict(decoder=True)
    src, dst = tmp_path / 'mamp.pth', tmp_path / 'out' / 'natmae.pth'
    torch.save({'model': sd, 'args': argparse.Namespace(mask_ratio=0.9, lr=1e-3,
                                                        input_size=[120, 25]),
                'epoch': 399}, src)
    with pytest.raises(pickle.UnpicklingError):  # why the converter is needed
        torch.load(src, weights_only=True)
    assert conv.main([str(src), str(dst)]) == 0
    assert sorted(os.listdir(dst.parent)) == ['natmae.pth']  # no temporary left behind
    out = torch.load(dst, weights_only=True)  # plain: loads without any allowlist
    assert out['meta']['mamp_args']['mask_ratio'] == 0.9 and out['meta']['epoch'] == 399
    model = MODELS.build(dict(
        type='SkeletonTransformer', num_frames=T, num_joints=V, segment_len=L_SEG,
        embed_dim=D, depth=DEPTH, num_heads=HEADS,
        init_cfg=dict(type='Pretrained', checkpoint=str(dst), prefix='backbone.')))
    model.init_weights()
    model.eval()
    x = torch.randn(2, 1, T, V, C)
    ours = model(x)  # (N, M, D, T/l, V)
    ref = mamp_features(sd, x.reshape(2, T, V, C))  # (N, L, D)
    ref = ref.reshape(2, T // L_SEG, V, D).permute(0, 3, 1, 2)
    torch.testing.assert_close(ours[:, 0], ref, atol=1e-5, rtol=1e-5)
    # the decoder lands on our neck with nothing missing or unexpected
    natmae = MODELS.build(dict(
        type='NATMAE',
        backbone=dict(type='MaskedSkeletonTransformer', num_frames=T, num_joints=V,
                      segment_len=L_SEG, embed_dim=D, depth=DEPTH, num_heads=HEADS,
                      mask_ratio=0.5),
        neck=dict(type='SkeletonMAEDecoder', num_frames=T, num_joints=V, segment_len=L_SEG,
                  embed_dim=D, decoder_dim=8, depth=1, num_heads=2),
        head=dict(type='SkeletonReconstructionHead'),
        target_generator=dict(type='MotionTarget', segment_len=L_SEG)))
    result = natmae.load_state_dict(out['state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys


def test_finetuned_checkpoint_drops_head_and_strips_module(tmp_path):
    sd = {f'module.{k}': v for k, v in mamp_state_dict(decoder=False, head=True).items()}
    src, dst = tmp_path / 'ft.pth', tmp_path / 'ft_natmae.pth'
    torch.save({'model': sd, 'args': argparse.Namespace(nb_classes=4)}, src)
    meta = conv.convert(str(src), str(dst))
    assert meta['dropped_keys'] == ['module.head.fc.weight', 'module.head.fc.bias']
    keys = torch.load(dst, weights_only=True)['state_dict']
    assert all(k.startswith('backbone.') for k in keys)
    assert keys['backbone.joint_embed.weight'].shape == (D, L_SEG * C)


class Payload:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_refuses_unsafe_pickles_and_bad_files(tmp_path):
    src = tmp_path / 'evil.pth'
    torch.save({'model': mamp_state_dict(decoder=False), 'args': Payload()}, src)
    with pytest.raises(RuntimeError, match='safe loader'):
        conv.convert(str(src), str(tmp_path / 'x.pth'))
    assert not (tmp_path / 'x.pth').exists()
    torch.save({'state_dict': {}}, tmp_path / 'other.pth')
    with pytest.raises(KeyError, match='under key "model"'):
        conv.convert(str(tmp_path / 'other.pth'), str(tmp_path / 'x.pth'))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        conv.convert(str(tmp_path / 'missing.pth'), str(tmp_path / 'x.pth'))
