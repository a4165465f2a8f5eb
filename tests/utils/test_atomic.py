"""Atomic writers: the destination holds the old or the complete new content, never a part."""
import os
import pickle

import pytest
import torch

from natmae_mm.utils.atomic import (
    InvalidJSONError,
    atomic_path,
    atomic_pickle_dump,
    atomic_torch_save,
    atomic_write_json,
    atomic_write_text,
    read_json,
)


def test_failure_leaves_old_file_and_no_temporary(tmp_path):
    dest = tmp_path / 'out.txt'
    dest.write_text('old')
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(str(dest)) as tmp:
            with open(tmp, 'w') as f:
                f.write('half')
            raise KeyboardInterrupt
    assert dest.read_text() == 'old'
    assert os.listdir(tmp_path) == ['out.txt']


def test_writers_round_trip_and_create_folders(tmp_path):
    atomic_write_text(str(tmp_path / 'a' / 'x.md'), 'täble')
    assert (tmp_path / 'a' / 'x.md').read_text(encoding='utf-8') == 'täble'
    atomic_pickle_dump({'k': [1, 2]}, str(tmp_path / 'b' / 'x.pkl'))
    with open(tmp_path / 'b' / 'x.pkl', 'rb') as f:
        assert pickle.load(f) == {'k': [1, 2]}
    atomic_torch_save({'w': torch.arange(3)}, str(tmp_path / 'c.pth'))
    assert torch.load(tmp_path / 'c.pth', weights_only=True)['w'].tolist() == [0, 1, 2]
    assert sorted(os.listdir(tmp_path)) == ['a', 'b', 'c.pth']


def test_written_file_gets_the_umask_mode_not_mkstemp_0600(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_text(str(tmp_path / 'shared.txt'), 'x')
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / 'shared.txt').st_mode & 0o777) == 0o640  # 0666 & ~0027


def test_atomic_json_roundtrip_and_no_temporaries(tmp_path):
    path = tmp_path / 'sub' / 'r.json'
    atomic_write_json(str(path), {'b': [1, 2], 'a': 1.5})
    assert read_json(str(path)) == {'a': 1.5, 'b': [1, 2]}
    assert path.read_text() == '{\n  "a": 1.5,\n  "b": [\n    1,\n    2\n  ]\n}\n'
    assert os.listdir(tmp_path / 'sub') == ['r.json']
    assert read_json(str(tmp_path / 'missing.json')) is None
    (tmp_path / 'bad.json').write_text('{"a": ')
    with pytest.raises(InvalidJSONError, match='bad.json.*delete it'):
        read_json(str(tmp_path / 'bad.json'))
