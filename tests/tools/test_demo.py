"""tools/run_demo.py --tiny: every stage runs, outputs are well formed, reruns skip stages."""
import json
import runpy

import matplotlib.image as mpimg
import pytest
import torch

from .analysis_fixtures import ROOT


@pytest.fixture(scope='module')
def demo():
    return runpy.run_path(f'{ROOT}/tools/run_demo.py', run_name='tool')


def test_tiny_demo_end_to_end_and_resume(demo, tmp_path, capsys):
    work = tmp_path / 'demo'
    summary = demo['main'](['--tiny', '--in-process', '--work-dir', str(work)])
    out = capsys.readouterr().out

    # the table: two encoders, accuracies in [0, 100], printed and written
    rows = summary['rows']
    assert [r['encoder'] for r in rows] == ['NAT-MAE pretrained', 'random init']
    for r in rows:
        for key in ('linear_top1', 'linear_top5', 'knn_top1'):
            assert 0.0 <= r[key] <= 100.0
        assert r['linear_top5'] >= r['linear_top1']
    table = (work / 'results.md').read_text()
    assert table.startswith('| encoder (frozen) | linear top-1 |') and table in out
    assert json.loads((work / 'results.json').read_text())['rows'] == rows

    # linear-probe top-1 agrees with the dumped predictions (4 classes x 2 val samples)
    tool = runpy.run_path(f'{ROOT}/tools/analysis/confusion_matrix.py', run_name='t')
    scores, labels = tool['read_dump'](str(work / 'linear_pretrained' / 'preds.pkl'))
    assert scores.shape == (8, 4)
    assert rows[0]['linear_top1'] == pytest.approx((scores.argmax(1) == labels).mean() * 100)

    # checkpoints: the pretraining one, and the extracted backbone holding backbone.* only
    last = (work / 'pretrain' / 'last_checkpoint').read_text().strip()
    assert torch.load(last, weights_only=True)['state_dict']
    backbone = torch.load(work / 'backbone.pth', weights_only=True)['state_dict']
    assert backbone and all(k.startswith('backbone.') for k in backbone)
    # the pretrained probe really starts from the extracted weights, the random one does not
    probe = torch.load((work / 'linear_pretrained' / 'last_checkpoint').read_text().strip(),
                       weights_only=True)['state_dict']
    rand = torch.load((work / 'linear_random' / 'last_checkpoint').read_text().strip(),
                      weights_only=True)['state_dict']
    key = 'backbone.joint_embed.weight'
    torch.testing.assert_close(probe[key], backbone[key])
    assert not torch.allclose(rand[key], backbone[key])

    for name in ('tsne_pretrained.png', 'tsne_random.png', 'confusion_pretrained.png'):
        img = mpimg.imread(work / name)
        assert img.ndim == 3 and min(img.shape[:2]) > 100

    # rerun: every stage is skipped, the same table comes back
    again = demo['main'](['--tiny', '--in-process', '--work-dir', str(work)])
    assert again['rows'] == rows
    assert capsys.readouterr().out.count('done already') == 8

    # a work dir holding another run's settings is refused
    with pytest.raises(SystemExit, match='other settings'):
        demo['main'](['--tiny', '--in-process', '--work-dir', str(work), '--seed', '1'])
