import math

import pytest
import torch

import natmae_mm  # noqa: F401
from natmae_mm.models.target_generators import MotionTarget, NATTarget, SegmentNormTarget

EPS = 1e-6


def _one_token():
    # one joint, l=2 frames: (x, y) = (0, 10) then (2, 10); C=2 -> (B=1, T=2, V=1, C=2)
    return torch.tensor([[[[0., 10.]], [[2., 10.]]]])


def test_nat_normalises_each_axis_over_timestamps_by_hand():
    out = NATTarget(segment_len=2)(_one_token())
    # x over time: [0, 2], mean 1, unbiased var 2; y: [10, 10], var 0 -> 0
    s = math.sqrt(2 + EPS)
    expected = torch.tensor([[[-1 / s, 0., 1 / s, 0.]]])  # frame major: x0 y0 x1 y1
    torch.testing.assert_close(out, expected)


def test_segment_norm_differs_from_nat_by_hand():
    out = SegmentNormTarget(segment_len=2)(_one_token())
    # values [0, 10, 2, 10]: mean 5.5, squared deviations 30.25+20.25+12.25+20.25 = 83
    s = math.sqrt(83 / 3 + EPS)
    expected = torch.tensor([[[-5.5 / s, 4.5 / s, -3.5 / s, 4.5 / s]]])
    torch.testing.assert_close(out, expected)
    assert abs(out[0, 0, 0] - NATTarget(segment_len=2)(_one_token())[0, 0, 0]) > 0.3


def test_motion_target_by_hand_last_frame_zero():
    # one joint, T=4, C=1: positions 0, 1, 3, 6 -> motion 1, 2, 3, 0 (last frame zero)
    x = torch.tensor([0., 1., 3., 6.]).reshape(1, 4, 1, 1)
    out = MotionTarget(segment_len=2)(x)  # tokens [1, 2] and [3, 0]
    s1 = math.sqrt(0.5 + EPS)  # unbiased var of [1, 2]
    s2 = math.sqrt(4.5 + EPS)  # unbiased var of [3, 0]
    expected = torch.tensor([[[-0.5 / s1, 0.5 / s1], [1.5 / s2, -1.5 / s2]]])
    torch.testing.assert_close(out, expected)


def test_token_order_segment_major_joint_minor():
    torch.manual_seed(0)
    x = torch.randn(2, 8, 3, 3)
    out = SegmentNormTarget(segment_len=4)(x)
    assert out.shape == (2, 2 * 3, 12)
    seg = x[1, 4:8, 2].reshape(-1)  # segment 1, joint 2, frame major then xyz
    expected = (seg - seg.mean()) / (seg.var() + EPS).sqrt()
    torch.testing.assert_close(out[1, 1 * 3 + 2], expected)
    nat = NATTarget(segment_len=4)(x)[1, 1 * 3 + 2].reshape(4, 3)  # (frame, axis)
    col = x[1, 4:8, 2, 1]
    torch.testing.assert_close(nat[:, 1], (col - col.mean()) / (col.var() + EPS).sqrt())


@pytest.mark.parametrize('cls', [NATTarget, SegmentNormTarget, MotionTarget])
def test_zero_person_is_finite_and_fp32_under_autocast(cls):
    x = torch.zeros(2, 8, 5, 3, dtype=torch.bfloat16)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = cls(segment_len=4)(x)
    assert out.dtype == torch.float32 and out.shape == (2, 10, 12)
    assert torch.isfinite(out).all() and (out == 0).all()


def test_bad_inputs():
    with pytest.raises(ValueError, match='segment_len >= 2'):
        NATTarget(segment_len=1)
    with pytest.raises(ValueError, match='divisible'):
        MotionTarget(segment_len=4)(torch.randn(1, 6, 5, 3))
    with pytest.raises(ValueError, match=r'\(B, T, V, C\)'):
        NATTarget()(torch.randn(1, 2, 8, 5, 3))
