"""npz (CTR-GCN/MAMP) and Northwestern-UCLA JSON converters."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from natmae_mm.datasets.converters import npz, nucla
from natmae_mm.datasets.converters.io import ConversionError
from natmae_mm.utils.safe_pickle import safe_pickle_loads

ROOT = Path(__file__).resolve().parents[2]


def _cli(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / f'tools/data/{name}.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _npz(path, n=4, t=300, num_classes=60):
    rng = np.random.default_rng(0)
    x = np.zeros((n, t, 150), np.float32)
    lengths = [50, 80, 120, 300]
    for i in range(n):
        x[i, :lengths[i]] = rng.normal(size=(lengths[i], 150))
    x[0, :, 75:] = 0  # empty second person
    x[1, :, 75:] = x[1, :, :75]  # CTR-GCN's duplicated single actor
    y = np.zeros((n, num_classes))
    y[np.arange(n), [3, 0, 59, 7]] = 1
    np.savez(path, x_train=x, y_train=y, x_test=x[:2], y_test=y[:2])
    return x


def test_npz_rows(tmp_path):
    x = _npz(tmp_path / 'a.npz')
    kp = npz.sample_from_row(x[0])
    assert kp.shape == (1, 50, 25, 3)
    np.testing.assert_array_equal(kp[0], x[0, :50, :75].reshape(50, 25, 3))
    assert npz.sample_from_row(x[1]).shape == (1, 80, 25, 3)  # duplicate dropped
    assert npz.sample_from_row(x[1], keep_second_person=True).shape == (2, 80, 25, 3)
    full = npz.sample_from_row(x[3])
    assert full.shape == (2, 300, 25, 3)
    np.testing.assert_array_equal(full[1], x[3, :, 75:].reshape(300, 25, 3))
    with pytest.raises(ConversionError, match='all-zero'):
        npz.sample_from_row(np.zeros((300, 150), np.float32))


def test_npz_cli(tmp_path, capsys):
    _npz(tmp_path / 'NTU60_CS.npz')
    bad = dict(np.load(tmp_path / 'NTU60_CS.npz'))
    bad['x_test'] = bad['x_test'].copy()
    bad['x_test'][1, 3, 4] = np.nan
    np.savez(tmp_path / 'bad.npz', **bad)
    out = tmp_path / 'o.pkl'
    _cli('npz_to_pkl').main([str(tmp_path / 'bad.npz'), str(out), '--benchmark', 'xsub'])
    assert 'bad.npz[test_1]: x_test[1] has non-finite values' in capsys.readouterr().out
    data = safe_pickle_loads(out.read_bytes())
    assert data['split'] == dict(xsub_train=['train_0', 'train_1', 'train_2', 'train_3'],
                                 xsub_val=['test_0'])
    assert [a['label'] for a in data['annotations']] == [3, 0, 59, 7, 3]
    assert [a['total_frames'] for a in data['annotations']] == [50, 80, 120, 300, 50]
    with pytest.raises(SystemExit, match='x_train'):
        np.savez(tmp_path / 'wrong.npz', x=np.zeros(3))
        _cli('npz_to_pkl').main([str(tmp_path / 'wrong.npz'), str(out), '--benchmark', 'xsub'])


def _seq(tmp_path, name, t=5, label=1, seed=0, **override):
    skel = np.random.default_rng(seed).normal(size=(t, 20, 3)).round(5)
    obj = dict(file_name=name, skeletons=skel.tolist(), label=label, **override)
    (tmp_path / f'{name}.json').write_text(json.dumps(obj))
    return skel


def test_nucla_centre_label_and_errors(tmp_path):
    skel = _seq(tmp_path, 'a01_s01_e00_v01', label=10)
    anno = nucla.convert_json(str(tmp_path / 'a01_s01_e00_v01.json'))
    assert anno['label'] == 9 and anno['keypoint'].shape == (1, 5, 20, 3)
    np.testing.assert_allclose(anno['keypoint'][0], skel - skel[0, 0], atol=1e-6)
    assert not anno['keypoint'][0, 0, 0].any()
    cases = {'a02_s01_e00_v01': dict(label=11), 'a02_s01_e01_v01': dict(t=0),
             'a02_s01_e02_v01': dict(t=2)}
    for name, kw in cases.items():
        _seq(tmp_path, name, **kw)
    with pytest.raises(ConversionError, match='label'):
        nucla.convert_json(str(tmp_path / 'a02_s01_e00_v01.json'))
    with pytest.raises(ConversionError, match='shape'):
        nucla.convert_json(str(tmp_path / 'a02_s01_e01_v01.json'))
    (tmp_path / 'a03_s01_e00_v01.json').write_text('{"skeletons": [[[1, 2, 3]]], "label": 1}')
    with pytest.raises(ConversionError, match=r'\(1, 1, 3\)'):
        nucla.convert_json(str(tmp_path / 'a03_s01_e00_v01.json'))
    (tmp_path / 'a04_s01_e00_v01.json').write_text('{"skeletons": [\n[[1, 2, 3]]')
    with pytest.raises(ConversionError, match='invalid JSON') as err:
        nucla.convert_json(str(tmp_path / 'a04_s01_e00_v01.json'))
    assert err.value.line == 2
    (tmp_path / 'bad.json').write_text('{}')
    with pytest.raises(ConversionError, match='aAA_sSS'):
        nucla.convert_json(str(tmp_path / 'bad.json'))


def test_nucla_cli_split(tmp_path, capsys):
    src = tmp_path / 'json'
    src.mkdir()
    for v in (1, 2, 3):
        _seq(src, f'a01_s01_e00_v0{v}', seed=v)
    _seq(src, 'a01_s02_e00_v03', label=0)
    out = tmp_path / 'nucla.pkl'
    _cli('nucla_to_pkl').main([str(src), str(out)])
    assert 'a01_s02_e00_v03.json: "label" is 0' in capsys.readouterr().out
    data = safe_pickle_loads(out.read_bytes())
    assert data['split'] == dict(xview_train=['a01_s01_e00_v01', 'a01_s01_e00_v02'],
                                 xview_val=['a01_s01_e00_v03'])
