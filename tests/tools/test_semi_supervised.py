"""tools/analysis/semi_supervised.py end to end on tiny N-UCLA-shaped data:
two subset seeds of a 50% label fraction, mean/std table, resume, bad input."""
import csv
import importlib.util
import json
import os
import os.path as osp
import pickle
from collections import Counter

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import natmae_mm  # noqa: F401
from natmae_mm.utils.cli import run_tool
from tests.configs.nucla_data import write_nucla_like

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
NUCLA = osp.join(ROOT, 'configs', 'natmae', 'nucla')
spec = importlib.util.spec_from_file_location(
    'semi_supervised', osp.join(ROOT, 'tools', 'analysis', 'semi_supervised.py'))
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

TINY = f'''
_base_ = [{osp.join(NUCLA, 'vit-8x256_8xb6-finetune-100e_nucla-xview-3d.py')!r}]
model = dict(backbone=dict(num_frames=8, embed_dim=16, depth=1, num_heads=2, drop_path_rate=0.),
             cls_head=dict(in_channels=16, hidden=16))
pipe = [dict(type='ValidCropResize', clip_len=8, p_interval=(0.95, ), test_mode=True),
        dict(type='FormatGCNInput', num_person=1), dict(type='PackActionInputs')]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=pipe))
test_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                       dataset=dict(pipeline=pipe))
val_dataloader = test_dataloader
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
log_level = 'WARNING'
'''


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('semi')
    ann = write_nucla_like(str(tmp / 'nucla.pkl'), num_samples=30, min_frames=1, max_frames=20)
    config = tmp / 'finetune_tiny.py'
    config.write_text(TINY)
    # a "pretrained" checkpoint: the tiny encoder's weights under 'backbone.'
    init_default_scope('mmaction')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    ckpt = str(tmp / 'pretrained.pth')
    torch.save({'state_dict': {k: v for k, v in model.state_dict().items()
                               if k.startswith('backbone.')}}, ckpt)
    return str(config), ann, ckpt, tmp


def expected_subset_size(ann, fraction):
    """SkeletonDataset's documented class-balanced rule: max(1, floor(f * n_c + 0.5))."""
    with open(ann, 'rb') as f:
        data = pickle.load(f)
    train = set(data['split']['xview_train'])
    counts = Counter(a['label'] for a in data['annotations'] if a['frame_dir'] in train)
    return sum(max(1, int(fraction * n + 0.5)) for n in counts.values())


def test_two_seeds_table_and_resume(setup, capsys):
    config, ann, ckpt, tmp = setup
    work = tmp / 'work'
    args = [config, '--checkpoint', ckpt, '--fraction', '0.5', '--seeds', '0', '1',
            '--work-dir', str(work), '--ann-file', ann]
    assert tool.main(args) == 0
    assert ckpt in capsys.readouterr().out        # the encoder was loaded from it

    recs = [json.load(open(work / 'results' / f'seed{s}.json')) for s in (0, 1)]
    for seed, rec in zip((0, 1), recs):
        assert rec['seed'] == seed and rec['fraction'] == 0.5
        assert rec['train_samples'] == expected_subset_size(ann, 0.5)
        # 10 test sequences (view 3 of 30): multiples of 10 %
        assert rec['top1'] == pytest.approx(10 * round(rec['top1'] / 10))
    rows = list(csv.DictReader(open(work / 'results.csv')))
    assert [r['seed'] for r in rows] == ['0', '1', 'mean (n=2)', 'std']
    mean = (recs[0]['top1'] + recs[1]['top1']) / 2
    assert float(rows[2]['top1']) == pytest.approx(mean)
    assert float(rows[3]['top1']) == pytest.approx(
        abs(recs[0]['top1'] - recs[1]['top1']) / 2 ** 0.5)
    md = open(work / 'results.md').read()
    assert '50% labels' in md and '| mean (n=2) |' in md

    # the two runs trained on different subsets (the dataset draws them per seed)
    dumps = sorted(open(os.path.join(root, f)).read()
                   for root, _, files in os.walk(work / 'runs') for f in files
                   if f == 'config.py')
    assert any('subset_seed=1' in d for d in dumps) and any('subset_seed=0' in d for d in dumps)

    # resume: nothing retrained; a third seed extends the table
    stamp = sorted(os.listdir(work / 'runs' / 'seed0'))
    assert tool.main(args[:6] + ['0', '1', '2'] + args[8:]) == 0
    assert sorted(os.listdir(work / 'runs' / 'seed0')) == stamp
    rows = list(csv.DictReader(open(work / 'results.csv')))
    assert [r['seed'] for r in rows] == ['0', '1', '2', 'mean (n=3)', 'std']


def test_bad_input(setup, tmp_path, capsys):
    config, ann, ckpt, _ = setup
    base = ['--work-dir', str(tmp_path / 'w'), '--ann-file', ann]
    assert run_tool(tool.main, [config, '--checkpoint', str(tmp_path / 'none.pth')] + base) == 1
    assert 'does not exist' in capsys.readouterr().err
    assert run_tool(tool.main, [config, '--checkpoint', ckpt, '--fraction', '0'] + base) == 1
    assert 'must be in (0, 1]' in capsys.readouterr().err
    assert run_tool(tool.main, [config, '--checkpoint', ckpt, '--work-dir', str(tmp_path / 'w'),
                      '--ann-file', str(tmp_path / 'missing.pkl')]) == 1
    err = capsys.readouterr().err
    assert 'missing.pkl' in err and 'Traceback' not in err
