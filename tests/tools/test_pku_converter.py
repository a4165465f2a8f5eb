"""PKU-MMD converter: clip cutting convention, bodies, centring, splits, bad input."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from natmae_mm.datasets.converters import pku
from natmae_mm.datasets.converters.io import ConversionError
from natmae_mm.utils.safe_pickle import safe_pickle_loads

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location('pku_raw_to_pkl',
                                              ROOT / 'tools/data/pku_raw_to_pkl.py')
cli = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cli)


def _video(t=40, second=True, seed=0):
    rng = np.random.default_rng(seed)
    rows = rng.uniform(-1, 1, size=(t, 150)).round(4)
    if not second:
        rows[:, 75:] = 0
    return rows


def _write_video(root, name, rows, labels, crlf=True):
    (root / 'skeleton').mkdir(exist_ok=True)
    (root / 'label').mkdir(exist_ok=True)
    nl = '\r\n' if crlf else '\n'
    (root / 'skeleton' / f'{name}.txt').write_text(
        nl.join(' '.join(f'{v:g}' for v in r) for r in rows) + nl + nl)
    (root / 'label' / f'{name}.txt').write_text(nl.join(labels) + nl)


def _expected(rows, lo, hi, keep):
    """Hand rule: (M, T, V, C) clip, minus body 0's joint 1 in frame 0, missing bodies zero."""
    clip = rows[lo:hi].reshape(hi - lo, 2, 25, 3).transpose(1, 0, 2, 3)[:keep].astype(np.float32)
    missing = ~clip.any(axis=(2, 3))
    out = clip - clip[0, 0, 1]
    out[missing] = 0
    return out


def test_cut_convention_bodies_and_centre(tmp_path):
    rows = _video()
    rows[10:20, 75:] = 0  # second body absent in the first clip
    _write_video(tmp_path, '0002-L', rows, ['3,10,20,1', '51,15,40,2'])
    batch = pku.cut_actions(str(tmp_path / 'skeleton/0002-L.txt'), str(tmp_path / 'label'), 1)
    a, b = batch.annotations
    assert (a['frame_dir'], a['label'], b['frame_dir'], b['label']) == ('0002-L_0', 2,
                                                                        '0002-L_1', 50)
    # default: MAMP's rows[start:end]; the all-zero second body is dropped
    np.testing.assert_allclose(a['keypoint'], _expected(rows, 10, 20, 1), atol=1e-6)
    # a second body that is only partly missing is kept, zero where missing
    np.testing.assert_allclose(b['keypoint'], _expected(rows, 15, 40, 2), atol=1e-6)
    assert not b['keypoint'][1, :5].any() and b['keypoint'][1, 5:].any()
    # one-based inclusive: rows start-1 .. end-1 (row 9 still has the second body)
    batch = pku.cut_actions(str(tmp_path / 'skeleton/0002-L.txt'), str(tmp_path / 'label'), 1,
                            one_based_inclusive=True)
    assert batch.annotations[0]['keypoint'].shape == (2, 11, 25, 3)
    np.testing.assert_allclose(batch.annotations[0]['keypoint'], _expected(rows, 9, 20, 2),
                               atol=1e-6)
    raw = pku.cut_actions(str(tmp_path / 'skeleton/0002-L.txt'), str(tmp_path / 'label'), 1,
                          do_centre=False).annotations[1]['keypoint']
    np.testing.assert_allclose(raw[0], rows[15:40, :75].reshape(25, 25, 3), atol=1e-6)


def test_bad_labels_are_reported_and_rest_kept(tmp_path):
    _write_video(tmp_path, '0003-M', _video(t=30), ['1,0,10,1', '2,25,31,1', '3,12,12,1',
                                                     '52,0,5,1'])
    batch = pku.cut_actions(str(tmp_path / 'skeleton/0003-M.txt'), str(tmp_path / 'label'), 1)
    assert batch.annotations == [] and len(batch.errors) == 1
    assert batch.errors[0].line == 4 and 'label 52 outside 1..51' in batch.errors[0].reason
    _write_video(tmp_path, '0003-M', _video(t=30), ['1,0,10,1', '2,25,31,1', '3,12,12,1'])
    batch = pku.cut_actions(str(tmp_path / 'skeleton/0003-M.txt'), str(tmp_path / 'label'), 2)
    assert [a['frame_dir'] for a in batch.annotations] == ['0003-M_0']
    assert [(e.line, e.reason.split(' ')[0]) for e in batch.errors] == [(2, 'interval'),
                                                                       (3, 'empty')]
    assert 'past the end of 0003-M.txt (30 frames)' in batch.errors[0].reason


@pytest.mark.parametrize('edit,line,reason', [
    (lambda r: r.__setitem__(4, ' '.join(r[4].split()[:149])), 5, '149 values'),
    (lambda r: r.__setitem__(2, r[2].replace(r[2].split()[0], 'x1', 1)), 3, 'non-numeric'),
    (lambda r: r.__setitem__(6, 'inf ' + r[6].split(' ', 1)[1]), 7, 'non-finite'),
])
def test_malformed_skeleton_lines(tmp_path, edit, line, reason):
    lines = [' '.join(f'{v:g}' for v in r) for r in _video(t=10)]
    edit(lines)
    path = tmp_path / '0004-R.txt'
    path.write_text('\n'.join(lines))
    with pytest.raises(ConversionError, match=reason) as err:
        pku.read_skeleton_rows(str(path))
    assert err.value.line == line
    path.write_text('\n\n')
    with pytest.raises(ConversionError, match='empty'):
        pku.read_skeleton_rows(str(path))


def test_cli_splits_and_summary(tmp_path, capsys):
    for name in ('0002-L', '0002-M', '0003-L'):
        _write_video(tmp_path, name, _video(t=30, second=False), ['5,0,10,1', '7,10,20,1'])
    (tmp_path / 'label/0003-L.txt').write_text('5,0,10,1\n7,10,99,1\n')
    (tmp_path / 'xsub.txt').write_text('Training videos: \n0002-L, 0002-M\n'
                                       'Validataion videos: \n0003-L\n')
    (tmp_path / 'xview.txt').write_text('Training videos:\n0002-M, 0003-L\n'
                                        'Validation videos:\n0002-L\n')
    out = tmp_path / 'pku.pkl'
    cli.main([str(out), '--skeleton-dir', str(tmp_path / 'skeleton'), '--label-dir',
              str(tmp_path / 'label'), '--xsub-split-file', str(tmp_path / 'xsub.txt'),
              '--xview-split-file', str(tmp_path / 'xview.txt'), '--phase', '1'])
    text = capsys.readouterr().out
    assert 'converted: 5' in text and '0003-L.txt:2: interval [10, 99] points past' in text
    data = safe_pickle_loads(out.read_bytes())
    sp = data['split']
    assert sp['xsub_train'] == ['0002-L_0', '0002-L_1', '0002-M_0', '0002-M_1']
    assert sp['xsub_val'] == ['0003-L_0']
    assert sp['xview_val'] == ['0002-L_0', '0002-L_1']
    assert all(a['keypoint'].shape[0] == 1 for a in data['annotations'])
