import pytest
import torch

import natmae_mm  # noqa: F401
from natmae_mm.models.backbones import MaskedSkeletonTransformer, SkeletonTransformer
from natmae_mm.models.utils import motion_aware_shuffle, patchify, split_by_shuffle

TINY = dict(num_frames=8, num_joints=5, segment_len=2, embed_dim=16, depth=1, num_heads=2)


@pytest.mark.parametrize('mask_type', ['motion_aware', 'random'])
def test_visible_count_mask_and_restore(mask_type):
    torch.manual_seed(0)
    model = MaskedSkeletonTransformer(mask_ratio=0.75, mask_type=mask_type, **TINY)
    L = 4 * 5
    latent, mask, ids_restore = model.forward_masked(torch.randn(3, 8, 5, 3))
    n_keep = int(L * 0.25)
    assert latent.shape == (3, n_keep, 16)
    assert mask.shape == (3, L) and (mask.sum(1) == L - n_keep).all()
    assert set(mask.unique().tolist()) == {0., 1.}
    for row in ids_restore:  # a permutation of the tokens
        assert sorted(row.tolist()) == list(range(L))


def test_split_by_shuffle_inverts_and_marks_kept_tokens():
    ids_shuffle = torch.tensor([[3, 0, 4, 1, 2]])
    ids_keep, mask, ids_restore = split_by_shuffle(ids_shuffle, 2)
    assert ids_keep.tolist() == [[3, 0]]
    assert mask.tolist() == [[0., 1., 1., 0., 1.]]  # tokens 3 and 0 visible
    torch.testing.assert_close(torch.gather(ids_shuffle, 1, ids_restore),
                               torch.arange(5)[None])


def test_latent_is_the_encoded_visible_tokens():
    torch.manual_seed(0)
    model = MaskedSkeletonTransformer(mask_ratio=0.5, mask_type='random', **{**TINY, 'depth': 0})
    x = torch.randn(2, 8, 5, 3)
    torch.manual_seed(5)
    latent, mask, ids_restore = model.forward_masked(x)
    ids_keep = torch.argsort(ids_restore, dim=1)[:, :latent.shape[1]]
    assert (torch.gather(mask, 1, ids_keep) == 0).all()
    full = model.norm(model.embed(x))  # depth 0: encoder = final LayerNorm
    expected = torch.gather(full, 1, ids_keep[..., None].expand(-1, -1, 16))
    torch.testing.assert_close(latent, expected)


def test_seeded_masks_are_reproducible():
    model = MaskedSkeletonTransformer(mask_ratio=0.75, **TINY)
    x = torch.randn(2, 8, 5, 3)
    torch.manual_seed(7)
    _, m1, r1 = model.forward_masked(x)
    torch.manual_seed(7)
    _, m2, r2 = model.forward_masked(x)
    _, m3, _ = model.forward_masked(x)
    assert torch.equal(m1, m2) and torch.equal(r1, r2)
    assert not torch.equal(m1, m3)
    g = torch.Generator().manual_seed(3)
    _, m4, _ = model.forward_masked(x, generator=g)
    g = torch.Generator().manual_seed(3)
    _, m5, _ = model.forward_masked(x, generator=g)
    assert torch.equal(m4, m5)


def test_motion_aware_masks_high_motion_tokens_more_often():
    # joints 0-1 oscillate strongly, joints 2-4 are still
    T, V = 16, 5
    x = torch.zeros(1, T, V, 3)
    x[0, :, :2, 0] = torch.tensor([(-1.) ** t for t in range(T)])[:, None] * torch.arange(
        1, T + 1)[:, None].float()
    raw = patchify(x, 2).expand(2000, -1, -1)  # (2000, L, 6)
    torch.manual_seed(0)
    ids_shuffle = motion_aware_shuffle(raw, T // 2, tau=0.8)
    _, mask, _ = split_by_shuffle(ids_shuffle, len_keep=20)  # half of 40 tokens masked
    masked_rate = mask.reshape(2000, T // 2, V).mean(dim=(0, 1))  # per joint
    assert masked_rate[:2].min() > masked_rate[2:].max() + 0.15
    # random masking has no preference
    _, rmask, _ = split_by_shuffle(torch.argsort(torch.rand(2000, 40), 1), 20)
    rrate = rmask.reshape(2000, T // 2, V).mean(dim=(0, 1))
    assert (rrate - 0.5).abs().max() < 0.05


def test_static_person_gives_uniform_finite_motion_masking():
    raw = torch.zeros(500, 20, 6)
    torch.manual_seed(0)
    _, mask, _ = split_by_shuffle(motion_aware_shuffle(raw, 4, tau=0.8), 10)
    assert (mask.mean(0) - 0.5).abs().max() < 0.1


def test_plain_forward_is_unmasked_encoder():
    torch.manual_seed(0)
    masked = MaskedSkeletonTransformer(mask_ratio=0.9, **{**TINY, 'segment_len': 1})
    plain = SkeletonTransformer(**{**TINY, 'segment_len': 1})
    plain.load_state_dict(masked.state_dict())  # identical parameter names
    x = torch.randn(2, 2, 8, 5, 3)
    torch.testing.assert_close(masked(x), plain(x))


def test_bad_arguments():
    with pytest.raises(ValueError, match='mask_type'):
        MaskedSkeletonTransformer(mask_type='tube', **TINY)
    with pytest.raises(ValueError, match='mask_ratio'):
        MaskedSkeletonTransformer(mask_ratio=1.0, **TINY)
    with pytest.raises(ValueError, match='no visible token'):
        MaskedSkeletonTransformer(mask_ratio=0.99, **TINY)
    with pytest.raises(ValueError, match='motion_tau'):
        MaskedSkeletonTransformer(motion_tau=0., **TINY)
    model = MaskedSkeletonTransformer(mask_ratio=0.5, **TINY)
    with pytest.raises(ValueError, match=r'expected shape .*got \(2, 8, 5, 2\)'):
        model.forward_masked(torch.randn(2, 8, 5, 2))
