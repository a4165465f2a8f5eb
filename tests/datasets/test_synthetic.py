"""Tests of the synthetic skeleton-action generator."""
import pickle
import runpy
from pathlib import Path

import numpy as np
import pytest

from natmae_mm.datasets.synthetic import (
    ACTIONS,
    NTU_PARENTS,
    REST_OFFSETS,
    euler_to_matrix,
    forward_kinematics,
    make_performer,
    make_synthetic_dataset,
    save_annotation,
    xsub_train_performers,
)

ROOT = Path(__file__).resolve().parents[2]


def _small(seed=0, **kw):
    args = dict(num_classes=len(ACTIONS), per_class=4, seed=seed, num_performers=3,
                min_frames=20, max_frames=30)
    args.update(kw)
    return make_synthetic_dataset(**args)


def test_euler_matrix_is_rotation_and_matches_closed_form():
    rng = np.random.default_rng(0)
    r = euler_to_matrix(rng.uniform(-3, 3, (5, 3)))
    np.testing.assert_allclose(r @ np.swapaxes(r, -1, -2), np.broadcast_to(np.eye(3), r.shape),
                               atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-12)
    # a quarter turn about z maps x to y; about x maps y to z
    np.testing.assert_allclose(euler_to_matrix(np.array([0, 0, np.pi / 2])) @ [1, 0, 0],
                               [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(euler_to_matrix(np.array([np.pi / 2, 0, 0])) @ [0, 1, 0],
                               [0, 0, 1], atol=1e-12)


def test_forward_kinematics_rest_pose_and_elbow_bend():
    T = 2
    ang = np.zeros((T, 25, 3))
    pos = forward_kinematics(ang, np.zeros((T, 3)), REST_OFFSETS)
    # rest pose: left wrist = shoulders chain summed
    expect = REST_OFFSETS[[1, 20, 4, 5, 6]].sum(0)
    np.testing.assert_allclose(pos[0, 6], expect)
    # bending the left elbow by 90 deg about x moves only the forearm and hand
    ang[1, 5, 0] = np.pi / 2
    pos = forward_kinematics(ang, np.zeros((T, 3)), REST_OFFSETS)
    moved = np.where(np.abs(pos[1] - pos[0]).max(-1) > 1e-9)[0]
    assert set(moved) == {6, 7, 21, 22}
    forearm = pos[1, 6] - pos[1, 5]
    np.testing.assert_allclose(forearm, [0, 0, -0.24], atol=1e-12)  # R_x(90) (0,-1,0) = (0,0,-1)


def test_shapes_dtype_centring_and_annotation_schema():
    data = _small()
    anns = data['annotations']
    assert len(anns) == len(ACTIONS) * 4
    for a in anns:
        kp = a['keypoint']
        assert kp.dtype == np.float32 and kp.ndim == 4 and kp.shape[2:] == (25, 3)
        assert kp.shape[0] == ACTIONS[a['label']].num_person or kp.shape[0] == 2
        assert kp.shape[1] == a['total_frames'] and 20 <= a['total_frames'] <= 30
        assert np.isfinite(kp).all()
        np.testing.assert_allclose(kp[0, 0, 1], 0, atol=1e-6)  # spine mid of frame 0
        if ACTIONS[a['label']].num_person == 2:
            assert kp.shape[0] == 2
    names = [a['frame_dir'] for a in anns]
    assert len(set(names)) == len(names)
    assert sorted(data['split']['xsub_train'] + data['split']['xsub_val']) == sorted(names)


def test_deterministic_for_a_seed_and_different_across_seeds():
    a, b, c = _small(seed=3), _small(seed=3), _small(seed=4)
    for x, y in zip(a['annotations'], b['annotations']):
        assert x['frame_dir'] == y['frame_dir']
        np.testing.assert_array_equal(x['keypoint'], y['keypoint'])
    assert any(x['keypoint'].shape != z['keypoint'].shape
               or not np.allclose(x['keypoint'], z['keypoint'])
               for x, z in zip(a['annotations'], c['annotations']))
    # adding classes does not change the samples of the earlier ones
    fewer = _small(seed=3, num_classes=2)
    for x, y in zip(fewer['annotations'], a['annotations']):
        np.testing.assert_array_equal(x['keypoint'], y['keypoint'])


def test_bone_lengths_constant_over_time_within_noise():
    data = make_synthetic_dataset(num_classes=len(ACTIONS), per_class=2, seed=1,
                                  num_performers=2, noise_std=0.0)
    bones = [(j, p) for j, p in enumerate(NTU_PARENTS) if p >= 0]
    for a in data['annotations']:
        kp = a['keypoint'].astype(np.float64)
        for j, p in bones:
            length = np.linalg.norm(kp[:, :, j] - kp[:, :, p], axis=-1)  # (M, T)
            assert np.ptp(length, axis=1).max() < 1e-4, (a['frame_dir'], j)
    noisy = make_synthetic_dataset(num_classes=1, per_class=2, seed=1, num_performers=2,
                                   noise_std=0.01)
    kp = noisy['annotations'][0]['keypoint']
    length = np.linalg.norm(kp[0, :, 5] - kp[0, :, 4], axis=-1)
    assert 0.002 < length.std() < 0.03   # ~ sqrt(2) * 1 cm of sensor noise


def test_motion_is_class_specific():
    """The left-hand wave moves the left wrist far more than the right one (and vice versa)."""
    data = make_synthetic_dataset(num_classes=2, per_class=6, seed=0, num_performers=2,
                                  noise_std=0.0)
    for a in data['annotations']:
        kp = a['keypoint'][0]
        left, right = (np.linalg.norm(kp[:, j] - kp[:, 1], axis=-1).std() for j in (6, 10))
        assert (left > 2 * right) if a['label'] == 0 else (right > 2 * left)


def test_split_by_performer():
    data = make_synthetic_dataset(num_classes=3, per_class=10, seed=0, num_performers=5)
    train_ids = set(xsub_train_performers(5))
    assert train_ids == {1, 2, 3}
    pid = lambda name: int(name[name.index('P') + 1:name.index('P') + 4])
    assert {pid(n) for n in data['split']['xsub_train']} == train_ids
    assert {pid(n) for n in data['split']['xsub_val']} == {4, 5}
    # a performer has one body: same size in every sample
    assert make_performer(2, 0).scale == make_performer(2, 0).scale
    assert make_performer(2, 0).scale != make_performer(3, 0).scale


@pytest.mark.parametrize('kw, match', [
    (dict(num_classes=0), 'num_classes'),
    (dict(num_classes=len(ACTIONS) + 1), 'num_classes'),
    (dict(num_performers=1), 'performers'),
    (dict(per_class=2, num_performers=10), 'xsub_val empty'),
    (dict(min_frames=30, max_frames=20), 'min_frames'),
])
def test_bad_arguments_raise(kw, match):
    args = dict(num_classes=2, per_class=4, num_performers=3)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        make_synthetic_dataset(**args)


def test_save_is_atomic_and_cli_writes_loadable_file(tmp_path):
    data = _small(num_classes=2)
    out = tmp_path / 'sub' / 'a.pkl'
    save_annotation(data, str(out))
    assert [p.name for p in out.parent.iterdir()] == ['a.pkl']   # no temporary left behind
    with open(out, 'rb') as f:
        back = pickle.load(f)
    np.testing.assert_array_equal(back['annotations'][3]['keypoint'],
                                  data['annotations'][3]['keypoint'])

    class Boom:
        def __reduce__(self):
            raise RuntimeError('boom')
    with pytest.raises(RuntimeError, match='boom'):
        save_annotation({'x': Boom()}, str(out))
    assert [p.name for p in out.parent.iterdir()] == ['a.pkl']   # old file intact
    with open(out, 'rb') as f:
        assert len(pickle.load(f)['annotations']) == 8

    cli = tmp_path / 'cli.pkl'
    tool = runpy.run_path(str(ROOT / 'tools/data/make_synthetic.py'), run_name='tool')
    tool['main']([str(cli), '--num-classes', '2', '--per-class', '4', '--num-performers', '3',
                  '--min-frames', '20', '--max-frames', '30'])
    with open(cli, 'rb') as f:
        got = pickle.load(f)
    np.testing.assert_array_equal(got['annotations'][5]['keypoint'],
                                  data['annotations'][5]['keypoint'])


def test_time_reversal_pairs_move_in_opposite_directions():
    """sit down lowers the spine over time, its reversed twin stand up raises it."""
    names = [a.name for a in ACTIONS]
    sit, stand = names.index('sit down'), names.index('stand up')
    assert ACTIONS[stand].reverse and not ACTIONS[sit].reverse
    data = make_synthetic_dataset(num_classes=stand + 1, per_class=4, seed=0,
                                  num_performers=3, noise_std=0.0)
    for a in data['annotations']:
        if a['label'] not in (sit, stand):
            continue
        y = a['keypoint'][0, :, 1, 1]                  # spine-mid height over time
        drop = y[0] - y[-1]
        assert (drop > 0.1) if a['label'] == sit else (drop < -0.1), (a['frame_dir'], drop)
