"""Named encoder sizes (SkeletonTransformer.arch_zoo): a preset builds the same
model as the explicit sizes it names; explicit sizes override; bad names fail."""
import pytest
import torch

import natmae_mm  # noqa: F401
from natmae_mm.models.backbones import (
    ARCH_ZOO,
    MaskedSkeletonTransformer,
    SkeletonTransformer,
    encoder_width,
    resolve_arch,
)
from natmae_mm.models.heads import MAMPFinetuneHead
from natmae_mm.models.necks import SkeletonMAEDecoder

GRID = dict(num_frames=16, num_joints=5, segment_len=4)   # 20 tokens


def shapes(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


# (preset, the sizes written out by hand: the paper's, N-UCLA at CPU scale, the demo's)
PRESETS = [('8x256', dict(embed_dim=256, depth=8, num_heads=8)),
           ('4x128', dict(embed_dim=128, depth=4, num_heads=4)),
           ('4x64', dict(embed_dim=64, depth=4, num_heads=4))]


@pytest.mark.parametrize('cls', [SkeletonTransformer, MaskedSkeletonTransformer])
@pytest.mark.parametrize('arch,explicit', PRESETS)
def test_preset_builds_the_explicit_model(cls, arch, explicit):
    torch.manual_seed(0)
    a = cls(arch=arch, **GRID)
    torch.manual_seed(0)
    b = cls(**GRID, **explicit, mlp_ratio=4.)
    assert shapes(a) == shapes(b)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values()))
    assert (a.embed_dim, a.depth, a.num_heads, a.mlp_ratio) == \
        (explicit['embed_dim'], explicit['depth'], explicit['num_heads'], 4.)
    assert len(a.blocks) == explicit['depth']
    assert a.blocks[0].attn.num_heads == explicit['num_heads']


def test_default_is_the_paper_encoder_with_the_old_parameter_names():
    model = SkeletonTransformer()
    s = shapes(model)
    assert s['joint_embed.weight'] == (256, 12) and s['temporal_pos'] == (1, 30, 1, 256)
    assert s['blocks.7.mlp.fc1.weight'] == (1024, 256) and 'blocks.8.norm1.weight' not in s
    assert s['norm.weight'] == (256, )
    assert shapes(model) == shapes(SkeletonTransformer(arch='paper'))  # alias


def test_explicit_sizes_override_the_preset():
    model = SkeletonTransformer(arch='8x256', embed_dim=16, depth=1, num_heads=2, **GRID)
    assert (model.embed_dim, model.depth, model.num_heads) == (16, 1, 2)
    assert shapes(model) == shapes(SkeletonTransformer(arch=dict(
        embed_dim=16, depth=1, num_heads=2, mlp_ratio=4.), **GRID))
    assert resolve_arch('4x128', depth=1, mlp_ratio=None) == dict(
        embed_dim=128, depth=1, num_heads=4, mlp_ratio=4.)


def test_presets_are_not_mutated_by_use():
    before = {k: dict(v) for k, v in ARCH_ZOO.items()}
    resolve_arch('8x256', depth=1)
    SkeletonTransformer(arch='4x64', depth=1, **GRID)
    assert ARCH_ZOO == before


def test_bad_arch_names_the_presets():
    with pytest.raises(ValueError, match=r"unknown SkeletonTransformer arch 'b'.*'4x128'"):
        SkeletonTransformer(arch='b')
    with pytest.raises(ValueError, match=r"missing \['num_heads', 'mlp_ratio'\]"):
        SkeletonTransformer(arch=dict(embed_dim=8, depth=1))
    with pytest.raises(TypeError, match='not encoder shape keys'):
        resolve_arch('8x256', width=3)
    with pytest.raises(ValueError, match='preset name or a dict'):
        resolve_arch(256)


def test_encoder_width_for_decoder_and_head():
    assert encoder_width(96) == 96 and encoder_width('4x128') == 128
    assert encoder_width(dict(embed_dim=8, depth=1, num_heads=1, mlp_ratio=2.)) == 8
    with pytest.raises(ValueError, match='encoder width or arch'):
        encoder_width(2.5)
    dec = SkeletonMAEDecoder(embed_dim='4x64', decoder_dim=8, depth=1, num_heads=2, **GRID)
    assert shapes(dec) == shapes(SkeletonMAEDecoder(embed_dim=64, decoder_dim=8, depth=1,
                                                    num_heads=2, **GRID))
    assert dec.decoder_embed.in_features == 64
    head = MAMPFinetuneHead(num_classes=3, in_channels='4x64', num_joints=5, hidden=8)
    assert head.in_channels == 64 and head.fc1.in_features == 5 * 64
    with pytest.raises(ValueError, match='unknown SkeletonTransformer arch'):
        SkeletonMAEDecoder(embed_dim='huge', **GRID)
