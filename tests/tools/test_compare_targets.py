"""tools/analysis/compare_targets.py end to end on tiny N-UCLA-shaped data:
two targets + the random encoder, one seed, one epoch each, then the resume
paths (finished runs skipped, a killed pretraining resumed from its
checkpoint, a probe killed before its first checkpoint rerun) and the clear errors on bad input."""
import copy
import csv
import glob
import importlib.util
import json
import os
import os.path as osp

import pytest

from natmae_mm.utils.cli import run_tool
from tests.configs.nucla_data import write_nucla_like

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
NUCLA = osp.join(ROOT, 'configs', 'natmae', 'nucla')


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'compare_targets', osp.join(ROOT, 'tools', 'analysis', 'compare_targets.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()

TINY_MODEL = '''
clip_len = 8
model = dict(backbone=dict(num_frames=8, embed_dim=16, depth=1, num_heads=2){extra})
'''
TINY_DATA = '''
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=[
    dict(type='ValidCropResize', clip_len=8, p_interval=(0.5, 1.0), min_frames=4),
    dict(type='FormatGCNInput', num_person=1), dict(type='PackActionInputs')]))
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
log_level = 'WARNING'
'''


def write_tiny_configs(tmp_path):
    """Tiny copies of the CPU configs: 8 frames, width 16, 1 block, 1 epoch."""
    pre, lin = tmp_path / 'pretrain_tiny.py', tmp_path / 'linear_tiny.py'
    pre.write_text(
        f"_base_ = [{osp.join(NUCLA, 'pretrain_nucla_cpu.py')!r}]\n"
        + TINY_MODEL.format(extra=''',
    neck=dict(num_frames=8, embed_dim=16, decoder_dim=16, depth=1, num_heads=2),
    contrast=dict(queue_len=8)''')
        + TINY_DATA + '''
param_scheduler = [dict(type='ConstantLR', factor=1.0)]
linear_probe_config = 'linear_tiny.py'
''')
    lin.write_text(
        f"_base_ = [{osp.join(NUCLA, 'linear_nucla_cpu.py')!r}]\n"
        + TINY_MODEL.format(extra=', cls_head=dict(in_channels=16)') + TINY_DATA + '''
param_scheduler = []
test_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                       dataset=dict(pipeline=[
    dict(type='ValidCropResize', clip_len=8, p_interval=(0.95, ), test_mode=True),
    dict(type='FormatGCNInput', num_person=1), dict(type='PackActionInputs')]))
val_dataloader = test_dataloader
''')
    return str(pre)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('cmp')
    ann = write_nucla_like(str(tmp / 'nucla.pkl'), num_samples=24, min_frames=1,
                           max_frames=20, short_every=9)
    return write_tiny_configs(tmp), ann, tmp


def run(config, ann, work, *extra):
    return run_tool(tool.main, [config, '--work-dir', str(work), '--ann-file', ann, '--targets',
                      'nat,joint', '--seeds', '0', *extra])


def _timestamps(stage_dir):
    """MMEngine makes one timestamped log folder per Runner it builds."""
    return sorted(d for d in os.listdir(stage_dir) if osp.isdir(osp.join(stage_dir, d)))


def test_end_to_end_then_resume(setup, capsys):
    config, ann, tmp = setup
    work = tmp / 'work'
    assert run(config, ann, work) == 0

    names = sorted(osp.basename(p) for p in glob.glob(str(work / 'results' / '*.json')))
    assert names == ['joint_con-none_seed0.json', 'nat_con-none_seed0.json',
                     'random_seed0.json']
    records = {n: json.load(open(work / 'results' / n)) for n in names}
    for rec in records.values():
        assert 0.0 <= rec['linear_top1'] <= 100.0 and 0.0 <= rec['knn_top1'] <= 100.0
        # 8 test sequences (view 3 of 24): accuracies are multiples of 1/8
        assert rec['linear_top1'] * 8 / 100 == pytest.approx(round(rec['linear_top1'] * 8 / 100))
    assert records['random_seed0.json']['checkpoint'] is None
    assert records['nat_con-none_seed0.json']['checkpoint'].endswith('epoch_1.pth')

    # the pretraining really used the requested target and no contrastive branch
    dumped = glob.glob(str(work / 'runs' / 'nat_con-none_seed0' / 'pretrain' / '*' / 'vis_data'
                           / 'config.py'))
    assert dumped and "type='NATTarget'" in open(dumped[0]).read()
    assert 'contrast=None' in open(dumped[0]).read()
    dumped = glob.glob(str(work / 'runs' / 'joint_con-none_seed0' / 'pretrain' / '*'
                           / 'vis_data' / 'config.py'))
    assert "type='SegmentNormTarget'" in open(dumped[0]).read()

    rows = list(csv.DictReader(open(work / 'results.csv')))
    assert [(r['label'], r['contrast'], r['n']) for r in rows] == [
        ('Random encoder', '-', '1'), ('Joint w/o NAT', 'none', '1'),
        ('Joint w/ NAT', 'none', '1')]
    assert float(rows[2]['linear_top1_mean']) == pytest.approx(
        records['nat_con-none_seed0.json']['linear_top1'])
    assert rows[2]['linear_top1_std'] == ''          # one seed: no std
    md = open(work / 'results.md').read()
    assert '| Joint w/ NAT | none | 1 |' in md and '| Random encoder | - | 1 |' in md
    assert open(work / 'results.png', 'rb').read(8) == b'\x89PNG\r\n\x1a\n'

    # 1) rerun: everything is reused, nothing is trained
    pre_dir = work / 'runs' / 'joint_con-none_seed0' / 'pretrain'
    lin_dir = work / 'runs' / 'joint_con-none_seed0' / 'linear'
    before = _timestamps(pre_dir), _timestamps(lin_dir)
    assert run(config, ann, work) == 0
    assert (_timestamps(pre_dir), _timestamps(lin_dir)) == before

    # 2) killed during pretraining (checkpoint written, stage unfinished) and before the
    #    probe's first checkpoint: the pretraining resumes, the probe reruns from scratch
    os.remove(work / 'results' / 'joint_con-none_seed0.json')
    os.remove(pre_dir / 'stage_result.json')
    os.remove(lin_dir / 'stage_result.json')
    os.remove(lin_dir / 'last_checkpoint')
    for name in os.listdir(lin_dir):  # the probe had saved no checkpoint yet
        if name.endswith('.pth'):
            os.remove(lin_dir / name)
    assert run(config, ann, work) == 0
    assert json.load(open(pre_dir / 'stage_result.json'))['resumed_from'].endswith('epoch_1.pth')
    assert json.load(open(lin_dir / 'stage_result.json'))['resumed_from'] is None
    assert len(_timestamps(pre_dir)) == len(before[0]) + 1
    assert len(_timestamps(lin_dir)) == len(before[1]) + 1
    assert osp.exists(work / 'results' / 'joint_con-none_seed0.json')

    # different settings in the same work dir are refused
    capsys.readouterr()
    assert run(config, ann, work, '--knn-k', '5') == 1
    assert 'other settings' in capsys.readouterr().err


def test_bad_input_is_a_clear_error(setup, tmp_path, capsys):
    config, ann, _ = setup
    assert run(config, str(tmp_path / 'no' / 'nucla_3d.pkl'), tmp_path / 'w1') == 1
    err = capsys.readouterr().err
    assert 'does not exist' in err and 'Traceback' not in err
    assert not osp.exists(tmp_path / 'w1' / 'runs')

    from tests.configs.test_nucla_configs import _ntu_shaped
    bad = _ntu_shaped(tmp_path / 'ntu.pkl', joints=25)
    assert run(config, bad, tmp_path / 'w2') == 1
    assert 'num_joints=20 in the config' in capsys.readouterr().err

    assert run_tool(tool.main, [config, '--work-dir', str(tmp_path / 'w3'), '--ann-file', ann,
                      '--targets', 'nat,pixels']) == 1
    assert "expected a comma list of motion, joint, nat" in capsys.readouterr().err

    # the probe's encoder is not copied from the pretraining one: a mismatch is refused
    # before anything trains, and matching both configs is accepted
    assert run(config, ann, tmp_path / 'w4', '--cfg-options', 'model.backbone.depth=2') == 1
    err = capsys.readouterr().err
    assert 'has depth=2 but the probe encoder depth=1' in err
    assert not osp.exists(tmp_path / 'w4' / 'runs')


def test_plan_and_config_rewrites(setup):
    from mmengine.config import Config
    config, _, _ = setup
    runs = tool.plan([0, 1], ['none', 'with'], ['nat'], baseline=True)
    assert [r['run'] for r in runs] == ['random_seed0', 'nat_con-none_seed0',
                                        'nat_con-with_seed0', 'random_seed1',
                                        'nat_con-none_seed1', 'nat_con-with_seed1']
    cfg = Config.fromfile(config)
    motion = tool.pretrain_config(cfg, 'motion', 'with')
    assert motion.model.target_generator == dict(type='MotionTarget', segment_len=4)
    assert motion.model.contrast.queue_len == 8
    assert tool.pretrain_config(cfg, 'joint', 'none').model.contrast is None
    assert cfg.model.target_generator.type == 'NATTarget'   # the input is not modified
    probe = Config.fromfile(osp.join(osp.dirname(config), 'linear_tiny.py'))
    out = tool.probe_config(probe, cfg, 'x.pth')
    assert out.model.backbone.init_cfg == dict(type='Pretrained', checkpoint='x.pth',
                                               prefix='backbone.')
    assert tool.probe_config(probe, cfg, None).model.backbone.init_cfg is None
    # nothing but the checkpoint is written into the probe's encoder
    assert {k: v for k, v in out.model.backbone.items() if k != 'init_cfg'} == \
        {k: v for k, v in probe.model.backbone.items() if k != 'init_cfg'}
    wide = copy.deepcopy(probe)
    wide.model.cls_head.in_channels = 32
    with pytest.raises(tool.ExperimentError, match='in_channels=32 but the encoder width is 16'):
        tool.probe_config(wide, cfg, 'x.pth')
    probe.model.backbone.num_frames = 12
    with pytest.raises(tool.ExperimentError, match='num_frames=8 .* num_frames=12'):
        tool.probe_config(probe, cfg, 'x.pth')
