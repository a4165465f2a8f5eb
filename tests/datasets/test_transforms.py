"""ValidCropResize / RandomRot3D against an independent re-derivation of MAMP's feeder."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import TRANSFORMS

import natmae_mm  # noqa: F401
from natmae_mm.datasets.transforms import RandomRot3D, ValidCropResize


def _sample(m=2, t=90, v=25, seed=0, zero_second=False):
    kp = np.random.default_rng(seed).normal(size=(m, t, v, 3)).astype(np.float32)
    if zero_second:
        kp[1] = 0
    return kp


def _mamp_layout(kp, pad_to=300):
    """(M, T, V, C) -> MAMP's (C, 300, V, M) zero-padded array."""
    m, t, v, c = kp.shape
    out = np.zeros((c, pad_to, v, 2), np.float32)
    out[:, :t, :, :m] = kp.transpose(3, 1, 2, 0)
    return out


def _mamp_crop_resize(data, start, length, window):
    """MAMP: crop [start, start+length) of (C, T, V, M), bilinear resize of (C*V*M, L)."""
    c, _, v, m = data.shape
    x = torch.tensor(data[:, start:start + length])
    x = x.permute(0, 2, 3, 1).contiguous().view(c * v * m, length)[None, None]
    x = F.interpolate(x, size=(c * v * m, window), mode='bilinear', align_corners=False)
    return x.squeeze().view(c, v, m, window).permute(0, 3, 1, 2).numpy()


def _to_ours(mamp_out, m):
    return mamp_out[..., :m].transpose(3, 1, 2, 0)  # (C, T, V, M) -> (M, T, V, C)


class _FixedRNG:
    """Replays given draws: random() -> u, integers(lo, hi) -> b, uniform() -> angles."""

    def __init__(self, u=None, b=None, angles=None):
        self.u, self.b, self.angles = u, b, angles
        self.calls = []

    def random(self):
        return self.u

    def integers(self, lo, hi):
        self.calls.append((lo, hi))
        assert lo <= self.b < hi
        return self.b

    def uniform(self, lo, hi, size):
        assert size == 3 and np.all(np.abs(self.angles) <= hi) and lo == -hi
        return np.asarray(self.angles, dtype=np.float64)


@pytest.mark.parametrize('t', [90, 200, 37])
def test_test_mode_equals_mamp_center_crop(t):
    kp = _sample(t=t)
    data = _mamp_layout(kp)
    valid = int(np.sum(data.sum(0).sum(-1).sum(-1) != 0))
    assert valid == t
    bias = int((1 - 0.95) * valid / 2)
    expected = _to_ours(_mamp_crop_resize(data, bias, valid - 2 * bias, 120), 2)
    out = ValidCropResize(clip_len=120, p_interval=(0.95,), test_mode=True)(
        dict(keypoint=kp.copy()))
    assert out['keypoint'].dtype == np.float32
    assert out['keypoint'].shape == (2, 120, 25, 3)
    assert out['total_frames'] == 120
    np.testing.assert_allclose(out['keypoint'], expected, atol=1e-5, rtol=0)
    # test_mode with a training interval falls back to MAMP's 0.95
    out2 = ValidCropResize(test_mode=True)(dict(keypoint=kp.copy()))
    np.testing.assert_array_equal(out2['keypoint'], out['keypoint'])


@pytest.mark.parametrize('t,u,b', [(150, 0.3, 17), (150, 1.0, 0), (70, 0.0, 6), (40, 0.5, 0)])
def test_train_mode_equals_mamp_for_same_draws(t, u, b):
    kp = _sample(t=t, zero_second=True)
    data = _mamp_layout(kp)
    valid = int(np.sum(data.sum(0).sum(-1).sum(-1) != 0))
    p = u * (1.0 - 0.5) + 0.5
    length = np.minimum(np.maximum(int(np.floor(valid * p)), 64), valid)
    expected = _to_ours(_mamp_crop_resize(data, b, length, 120), 2)
    tr = ValidCropResize(clip_len=120, p_interval=(0.5, 1.0), min_frames=64)
    fake = _FixedRNG(u=u, b=b)
    tr._rng.get = lambda: fake
    out = tr(dict(keypoint=kp.copy()))
    assert fake.calls == [(0, valid - length + 1)]
    assert out['crop_window'] == (b, length)
    np.testing.assert_allclose(out['keypoint'], expected, atol=1e-5, rtol=0)
    assert not out['keypoint'][1].any()  # the padded person stays zero


def test_resize_hand_computed():
    # 2 frames -> 4 frames, align_corners=False: s = (t + .5) / 2 - .5 = -.25, .25, .75, 1.25
    kp = np.zeros((1, 2, 1, 3), np.float32)
    kp[0, :, 0, 0] = [1., 3.]
    out = ValidCropResize(clip_len=4, p_interval=(1.0,), test_mode=True)(dict(keypoint=kp))
    np.testing.assert_allclose(out['keypoint'][0, :, 0, 0], [1., 1.5, 2.5, 3.], atol=1e-6)
    # equal lengths: identity
    kp = _sample(m=1, t=120)
    out = ValidCropResize(clip_len=120, p_interval=(1.0,), test_mode=True)(
        dict(keypoint=kp.copy()))
    np.testing.assert_allclose(out['keypoint'], kp, atol=1e-6)


def test_zero_padding_is_not_valid():
    kp = _sample(m=1, t=100)
    kp[:, 80:] = 0  # trailing padding
    out = ValidCropResize(clip_len=80, p_interval=(1.0,), test_mode=True)(
        dict(keypoint=kp.copy()))
    np.testing.assert_allclose(out['keypoint'], kp[:, :80], atol=1e-6)


def test_edge_cases_do_not_crash():
    tr = ValidCropResize(clip_len=120, min_frames=64, seed=3)
    # shorter than min_frames: the whole sequence is used
    kp = _sample(t=20)
    out = tr(dict(keypoint=kp.copy()))
    assert out['crop_window'] == (0, 20)
    # one frame: repeated
    kp1 = _sample(t=1)
    out = tr(dict(keypoint=kp1.copy()))
    assert out['keypoint'].shape == (2, 120, 25, 3)
    np.testing.assert_allclose(out['keypoint'], np.repeat(kp1, 120, axis=1), atol=1e-6)
    # all zeros: whole length, zero output
    out = tr(dict(keypoint=np.zeros((2, 50, 25, 3), np.float32)))
    assert out['crop_window'][1] >= 25 and not out['keypoint'].any()
    out = ValidCropResize(test_mode=True)(dict(keypoint=np.zeros((1, 1, 25, 3))))
    assert out['keypoint'].shape == (1, 120, 25, 3) and out['keypoint'].dtype == np.float32
    with pytest.raises(ValueError, match='T >= 1'):
        tr(dict(keypoint=np.zeros((2, 0, 25, 3), np.float32), frame_dir='empty'))


def test_train_crop_statistics():
    tr = ValidCropResize(clip_len=16, p_interval=(0.5, 1.0), min_frames=64, seed=0)
    kp = _sample(m=1, t=200)
    lengths = []
    for _ in range(300):
        start, length = tr(dict(keypoint=kp))['crop_window']
        assert 100 <= length <= 200 and 0 <= start <= 200 - length
        lengths.append(length)
    assert min(lengths) < 110 and max(lengths) > 190


def test_invalid_args():
    for bad in [dict(p_interval=(0.5, 0.6, 0.7)), dict(p_interval=(0., 1.)),
                dict(p_interval=(0.9, 0.5)), dict(clip_len=0)]:
        with pytest.raises(ValueError):
            ValidCropResize(**bad)
    with pytest.raises(ValueError):
        RandomRot3D(theta=-1)


def _mamp_rot(data, angles):
    """MAMP's random_rot with given angles, written from its formula (C, T, V, M)."""
    c, t, v, m = data.shape
    ax, ay, az = [torch.tensor(float(a)) for a in angles]
    rx = torch.tensor([[1, 0, 0], [0, ax.cos(), ax.sin()], [0, -ax.sin(), ax.cos()]])
    ry = torch.tensor([[ay.cos(), 0, -ay.sin()], [0, 1, 0], [ay.sin(), 0, ay.cos()]])
    rz = torch.tensor([[az.cos(), az.sin(), 0], [-az.sin(), az.cos(), 0], [0, 0, 1]])
    rot = rz @ ry @ rx
    x = torch.from_numpy(data).permute(1, 0, 2, 3).reshape(t, c, v * m)
    return torch.matmul(rot, x).view(t, c, v, m).permute(1, 0, 2, 3).numpy()


def test_random_rot_equals_mamp_for_same_angles():
    kp = _sample(t=30, zero_second=True)
    angles = [0.1, -0.25, 0.3]
    expected = _to_ours(_mamp_rot(_mamp_layout(kp, pad_to=30), angles), 2)
    tr = RandomRot3D(theta=0.3)
    tr._rng.get = lambda: _FixedRNG(angles=angles)
    out = tr(dict(keypoint=kp.copy()))
    assert out['keypoint'].dtype == np.float32
    np.testing.assert_allclose(out['keypoint'], expected, atol=1e-5, rtol=0)
    assert not out['keypoint'][1].any()


def test_random_rot_invariants():
    kp = _sample(t=10).astype(np.float64)
    out = RandomRot3D(theta=0.3, seed=1)(dict(keypoint=kp.copy()))
    assert np.all(np.abs(out['rot_angles']) <= 0.3)
    # a rotation keeps lengths and pairwise distances
    np.testing.assert_allclose(np.linalg.norm(out['keypoint'], axis=-1),
                               np.linalg.norm(kp, axis=-1), rtol=1e-5)
    # hand case: rotation about z only by a: x-axis goes to (cos a, -sin a, 0)
    tr = RandomRot3D()
    tr._rng.get = lambda: _FixedRNG(angles=[0., 0., 0.2])
    e = np.zeros((1, 1, 1, 3), np.float32)
    e[..., 0] = 1
    np.testing.assert_allclose(tr(dict(keypoint=e))['keypoint'].ravel(),
                               [math.cos(0.2), -math.sin(0.2), 0.], atol=1e-6)
    with pytest.raises(ValueError, match='3'):
        tr(dict(keypoint=np.zeros((1, 2, 25, 2))))


def test_seeded_rng_is_reproducible_and_private():
    kp = _sample(t=150)
    state = np.random.get_state()
    a = [ValidCropResize(seed=5)(dict(keypoint=kp))['crop_window'] for _ in range(1)]
    t1, t2 = ValidCropResize(seed=5), ValidCropResize(seed=5)
    w1 = [t1(dict(keypoint=kp))['crop_window'] for _ in range(5)]
    w2 = [t2(dict(keypoint=kp))['crop_window'] for _ in range(5)]
    assert w1 == w2 and a[0] == w1[0]
    assert len(set(w1)) > 1
    w3 = [ValidCropResize(seed=6)(dict(keypoint=kp))['crop_window'] for _ in range(1)]
    assert w3[0] != w1[0]
    # the global NumPy state is untouched
    assert np.all(np.random.get_state()[1] == state[1])


def test_rng_follows_torch_seed():
    kp = _sample(t=10)
    tr = RandomRot3D()
    torch.manual_seed(11)
    a1 = tr(dict(keypoint=kp))['rot_angles']
    torch.manual_seed(12)
    a2 = tr(dict(keypoint=kp))['rot_angles']
    torch.manual_seed(11)
    a3 = tr(dict(keypoint=kp))['rot_angles']
    assert not np.allclose(a1, a2)
    np.testing.assert_array_equal(a1, a3)


class _DS(torch.utils.data.Dataset):
    def __init__(self):
        self.tr = RandomRot3D()
        self.kp = _sample(m=1, t=2, v=1)

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return torch.from_numpy(self.tr(dict(keypoint=self.kp))['rot_angles'])


def test_workers_draw_differently_and_deterministically():
    from functools import partial

    from mmengine.dataset import worker_init_fn
    ds = _DS()
    ds.tr._rng.get()  # a generator built in the parent must not leak into workers

    def run():
        loader = torch.utils.data.DataLoader(
            ds, batch_size=1, num_workers=2,
            worker_init_fn=partial(worker_init_fn, num_workers=2, rank=0, seed=7))
        return torch.cat(list(loader))

    r1, r2 = run(), run()
    torch.testing.assert_close(r1, r2)  # runner seed -> identical draws
    assert len({tuple(x.tolist()) for x in r1}) == 8  # workers never repeat each other


def test_registry_and_repr():
    tr = TRANSFORMS.build(dict(type='ValidCropResize', clip_len=60, p_interval=(0.5, 1.0)))
    assert repr(tr) == ('ValidCropResize(clip_len=60, p_interval=(0.5, 1.0), min_frames=64, '
                        'test_mode=False, seed=None)')
    rot = TRANSFORMS.build(dict(type='RandomRot3D', theta=0.2))
    assert repr(rot) == 'RandomRot3D(theta=0.2, seed=None)'
    for cls in (ValidCropResize, RandomRot3D):
        doc = cls.__doc__
        assert 'Required Keys' in doc and 'Modified Keys' in doc and 'Added Keys' in doc


def test_full_pipeline_shape():
    steps = [TRANSFORMS.build(c) for c in [dict(type='ValidCropResize', clip_len=120),
                                           dict(type='RandomRot3D', theta=0.3),
                                           dict(type='FormatGCNInput', num_person=2),
                                           dict(type='PackActionInputs')]]
    out = dict(keypoint=_sample(m=1, t=70), label=3, total_frames=70)
    for step in steps:
        out = step(out)
    assert out['inputs'].shape == (1, 2, 120, 25, 3)
    assert out['inputs'].dtype == torch.float32
