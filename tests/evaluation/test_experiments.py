"""Tests of the resumable experiment engine (natmae_mm.evaluation.experiments).

The stage tests train MMAction2's STGCN on tiny random data so that they do
not depend on the NAT-MAE model; what is under test is the resume logic.
"""
import json
import os.path as osp
import pickle

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook

import natmae_mm  # noqa: F401
from natmae_mm.evaluation.experiments import (
    ExperimentError,
    check_data,
    check_settings,
    collect_records,
    iter_datasets,
    run_stage,
    set_ann_file,
)


def _write_ann(path, num_train=8, num_val=4, frames=10, joints=25):
    rng = np.random.default_rng(0)
    annos, split = [], {'xsub_train': [], 'xsub_val': []}
    for i in range(num_train + num_val):
        name = f'S001C001P{i:03d}R001A{i % 2 + 1:03d}'
        kp = rng.normal(size=(1, frames, joints, 3)).astype(np.float32)
        annos.append(dict(frame_dir=name, label=i % 2, total_frames=frames, keypoint=kp))
        split['xsub_train' if i < num_train else 'xsub_val'].append(name)
    with open(path, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annos), f)
    return str(path)


def _stgcn_cfg(ann_file, max_epochs=2, dataset_type='PoseDataset'):
    pipeline = [dict(type='UniformSampleFrames', clip_len=8), dict(type='PoseDecode'),
                dict(type='FormatGCNInput', num_person=1), dict(type='PackActionInputs')]

    def loader(split, shuffle):
        return dict(batch_size=4, num_workers=0, persistent_workers=False,
                    sampler=dict(type='DefaultSampler', shuffle=shuffle),
                    dataset=dict(type=dataset_type, ann_file=ann_file, split=split,
                                 pipeline=pipeline, test_mode=not shuffle))

    return Config(dict(
        default_scope='mmaction',
        model=dict(type='RecognizerGCN',
                   backbone=dict(type='STGCN', graph_cfg=dict(layout='nturgb+d', mode='spatial'),
                                 base_channels=4, num_stages=1, inflate_stages=[],
                                 down_stages=[]),
                   cls_head=dict(type='GCNHead', num_classes=2, in_channels=4)),
        train_dataloader=loader('xsub_train', True),
        test_dataloader=loader('xsub_val', False),
        test_evaluator=[dict(type='AccMetric')],
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=100),
        test_cfg=dict(type='TestLoop'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='PlainRuntimeInfoHook')],
        log_level='WARNING',
    ))


class _Interrupt(Exception):
    pass


class _StopAfterEpoch(Hook):
    """Simulates a kill right after the checkpoint of epoch ``stop_epoch`` is written."""

    def __init__(self, stop_epoch):
        self.stop_epoch = stop_epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.stop_epoch:  # runs after CheckpointHook (lower priority)
            raise _Interrupt


class _CountEpochs(Hook):
    epochs = []

    def before_train_epoch(self, runner):
        _CountEpochs.epochs.append(runner.epoch)


def _with_hooks(cfg, *hooks):
    cfg = cfg.copy()
    cfg.custom_hooks = list(cfg.custom_hooks) + [
        dict(type=h.__name__, priority='LOWEST') if isinstance(h, type) else h for h in hooks]
    return cfg


@pytest.fixture(autouse=True)
def _register_hooks():
    from mmaction.registry import HOOKS
    HOOKS.register_module(module=_StopAfterEpoch, force=True)
    HOOKS.register_module(module=_CountEpochs, force=True)


# ----------------------------------------------------------------------------- settings
def test_check_settings_refuses_other_settings(tmp_path):
    check_settings(str(tmp_path), dict(config='a.py', opts={'x': (1, 2)}))
    check_settings(str(tmp_path), dict(config='a.py', opts={'x': (1, 2)}))  # same: fine
    with pytest.raises(ExperimentError, match="config.*'a.py', 'b.py'"):
        check_settings(str(tmp_path), dict(config='b.py', opts={'x': (1, 2)}))


def test_collect_records_computes_each_run_once(tmp_path):
    import logging
    calls, seen = [], []

    def compute(i):
        calls.append(i)
        return {'run': i, 'acc': 10.0 * i}

    def after_each(records):
        seen.append(len(records))

    logger = logging.getLogger('test_collect_records')
    out = collect_records(['a', 'b'], str(tmp_path / 'results'), compute, logger, after_each)
    assert out == [{'run': 0, 'acc': 0.0}, {'run': 1, 'acc': 10.0}]
    assert calls == [0, 1] and seen == [1, 2]
    assert sorted(p.name for p in (tmp_path / 'results').iterdir()) == ['a.json', 'b.json']
    # a second invocation (one more run) reuses a and b and computes only c
    out = collect_records(['a', 'b', 'c'], str(tmp_path / 'results'), compute, logger)
    assert calls == [0, 1, 2] and [r['run'] for r in out] == [0, 1, 2]
    # a record that fails half-way leaves no file, so the run is redone next time
    with pytest.raises(ZeroDivisionError):
        collect_records(['d'], str(tmp_path / 'results'), lambda i: 1 / 0, logger)
    assert not (tmp_path / 'results' / 'd.json').exists()


# ----------------------------------------------------------------------------- data checks
def test_iter_and_set_ann_file_follow_wrappers():
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='RepeatDataset', times=2, dataset=dict(type='D', ann_file='a.pkl'))),
        val_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[
            dict(type='D', ann_file='b.pkl'), dict(type='D', ann_file='c.pkl')]))))
    keys = [k for k, _ in iter_datasets(cfg)]
    assert keys == ['train_dataloader.dataset.dataset', 'val_dataloader.dataset.datasets.0',
                    'val_dataloader.dataset.datasets.1']
    set_ann_file(cfg, 'z.pkl')
    assert {d['ann_file'] for _, d in iter_datasets(cfg)} == {'z.pkl'}


def test_check_data_missing_empty_and_invalid(tmp_path):
    cfg = _stgcn_cfg(str(tmp_path / 'nope.pkl'))
    with pytest.raises(ExperimentError, match=r"train_dataloader\.dataset\.ann_file.*nope\.pkl"
                                              '.*does not exist'):
        check_data(cfg, 'cfg.py')
    (tmp_path / 'empty.pkl').write_bytes(b'')
    with pytest.raises(ExperimentError, match='empty'):
        check_data(_stgcn_cfg(str(tmp_path / 'empty.pkl')), 'cfg.py')
    ann = _write_ann(tmp_path / 'a.pkl', joints=25)
    cfg = _stgcn_cfg(ann, dataset_type='SkeletonDataset')
    for _, ds in iter_datasets(cfg):
        ds['num_joints'] = 20
    with pytest.raises(ExperimentError, match='num_joints=20.*25 joints'):
        check_data(cfg, 'cfg.py')
    for _, ds in iter_datasets(cfg):
        ds['num_joints'] = 25
    check_data(cfg, 'cfg.py')  # consistent: passes


# ----------------------------------------------------------------------------- stages
def test_run_stage_finishes_once_and_resumes_a_killed_run(tmp_path):
    ann = _write_ann(tmp_path / 'a.pkl')
    work = str(tmp_path / 'stage')
    cfg = _stgcn_cfg(ann, max_epochs=3)
    with pytest.raises(_Interrupt):
        run_stage(_with_hooks(cfg, dict(type='_StopAfterEpoch', stop_epoch=2,
                                        priority='LOWEST')), work, 'killed', seed=0)
    assert not osp.exists(osp.join(work, 'stage_result.json'))
    assert open(osp.join(work, 'last_checkpoint')).read().strip().endswith('epoch_2.pth')

    _CountEpochs.epochs = []
    result = run_stage(_with_hooks(cfg, _CountEpochs), work, 'resumed', seed=0)
    assert _CountEpochs.epochs == [2]          # only the missing epoch was trained
    assert result['resumed_from'].endswith('epoch_2.pth')
    assert result['checkpoint'].endswith('epoch_3.pth')
    assert 0.0 <= result['metrics']['acc/top1'] <= 1.0
    assert json.load(open(osp.join(work, 'stage_result.json'))) == result

    _CountEpochs.epochs = []
    again = run_stage(_with_hooks(cfg, _CountEpochs), work, 'again', seed=0)
    assert again == result and _CountEpochs.epochs == []   # finished: not rerun


def test_run_stage_reruns_when_the_checkpoint_is_unreadable(tmp_path, caplog):
    ann = _write_ann(tmp_path / 'a.pkl')
    work = str(tmp_path / 'stage')
    cfg = _stgcn_cfg(ann, max_epochs=2)
    with pytest.raises(_Interrupt):
        run_stage(_with_hooks(cfg, dict(type='_StopAfterEpoch', stop_epoch=1,
                                        priority='LOWEST')), work, 'killed', seed=0)
    with open(osp.join(work, 'epoch_1.pth'), 'wb') as f:
        f.write(b'truncated')
    _CountEpochs.epochs = []
    with caplog.at_level('WARNING'):
        result = run_stage(_with_hooks(cfg, _CountEpochs), work, 'fresh', seed=0, test=False)
    assert result['resumed_from'] is None and _CountEpochs.epochs == [0, 1]
    assert result['metrics'] == {}
    assert f"cannot resume from {osp.join(work, 'epoch_1.pth')}" in caplog.text
    assert 'rerunning the stage from scratch' in caplog.text
