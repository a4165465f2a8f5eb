"""tools/analysis/recognize.py: top-5 from an annotation sample and from a raw .skeleton."""
import runpy

import numpy as np
import pytest
import torch

from natmae_mm.datasets.ntu_classes import NTU60_CLASSES, NTU120_CLASSES, class_names
from natmae_mm.datasets.synthetic import SYNTHETIC_CLASSES

from .analysis_fixtures import ROOT, make_tiny_setup
from .raw_skeleton_writers import skeleton_text


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    return make_tiny_setup(tmp_path_factory.mktemp('rec'))


@pytest.fixture(scope='module')
def tool():
    return runpy.run_path(f'{ROOT}/tools/analysis/recognize.py', run_name='tool')


def test_ntu_class_names():
    assert len(NTU120_CLASSES) == 120 and NTU60_CLASSES == NTU120_CLASSES[:60]
    assert NTU120_CLASSES[22] == 'hand waving' and NTU120_CLASSES[58] == 'walking towards ' \
        'each other' and NTU120_CLASSES[119].startswith('finger-guessing')
    assert class_names(60) == NTU60_CLASSES and class_names(3) == SYNTHETIC_CLASSES[:3]
    assert class_names(200)[199] == 'class 199'


def test_top5_from_annotation_matches_model_scores(tiny, tool, capsys):
    rows = tool['main'](['--ann', tiny.ann, '--index', '4', tiny.lin_cfg, tiny.lin_ckpt])
    assert len(rows) == 3                                     # 3 classes < top-5
    probs = [p for _, _, p in rows]
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1, abs=1e-5)
    assert {c for c, _, _ in rows} == {0, 1, 2}
    assert rows[0][1] == SYNTHETIC_CLASSES[rows[0][0]]
    printed = capsys.readouterr().out
    assert 'tiny.pkl[4]' in printed and SYNTHETIC_CLASSES[rows[0][0]] in printed


def test_raw_skeleton_file(tiny, tool, tmp_path):
    """A raw NTU file written from a synthetic sequence is recognised like its pickle twin."""
    import pickle
    with open(tiny.ann, 'rb') as f:
        ann = pickle.load(f)['annotations'][0]
    kp = ann['keypoint'][0] + np.array([0, 0, 3.0], np.float32)   # (T, 25, 3), one actor
    frames = [[('72057594037931101', j)] for j in kp]
    raw = tmp_path / 'S001C001P001R001A002.skeleton'
    raw.write_text(skeleton_text(frames))
    rows = tool['main']([str(raw), tiny.lin_cfg, tiny.lin_ckpt])
    one = dict(ann, keypoint=ann['keypoint'][:1])       # the twin: actor 0 only
    with open(tmp_path / 'one.pkl', 'wb') as f:
        pickle.dump({'split': {}, 'annotations': [one]}, f)
    twin = tool['main'](['--ann', str(tmp_path / 'one.pkl'), '--index', '0', tiny.lin_cfg,
                         tiny.lin_ckpt])
    # the converter re-centres on frame 0's spine mid: same input up to print precision
    assert [c for c, _, _ in rows] == [c for c, _, _ in twin]
    np.testing.assert_allclose([p for *_, p in rows], [p for *_, p in twin], atol=1e-3)


def test_errors(tiny, tool, tmp_path):
    with pytest.raises(SystemExit):
        tool['main']([tiny.lin_cfg, tiny.lin_ckpt])               # no skeleton, no --ann
    with pytest.raises(SystemExit):
        tool['main'](['--ann', tiny.ann, tiny.lin_cfg, tiny.lin_ckpt])  # --ann without --index
    with pytest.raises(IndexError, match='out of range'):
        tool['main'](['--ann', tiny.ann, '--index', '99', tiny.lin_cfg, tiny.lin_ckpt])
    with pytest.raises(FileNotFoundError, match='skeleton file not found'):
        tool['main']([str(tmp_path / 'x.skeleton'), tiny.lin_cfg, tiny.lin_ckpt])
    with pytest.raises(SystemExit, match='needs a recognizer'):
        tool['main'](['--ann', tiny.ann, '--index', '0', tiny.pre_cfg, tiny.pre_ckpt])
    torch.save({'state_dict': {}}, tmp_path / 'empty.pth')
    with pytest.raises(RuntimeError, match='missing'):
        tool['main'](['--ann', tiny.ann, '--index', '0', tiny.lin_cfg,
                      str(tmp_path / 'empty.pth')])
