"""tools/run_demo.py --tiny: every step runs, outputs are well formed, reruns skip steps."""
import json
import runpy

import matplotlib.image as mpimg
import pytest
import torch
from mmengine.config import Config

from natmae_mm.evaluation.predictions import read_dump

from .analysis_fixtures import ROOT


@pytest.fixture(scope='module')
def demo():
    return runpy.run_path(f'{ROOT}/tools/run_demo.py', run_name='tool')


def test_tiny_demo_end_to_end_and_resume(demo, tmp_path, capsys):
    work = tmp_path / 'demo'
    summary = demo['main'](['--tiny', '--work-dir', str(work)])
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
    assert 'Pretraining: 1 epochs, batch 4.' in table and 'for 1 epochs' in table
    assert json.loads((work / 'results.json').read_text())['rows'] == rows

    # linear-probe top-1 agrees with the dumped predictions (4 classes x 2 val samples)
    scores, labels = read_dump(str(work / 'linear_pretrained' / 'preds.pkl'))
    assert scores.shape == (8, 4)
    assert rows[0]['linear_top1'] == pytest.approx((scores.argmax(1) == labels).mean() * 100)

    # the pretrained probe really starts from the pretrained online encoder (frozen), the
    # random one does not
    pretrained = torch.load((work / 'pretrain' / 'last_checkpoint').read_text().strip(),
                            weights_only=True)['state_dict']
    probe = torch.load((work / 'linear_pretrained' / 'last_checkpoint').read_text().strip(),
                       weights_only=True)['state_dict']
    rand = torch.load((work / 'linear_random' / 'last_checkpoint').read_text().strip(),
                      weights_only=True)['state_dict']
    key = 'backbone.joint_embed.weight'
    torch.testing.assert_close(probe[key], pretrained[key])
    assert not torch.allclose(rand[key], pretrained[key])

    # every training's config was dumped and is a loadable MMEngine config of this run
    cfg = Config.fromfile(str(work / 'configs' / 'pretrain.py'))
    assert cfg.train_dataloader.dataset.ann_file == str(work / 'data' / 'synthetic.pkl')
    assert cfg.model.backbone.embed_dim == 16 and cfg.randomness.seed == 0
    lin = Config.fromfile(str(work / 'configs' / 'linear_random.py'))
    assert lin.model.backbone.init_cfg is None

    for name in ('tsne_pretrained.png', 'tsne_random.png', 'confusion_pretrained.png'):
        img = mpimg.imread(work / name)
        assert img.ndim == 3 and min(img.shape[:2]) > 100

    # rerun: every stage is skipped, the same table comes back
    again = demo['main'](['--tiny', '--work-dir', str(work)])
    assert again['rows'] == rows
    assert capsys.readouterr().out.count('done already') == 7
    assert again['step_seconds'] == summary['step_seconds']

    # a work dir holding another run's settings is refused
    with pytest.raises(SystemExit, match='other settings'):
        demo['main'](['--tiny', '--work-dir', str(work), '--seed', '1'])


def test_work_dir_of_the_previous_demo_is_refused(demo, tmp_path):
    """The previous demo kept its state in state.json and other configs: never resume it."""
    work = tmp_path / 'old'
    work.mkdir()
    (work / 'state.json').write_text('{"stages": {}}')
    with pytest.raises(SystemExit, match='previous demo'):
        demo['main'](['--tiny', '--work-dir', str(work)])
    assert not (work / 'data').exists() and not (work / 'settings.json').exists()
