"""tools/analysis/confusion_matrix.py: hand-checked counts, dump formats, PNG output."""
import pickle
import runpy

import matplotlib.image as mpimg
import numpy as np
import pytest
import torch

from .analysis_fixtures import ROOT, make_tiny_setup


@pytest.fixture(scope='module')
def tool():
    return runpy.run_path(f'{ROOT}/tools/analysis/confusion_matrix.py', run_name='tool')


def _dump(path, scores, labels, api):
    rows = []
    for s, y in zip(scores, labels):
        if api == '1.1':
            rows.append({'pred_scores': {'item': torch.tensor(s)},
                         'gt_labels': {'item': torch.tensor([y])}})
        else:
            rows.append({'pred_score': torch.tensor(s), 'gt_label': torch.tensor([y])})
    with open(path, 'wb') as f:
        pickle.dump(rows, f)


@pytest.mark.parametrize('api', ['1.1', '1.2'])
def test_counts_from_a_dump(tool, tmp_path, api):
    # predictions (argmax): 0, 1, 1, 2, 0 for true labels 0, 0, 1, 2, 2
    scores = [[.9, .1, 0], [.2, .7, .1], [0, 1, 0], [.1, .2, .7], [.5, .2, .3]]
    labels = [0, 0, 1, 2, 2]
    pred = tmp_path / 'p.pkl'
    _dump(pred, scores, labels, api)
    out = tmp_path / 'cm.png'
    cm = tool['main'](['--pred', str(pred), '--out', str(out), '--save-npy'])
    expect = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(cm, expect)
    np.testing.assert_array_equal(np.load(tmp_path / 'cm.npy'), expect)
    assert mpimg.imread(out).shape[0] > 100
    tool['main'](['--pred', str(pred), '--out', str(out), '--normalize'])


def test_from_config_and_checkpoint_agrees_with_dump_path(tool, tmp_path):
    tiny = make_tiny_setup(tmp_path)
    scores, labels = tool['predict'](tiny.lin_cfg, tiny.lin_ckpt, None)
    assert scores.shape == (6, 3) and labels.tolist() == [0, 0, 1, 1, 2, 2]
    out = tmp_path / 'cm2.png'
    cm = tool['main']([tiny.lin_cfg, tiny.lin_ckpt, '--out', str(out)])
    np.testing.assert_array_equal(cm, tool['confusion'](scores.argmax(1), labels, 3))
    assert cm.sum() == 6 and out.is_file()
    with pytest.raises(SystemExit, match='not a recognizer'):
        tool['main']([tiny.pre_cfg, tiny.pre_ckpt, '--out', str(out)])


def test_bad_inputs(tool, tmp_path):
    bad = tmp_path / 'bad.pkl'
    with open(bad, 'wb') as f:
        pickle.dump([{'foo': 1}], f)
    with pytest.raises(ValueError, match="neither 'pred_score'"):
        tool['main'](['--pred', str(bad), '--out', str(tmp_path / 'x.png')])
    with pytest.raises(FileNotFoundError, match='prediction dump not found'):
        tool['main'](['--pred', str(tmp_path / 'none.pkl'), '--out', str(tmp_path / 'x.png')])
    with pytest.raises(SystemExit):
        tool['main'](['--out', str(tmp_path / 'x.png')])   # neither --pred nor config
