"""NTU .skeleton converter: every SGN/CTR-GCN rule on hand-built files, bad input, CLI."""
import importlib.util
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from natmae_mm.datasets.converters import ntu
from natmae_mm.datasets.converters.io import ConversionError, SkipSample
from natmae_mm.utils.safe_pickle import safe_pickle_loads

from .raw_skeleton_writers import parse_floats, skeleton_text, tall_body, wide_body

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location('ntu_raw_to_pkl',
                                              ROOT / 'tools/data/ntu_raw_to_pkl.py')
cli = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cli)

ID_A, ID_B, ID_C = '72057594037931101', '72057594037931102', '72057594037931103'


def _write(tmp_path, name, frames, **kw):
    path = tmp_path / f'{name}.skeleton'
    path.write_bytes(skeleton_text(frames, **kw).encode())
    return str(path)


def test_single_body_crlf_dropped_frames_and_translation(tmp_path):
    rng = np.random.default_rng(0)
    a = parse_floats(tall_body(rng, 20))
    frames = [[(ID_A, a[t])] for t in range(20)]
    frames.insert(5, [])  # a frame without bodies is dropped
    path = _write(tmp_path, 'S001C002P003R001A007', frames)
    anno = ntu.convert_skeleton_file(path)
    assert anno['frame_dir'] == 'S001C002P003R001A007' and anno['label'] == 6
    kp = anno['keypoint']
    assert kp.dtype == np.float32 and kp.shape == (1, 20, 25, 3) and anno['total_frames'] == 20
    np.testing.assert_array_equal(kp[0], a - a[0, 1])  # origin: joint 2 of the first frame
    # LF files without trailing blank lines parse identically
    path2 = _write(tmp_path / '..', 'S001C002P003R001A007', frames, newline='\n', trailing='')
    np.testing.assert_array_equal(ntu.convert_skeleton_file(path2)['keypoint'], kp)


def test_three_bodies_length_and_spread_denoising(tmp_path):
    rng = np.random.default_rng(1)
    a = parse_floats(tall_body(rng, 30))
    b = parse_floats(tall_body(rng, 8, offset=(2., 0., 3.)))  # 8 <= 11 frames: noise
    c = parse_floats(wide_body(rng, 30))  # every frame too wide: ratio 1 >= 0.69754
    frames = [[(ID_C, c[t]), (ID_A, a[t])] + ([(ID_B, b[t])] if t < 8 else [])
              for t in range(30)]
    bodies, n = ntu.parse_skeleton(_write(tmp_path, 'S001C001P001R001A001', frames))
    assert n == 30 and list(bodies) == [ID_C, ID_A, ID_B]
    ordered = ntu.denoise(bodies)
    assert [k for k, _ in ordered] == [ID_A]
    anno = ntu.convert_skeleton_file(str(tmp_path / 'S001C001P001R001A001.skeleton'))
    np.testing.assert_array_equal(anno['keypoint'][0], a - a[0, 1])


def _motion(j):
    return float(np.sum(np.var(j.reshape(-1, 3).astype(np.float32), axis=0)))


def test_partly_noisy_body_motion_update_and_actor_order(tmp_path):
    rng = np.random.default_rng(2)
    a = parse_floats(tall_body(rng, 30, scale=1.0))
    c = parse_floats(tall_body(rng, 30, scale=20.0, offset=(1., 0., 3.)))  # large motion
    c_noisy = c.copy()
    c_noisy[:10] = parse_floats(wide_body(rng, 10))  # 10/30 noisy frames: kept
    frames = [[(ID_A, a[t]), (ID_C, c_noisy[t])] for t in range(30)]
    bodies, _ = ntu.parse_skeleton(_write(tmp_path, 'S001C001P001R001A050', frames))
    ordered = ntu.denoise(bodies)
    motion_c = min(_motion(c_noisy), _motion(c_noisy[10:]))
    assert dict(ordered)[ID_C].motion == pytest.approx(motion_c, rel=1e-5)
    assert dict(ordered)[ID_A].motion == pytest.approx(_motion(a), rel=1e-5)
    assert motion_c > _motion(a)
    assert [k for k, _ in ordered] == [ID_C, ID_A]  # larger motion first
    kp = ntu.convert_skeleton_file(str(tmp_path / 'S001C001P001R001A050.skeleton'))['keypoint']
    origin = c_noisy[0, 1]
    assert kp.shape == (2, 30, 25, 3)
    np.testing.assert_array_equal(kp[0], c_noisy - origin)
    np.testing.assert_array_equal(kp[1], a - origin)


def test_actor_assignment_missing_frames_and_origin(tmp_path):
    rng = np.random.default_rng(3)
    big = parse_floats(tall_body(rng, 20, scale=30.0))  # actor 1, frames 5..24
    d = parse_floats(tall_body(rng, 15, offset=(0.5, 0, 3)))  # frames 25..39: joins actor 1
    e = parse_floats(tall_body(rng, 25, offset=(-1, 0, 3)))  # frames 0..24: overlaps -> actor 2
    short = parse_floats(tall_body(rng, 4))  # frames 40..43 only: removed -> empty frames
    frames = []
    for t in range(44):
        fr = []
        if t < 25:
            fr.append((ID_B, e[t]))
        if 5 <= t < 25:
            fr.append((ID_A, big[t - 5]))
        if 25 <= t < 40:
            fr.append((ID_C, d[t - 25]))
        if t >= 40:
            fr.append(('99', short[t - 40]))
        frames.append(fr)
    kp = ntu.convert_skeleton_file(_write(tmp_path, 'S001C001P001R001A051', frames))['keypoint']
    # hand-built expectation: rows 0..39 (40..43 had only the dropped body)
    actor1 = np.zeros((40, 25, 3), np.float32)
    actor1[5:25], actor1[25:40] = big, d
    actor2 = np.zeros((40, 25, 3), np.float32)
    actor2[0:25] = e
    origin = big[0, 1]  # actor 1's first non-zero frame is frame 5
    expected = np.stack([actor1, actor2]) - origin
    expected[0, :5] = 0  # actor 1 missing there
    expected[1, 25:] = 0  # actor 2 missing there
    assert kp.shape == (2, 40, 25, 3)
    np.testing.assert_array_equal(kp, expected)


def test_single_short_body_is_kept(tmp_path):
    a = parse_floats(tall_body(np.random.default_rng(7), 3))
    kp = ntu.convert_skeleton_file(_write(tmp_path, 'S001C001P001R001A001',
                                          [[(ID_A, a[t])] for t in range(3)]))['keypoint']
    np.testing.assert_array_equal(kp[0], a - a[0, 1])


def test_skips(tmp_path):
    with pytest.raises(SkipSample, match='no frame'):
        ntu.convert_skeleton_file(_write(tmp_path, 'S001C001P001R001A001', [[], []]))
    rng = np.random.default_rng(4)
    x, y = tall_body(rng, 5), tall_body(rng, 5)
    frames = [[('1', x[t]), ('2', y[t])] for t in range(5)]
    with pytest.raises(SkipSample, match='shorter than 12'):
        ntu.convert_skeleton_file(_write(tmp_path, 'S001C001P001R001A002', frames))


def _good_text(n=3):
    rng = np.random.default_rng(5)
    a = tall_body(rng, n)
    return skeleton_text([[(ID_A, a[t])] for t in range(n)], newline='\n', trailing='\n')


@pytest.mark.parametrize('mutate,line,reason', [
    (lambda ls: ls.__setitem__(3, '24'), 4, 'joint count is 24'),
    (lambda ls: ls.__setitem__(6, ls[6].replace('250.1', '').strip()), 7, '11 fields'),
    (lambda ls: ls.__setitem__(8, 'abc ' + ls[8].split(' ', 1)[1]), 9, 'non-numeric'),
    (lambda ls: ls.__setitem__(10, 'nan ' + ls[10].split(' ', 1)[1]), 11, 'non-finite'),
    (lambda ls: ls.__setitem__(0, '2'), 58, 'frame count disagrees'),
    (lambda ls: ls.__setitem__(0, '4'), 86, 'file ends early'),
    (lambda ls: ls.__setitem__(1, 'x'), 2, 'body count'),
    (lambda ls: ls.__setitem__(2, '7 1 2'), 3, 'body info line has 3 fields'),
    (lambda ls: ls.__delitem__(slice(40, None)), 41, 'file ends early'),
])
def test_malformed_files_name_line_and_reason(tmp_path, mutate, line, reason):
    lines = _good_text().split('\n')
    mutate(lines)
    path = tmp_path / 'S001C001P001R001A001.skeleton'
    path.write_text('\r\n'.join(lines))
    with pytest.raises(ConversionError, match=reason) as err:
        ntu.convert_skeleton_file(str(path))
    assert err.value.line == line


def test_empty_and_bad_name(tmp_path):
    (tmp_path / 'S001C001P001R001A001.skeleton').write_text('\r\n\r\n')
    with pytest.raises(ConversionError, match='empty'):
        ntu.convert_skeleton_file(str(tmp_path / 'S001C001P001R001A001.skeleton'))
    with pytest.raises(ConversionError, match='SsssCccc'):
        ntu.parse_name('S01C001P001R001A001')


def test_official_splits():
    names = ['S001C001P001R001A001', 'S001C002P003R001A001', 'S017C003P038R002A060',
             'S018C001P045R001A061', 'S019C002P106R001A120']
    sp = ntu.official_splits(names[:3], 'ntu60')
    assert sp['xsub_train'] == [names[0], names[2]] and sp['xsub_val'] == [names[1]]
    assert sp['xview_train'] == names[1:3] and sp['xview_val'] == [names[0]]
    sp = ntu.official_splits(names, 'ntu120')
    assert sp['xsub_train'] == [names[0], names[2], names[3]]
    assert sp['xset_train'] == [names[3]] and len(sp['xset_val']) == 4
    assert len(ntu.NTU120_XSUB_TRAIN) == 53 and len(ntu.NTU60_XSUB_TRAIN) == 20
    assert [ntu.belongs_to(n, 'ntu60') for n in names] == [True, True, True, False, False]


def test_cli_continues_reports_and_writes_atomically(tmp_path, capsys, monkeypatch):
    raw = tmp_path / 'raw'
    raw.mkdir()
    (raw / 'S001C001P001R001A001.skeleton').write_text(_good_text())
    (raw / 'S001C002P002R001A002.skeleton').write_text(_good_text(4).replace('\n25\n', '\n24\n',
                                                                           1))
    (raw / 'S001C003P001R001A003.skeleton').write_text('1\r\n0\r\n')  # no body: skipped
    (raw / 'S001C001P003R001A004.skeleton').write_text(_good_text())  # in the ignore list
    (raw / 'S018C001P001R001A061.skeleton').write_text(_good_text())  # NTU-120 only
    ignore = tmp_path / 'missing.txt'
    ignore.write_text('# header\nS001C001P003R001A004\n\n')
    out = tmp_path / 'out' / 'ntu60.pkl'
    assert cli.main([str(raw), str(out), '--dataset', 'ntu60', '--ignore', str(ignore)]) == 0
    text = capsys.readouterr().out
    assert 'converted: 1, skipped (no usable skeleton): 1, errors: 1' in text
    assert 'S001C002P002R001A002.skeleton:4: joint count is 24' in text
    assert 'S001C003P001R001A003.skeleton: no frame contains a body' in text
    data = safe_pickle_loads(out.read_bytes())
    assert [a['frame_dir'] for a in data['annotations']] == ['S001C001P001R001A001']
    assert data['split'] == dict(xsub_train=['S001C001P001R001A001'], xsub_val=[],
                                 xview_train=[], xview_val=['S001C001P001R001A001'])
    assert os.listdir(out.parent) == ['ntu60.pkl']
    # interrupted write: the previous file survives and no temporary is left behind
    before = out.read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pickle, 'dump', boom)
    with pytest.raises(KeyboardInterrupt):
        cli.main([str(raw), str(out), '--dataset', 'ntu120'])
    assert out.read_bytes() == before and os.listdir(out.parent) == ['ntu60.pkl']


def test_cli_parallel_matches_serial(tmp_path):
    raw = tmp_path / 'raw'
    raw.mkdir()
    rng = np.random.default_rng(6)
    for i in range(6):
        a = tall_body(rng, 15)
        (raw / f'S001C001P00{i + 1}R001A00{i + 1}.skeleton').write_text(
            skeleton_text([[(ID_A, a[t])] for t in range(15)]))
    cli.main([str(raw), str(tmp_path / 's.pkl'), '--dataset', 'ntu60'])
    cli.main([str(raw), str(tmp_path / 'p.pkl'), '--dataset', 'ntu60', '--workers', '2'])
    s = safe_pickle_loads((tmp_path / 's.pkl').read_bytes())
    p = safe_pickle_loads((tmp_path / 'p.pkl').read_bytes())
    assert s['split'] == p['split'] and len(s['annotations']) == 6
    for x, y in zip(s['annotations'], p['annotations']):
        np.testing.assert_array_equal(x['keypoint'], y['keypoint'])
