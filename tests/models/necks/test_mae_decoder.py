import pytest
import torch

import natmae_mm  # noqa: F401
from natmae_mm.models.necks import SkeletonMAEDecoder
from natmae_mm.models.utils import split_by_shuffle


def test_unshuffle_places_visible_tokens_and_mask_tokens():
    torch.manual_seed(0)
    dec = SkeletonMAEDecoder(num_frames=4, num_joints=3, segment_len=2, in_channels=3,
                             embed_dim=8, decoder_dim=6, depth=0, num_heads=2)
    L = 2 * 3
    ids_shuffle = torch.tensor([[4, 1, 0, 2, 3, 5]])
    _, mask, ids_restore = split_by_shuffle(ids_shuffle, 2)  # tokens 4 and 1 visible
    latent = torch.randn(1, 2, 8)
    pred = dec(latent, ids_restore)
    assert pred.shape == (1, L, 6)
    pos = (dec.temporal_pos + dec.joint_pos).reshape(1, L, 6)

    def head(h):  # depth 0: LayerNorm then prediction Linear
        return dec.pred(dec.norm(h))

    torch.testing.assert_close(pred[0, 4], head(dec.decoder_embed(latent[0, 0]) + pos[0, 4]))
    torch.testing.assert_close(pred[0, 1], head(dec.decoder_embed(latent[0, 1]) + pos[0, 1]))
    torch.testing.assert_close(pred[0, 3], head(dec.mask_token[0, 0] + pos[0, 3]))
    assert mask[0].tolist() == [1., 0., 1., 1., 0., 1.]


def test_decoder_depth_shapes_and_errors():
    dec = SkeletonMAEDecoder(num_frames=8, num_joints=5, segment_len=4, embed_dim=16,
                             decoder_dim=8, depth=2, num_heads=2)
    assert len(dec.blocks) == 2
    ids_restore = torch.stack([torch.randperm(10) for _ in range(3)])
    out = dec(torch.randn(3, 1, 16), ids_restore)
    assert out.shape == (3, 10, 12) and torch.isfinite(out).all()
    with pytest.raises(ValueError, match='decoder expects 10'):
        dec(torch.randn(3, 1, 16), ids_restore[:, :9])
    with pytest.raises(ValueError, match='divisible'):
        SkeletonMAEDecoder(num_frames=10, segment_len=4)
