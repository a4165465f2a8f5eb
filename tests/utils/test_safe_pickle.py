"""The restricted unpickler: what data files hold loads, anything that could run code does not."""
import io
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.fileio.handlers import file_handlers

from natmae_mm.utils.checkpoint import SAFE_GLOBALS, UnsafeCheckpointError
from natmae_mm.utils.errors import InvalidInputError, UnsafeFileError, UserInputError
from natmae_mm.utils.safe_pickle import (
    DATA_GLOBALS,
    UnsafePickleError,
    mmengine_safe_pickle,
    safe_pickle_load,
    safe_pickle_loads,
)


class Marker:
    """Unpickling this would create ``path`` (the os.system attack of the issue)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f'touch {self.path}',))


class CallsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


class CallsGetattr:
    def __reduce__(self):
        return (getattr, ('abc', 'upper'))


def mmaction_annotation(dim: int) -> dict:
    """MMAction2's published layout (ntu60_2d.pkl / ntu60_3d.pkl), float16 arrays included."""
    rng = np.random.default_rng(0)
    annos = []
    for i in range(3):
        a = dict(frame_dir=f'S001C001P00{i}R001A001', label=np.int64(i), total_frames=5,
                 img_shape=(1080, 1920), original_shape=(1080, 1920))
        if dim == 2:
            a['keypoint'] = rng.normal(size=(1, 5, 17, 2)).astype(np.float16)
            a['keypoint_score'] = rng.random((1, 5, 17)).astype(np.float16)
        else:
            a['keypoint'] = rng.normal(size=(2, 5, 25, 3)).astype(np.float32)
        annos.append(a)
    return dict(split=dict(xsub_train=[annos[0]['frame_dir']],
                           xsub_val=[a['frame_dir'] for a in annos[1:]]),
                annotations=annos)


def assert_same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and torch.equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize('dim', [2, 3])
@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_mmaction_annotation_layout_loads_unchanged(tmp_path, dim, protocol):
    data = mmaction_annotation(dim)
    path = tmp_path / 'ntu.pkl'
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    loaded = safe_pickle_load(str(path), 'annotation file')
    assert_same(data, loaded)
    assert loaded['annotations'][0]['keypoint'].dtype == (np.float16 if dim == 2 else np.float32)
    assert loaded['annotations'][0]['img_shape'] == (1080, 1920)


def test_builtin_scalars_containers_and_numpy_1x_names():
    data = {'set': {1, 2}, 'fs': frozenset('ab'), 'c': 1 + 2j, 'b': b'\x00\xff', 'e': b'',
            'ba': bytearray(b'xy'), 'none': None, 'f': 1.5, 'bool': True,
            'np': [np.float32(0.5), np.int64(-3), np.bool_(True), np.arange(6).reshape(2, 3).T],
            'dtype': np.dtype('float16'), 'dtype_class': type(np.dtype('float32'))}
    for protocol in (2, 5):
        assert_same(data, safe_pickle_loads(pickle.dumps(data, protocol=protocol)))
    # a file written under numpy 1.x names numpy.core.multiarray (numpy 2: numpy._core)
    raw = pickle.dumps(np.arange(4, dtype=np.float16), protocol=2)
    old = raw.replace(b'numpy._core.multiarray', b'numpy.core.multiarray')
    assert b'numpy.core.multiarray' in old
    np.testing.assert_array_equal(safe_pickle_loads(old), np.arange(4, dtype=np.float16))


def test_prediction_dump_tensors_load():
    """What DumpResults writes: a list of sample dicts of tensors (mmengine.dump, protocol 2)."""
    rows = [{'pred_score': torch.tensor([0.2, 0.8]), 'gt_label': torch.tensor([1]),
             'pred_scores': {'item': torch.ones(2, dtype=torch.float16)[1:]},
             'num_classes': 2, 'frame_dir': 'x'},
            {'param': torch.nn.Parameter(torch.zeros(3)), 'size': torch.Size([2, 3])}]
    for protocol in (2, 4):
        out = safe_pickle_loads(pickle.dumps(rows, protocol=protocol))
        assert_same(rows[0], out[0])
        assert isinstance(out[1]['param'], torch.nn.Parameter)
        assert out[1]['size'] == torch.Size([2, 3])


@pytest.mark.parametrize('payload,name', [
    (lambda m: {'split': {}, 'annotations': [Marker(m)]}, 'system'),
    (lambda m: [CallsEval()], 'builtins.eval'),
    (lambda m: [CallsGetattr()], 'builtins.getattr'),
    (lambda m: {'x': collections_counter()}, 'collections.Counter'),
])
def test_code_running_pickles_are_refused_before_anything_runs(tmp_path, payload, name):
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps(payload(marker), protocol=2))
    with pytest.raises(UnsafePickleError) as err:
        safe_pickle_load(str(path), 'annotation file')
    assert not marker.exists()
    assert str(path) in str(err.value) and name in str(err.value)
    assert err.value.filename == str(path) and name in err.value.global_names[0]


def collections_counter():
    import collections
    return collections.Counter('aab')  # harmless, but not a format of ours: refused too


class EvilStorage:
    """A 'tensor storage' whose nested torch.save payload runs code."""

    def __init__(self, marker):
        buf = io.BytesIO()
        torch.save(Marker(marker), buf, _use_new_zipfile_serialization=False)
        self.data = buf.getvalue()

    def __reduce__(self):
        return (torch.storage._load_from_bytes, (self.data,))


def test_nested_storage_bytes_use_the_safe_torch_loader(tmp_path):
    marker = tmp_path / 'PWNED'
    with pytest.raises(UnsafePickleError, match='dump.pkl.*system') as err:
        safe_pickle_loads(pickle.dumps([EvilStorage(marker)]), 'dump.pkl', 'prediction dump')
    assert not marker.exists()
    assert 'system' in err.value.global_names[0]


def test_unreadable_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pkl'):
        safe_pickle_load(str(tmp_path / 'nope.pkl'))
    with pytest.raises(IsADirectoryError):
        safe_pickle_load(str(tmp_path))
    (tmp_path / 'empty.pkl').write_bytes(b'')
    with pytest.raises(InvalidInputError, match='empty'):
        safe_pickle_load(str(tmp_path / 'empty.pkl'))
    good = pickle.dumps(mmaction_annotation(3))
    (tmp_path / 'cut.pkl').write_bytes(good[:len(good) // 2])
    with pytest.raises(InvalidInputError, match='cannot read prediction dump .*cut.pkl'):
        safe_pickle_load(str(tmp_path / 'cut.pkl'), 'prediction dump')


def test_one_error_family_and_one_allowlist():
    assert issubclass(UnsafePickleError, UnsafeFileError)
    assert issubclass(UnsafeCheckpointError, UnsafeFileError)
    assert issubclass(UnsafeFileError, UserInputError) and issubclass(UnsafeFileError, RuntimeError)
    assert issubclass(InvalidInputError, ValueError)
    # the checkpoint allowlist is the data allowlist plus MMEngine's HistoryBuffer(s)
    extra = [g for g in SAFE_GLOBALS if all(g is not d for d in DATA_GLOBALS.values())]
    assert sorted(g.__name__ for g in extra) == ['HistoryBuffer', 'PlainHistoryBuffer']


def test_mmengine_scope_reads_safely_and_restores_the_handler(tmp_path):
    import mmengine
    before = file_handlers['pkl']
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps([Marker(marker)]))
    with pytest.raises(UnsafePickleError, match='evil.pkl'):
        with mmengine_safe_pickle(str(path), 'annotation file'):
            mmengine.load(str(path))
    assert file_handlers['pkl'] is before and not marker.exists()
    ok = tmp_path / 'ok.pkl'
    ok.write_bytes(pickle.dumps({'a': np.ones(2)}))
    with mmengine_safe_pickle(str(ok), on_load=lambda d: d['a']):
        np.testing.assert_array_equal(mmengine.load(str(ok)), np.ones(2))
    assert file_handlers['pkl'] is before
