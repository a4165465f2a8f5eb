"""SkeletonDataset: schema checks, MMAction2 compatibility and label-fraction subsets."""
import pickle

import numpy as np
import pytest
from mmaction.registry import DATASETS
from mmengine.registry import init_default_scope

import natmae_mm  # noqa: F401
from natmae_mm.datasets.skeleton_dataset import SkeletonDataset, select_label_fraction


def _write(path, num_classes=4, per_class=10, m=2, v=25, t=6, extra=None):
    rng = np.random.default_rng(0)
    annos, names = [], []
    for c in range(num_classes):
        for i in range(per_class):
            name = f'S001C001P{i:03d}R001A{c + 1:03d}'
            annos.append(dict(frame_dir=name, label=c, total_frames=t,
                              keypoint=rng.normal(size=(m, t, v, 3)).astype(np.float32)))
            names.append(name)
    data = dict(split=dict(xsub_train=names[::2], xsub_val=names[1::2]), annotations=annos)
    if extra:
        extra(data)
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    return data


def _build(path, **kw):
    return SkeletonDataset(ann_file=str(path), pipeline=[], **kw)


def test_loads_mmaction_ntu60_3d_schema(tmp_path):
    # MMAction2's ntu60_3d.pkl: 1- or 2-person float32 keypoints, extra fields allowed
    path = tmp_path / 'ntu60_3d.pkl'

    def mm_schema(data):
        data['annotations'][0]['keypoint'] = data['annotations'][0]['keypoint'][:1]
        for a in data['annotations']:
            a['img_shape'] = (1080, 1920)

    _write(path, num_classes=60, per_class=1, extra=mm_schema)
    cfg = dict(type='SkeletonDataset', ann_file=str(path), split='xsub_train',
               num_joints=25, num_person=2, num_classes=60,
               pipeline=[dict(type='ValidCropResize', clip_len=8, test_mode=True),
                         dict(type='FormatGCNInput', num_person=2),
                         dict(type='PackActionInputs')])
    init_default_scope('mmaction')  # what the runner does (default_scope='mmaction')
    ds = DATASETS.build(cfg)
    assert len(ds) == 30
    item = ds[0]
    assert item['inputs'].shape == (1, 2, 8, 25, 3)
    # same selection as MMAction2's own PoseDataset
    ref = DATASETS.build(dict(type='PoseDataset', ann_file=str(path), split='xsub_train',
                              pipeline=[]))
    assert ([ds.get_data_info(i)['frame_dir'] for i in range(len(ds))]
            == [ref.get_data_info(i)['frame_dir'] for i in range(len(ref))])


@pytest.mark.parametrize('kw,msg', [
    (dict(num_joints=20), 'num_joints=20.*25 joints'),
    (dict(num_person=1), 'num_person=1.*2 persons'),
    (dict(num_classes=60), 'num_classes=60.*4 classes'),
])
def test_mismatch_names_both_values_and_file(tmp_path, kw, msg):
    path = tmp_path / 'a.pkl'
    _write(path)
    with pytest.raises(ValueError, match=msg) as err:
        _build(path, split='xsub_train', **kw)
    assert 'a.pkl' in str(err.value)
    _build(path, split='xsub_train', num_joints=25, num_person=2, num_classes=4)  # matches


def test_missing_empty_and_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pkl'):
        _build(tmp_path / 'nope.pkl')
    (tmp_path / 'empty.pkl').write_bytes(b'')
    with pytest.raises(ValueError, match='empty'):
        _build(tmp_path / 'empty.pkl')
    (tmp_path / 'dir.pkl').mkdir()
    with pytest.raises(IsADirectoryError, match='dir.pkl'):
        _build(tmp_path / 'dir.pkl')
    (tmp_path / 'junk.pkl').write_bytes(b'not a pickle')
    with pytest.raises(ValueError, match='cannot read'):
        _build(tmp_path / 'junk.pkl')
    with open(tmp_path / 'noannos.pkl', 'wb') as f:
        pickle.dump(dict(split={}, annotations=[]), f)
    with pytest.raises(ValueError, match='no annotations'):
        _build(tmp_path / 'noannos.pkl')
    with open(tmp_path / 'ints.pkl', 'wb') as f:
        pickle.dump(dict(split={}, annotations=[{'label': 0}, 7]), f)
    with pytest.raises(ValueError, match='ints.pkl.*annotation 1 is not a dict.*int'):
        _build(tmp_path / 'ints.pkl')
    _write(tmp_path / 'ok.pkl')
    with pytest.raises(KeyError, match="xview_train.*available.*xsub_train"):
        _build(tmp_path / 'ok.pkl', split='xview_train')


def test_nonfinite_keypoints_name_the_sample(tmp_path):
    path = tmp_path / 'nan.pkl'

    def poison(data):
        data['annotations'][4]['keypoint'][1, 2, 3, 0] = np.inf

    data = _write(path, extra=poison)
    bad = data['annotations'][4]['frame_dir']
    with pytest.raises(ValueError, match=f'{bad}.*non-finite.*\\(1, 2, 3, 0\\)'):
        _build(path)
    # the poisoned sample is in xsub_train only, so xsub_val loads
    assert len(_build(path, split='xsub_val')) == 20


def _labels(ds):
    return [ds.get_data_info(i)['label'] for i in range(len(ds))]


def test_label_fraction_class_balanced(tmp_path):
    path = tmp_path / 'a.pkl'
    _write(path, num_classes=3, per_class=40)  # 20 per class in xsub_train
    full = _build(path, split='xsub_train')
    assert len(full) == 60
    sub = _build(path, split='xsub_train', label_fraction=0.1, subset_seed=0)
    labels = _labels(sub)
    assert [labels.count(c) for c in range(3)] == [2, 2, 2]  # round(0.1 * 20) = 2
    tiny = _build(path, split='xsub_train', label_fraction=0.01)
    assert sorted(_labels(tiny)) == [0, 1, 2]  # at least one per class
    again = _build(path, split='xsub_train', label_fraction=0.1, subset_seed=0)
    names = [d['frame_dir'] for d in sub.load_data_list()]
    assert names == [d['frame_dir'] for d in again.load_data_list()]
    full_names = [d['frame_dir'] for d in full.load_data_list()]
    assert sorted(names) == select_label_fraction(full_names, _labels(full), 0.1, seed=0)
    subsets = {tuple(select_label_fraction(full_names, _labels(full), 0.1, seed=s))
               for s in range(5)}
    assert len(subsets) == 5
    assert set(names) <= {d['frame_dir'] for d in full.load_data_list()}


def test_label_fraction_independent_of_order_and_rank(tmp_path, monkeypatch):
    names = [f'n{i:03d}' for i in range(50)]
    labels = [i % 5 for i in range(50)]
    a = select_label_fraction(names, labels, 0.2, seed=3)
    perm = np.random.default_rng(1).permutation(50)
    b = select_label_fraction([names[i] for i in perm], [labels[i] for i in perm], 0.2, seed=3)
    assert a == b and len(a) == 10
    monkeypatch.setenv('RANK', '1')
    monkeypatch.setenv('LOCAL_RANK', '1')
    assert select_label_fraction(names, labels, 0.2, seed=3) == a
    # not class-balanced: round(0.25 * 50) = 13 samples overall
    assert len(select_label_fraction(names, labels, 0.25, seed=0, class_balanced=False)) == 13
    # half-up rounding: 0.1 * 25 = 2.5 -> 3
    assert len(select_label_fraction(names[:25], [0] * 25, 0.1)) == 3
    with pytest.raises(ValueError, match='label_fraction'):
        select_label_fraction(names, labels, 0.)
    with pytest.raises(ValueError, match='label_fraction'):
        SkeletonDataset(ann_file='x.pkl', pipeline=[], label_fraction=1.5)


class _Touch:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        import os
        return (os.system, (f'touch {self.path}',))


def test_code_running_annotation_is_refused_before_anything_runs(tmp_path):
    """The issue's reproduction: X.__reduce__ -> os.system('touch PWNED')."""
    from natmae_mm.utils.safe_pickle import UnsafePickleError
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'evil.pkl'
    with open(path, 'wb') as f:
        pickle.dump({'split': {'xsub_train': ['a']}, 'annotations': [_Touch(marker)]}, f)
    init_default_scope('mmaction')
    with pytest.raises(UnsafePickleError, match='evil.pkl.*system'):
        DATASETS.build(dict(type='SkeletonDataset', ann_file=str(path), pipeline=[],
                            split='xsub_train'))
    assert not marker.exists()


def test_loads_mmaction_2d_layout_float16(tmp_path):
    # MMAction2's ntu60_2d.pkl: float16 keypoint (M, T, 17, 2) and keypoint_score (M, T, 17),
    # img_shape / original_shape tuples, numpy-scalar labels
    rng = np.random.default_rng(0)
    annos = [dict(frame_dir=f'v{i}', label=np.int64(i % 2), total_frames=6,
                  img_shape=(1080, 1920), original_shape=(1080, 1920),
                  keypoint=rng.normal(size=(1, 6, 17, 2)).astype(np.float16),
                  keypoint_score=rng.random((1, 6, 17)).astype(np.float16)) for i in range(4)]
    path = tmp_path / 'ntu60_2d.pkl'
    with open(path, 'wb') as f:
        pickle.dump(dict(split=dict(xsub_train=['v0', 'v1', 'v3'], xsub_val=['v2']),
                         annotations=annos), f, protocol=2)
    ds = _build(path, split='xsub_train', num_joints=17, num_person=1, num_classes=2,
                data_prefix=dict(video='clips'))
    info = [ds.get_data_info(i) for i in range(len(ds))]
    # PoseDataset's split selection and data_prefix join, on the safely loaded file
    assert [d['frame_dir'] for d in info] == ['clips/v0', 'clips/v1', 'clips/v3']
    assert info[0]['keypoint'].dtype == np.float16 and info[0]['img_shape'] == (1080, 1920)
    np.testing.assert_array_equal(info[2]['keypoint_score'], annos[3]['keypoint_score'])
