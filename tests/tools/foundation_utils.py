"""A tiny MMAction2 skeleton job (STGCN on random 25-joint data) for testing
the tools and the runtime independently of the NAT-MAE model."""
import os
import os.path as osp
import pickle
import sys

import numpy as np

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
PYTHON = sys.executable


def write_tiny_annotation(path: str, num_train: int = 16, num_val: int = 8,
                          num_classes: int = 4, frames: int = 12, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    annos, split = [], {'xsub_train': [], 'xsub_val': []}
    for i in range(num_train + num_val):
        label = i % num_classes
        kp = rng.normal(size=(2, frames, 25, 3)).astype(np.float32) * 0.1
        kp[:, :, :, label % 3] += 0.5  # learnable signal
        name = f'S001C001P{i:03d}R001A{label + 1:03d}'
        annos.append(dict(frame_dir=name, label=label, total_frames=frames, keypoint=kp))
        split['xsub_train' if i < num_train else 'xsub_val'].append(name)
    with open(path, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annos), f)
    return path


def write_tiny_config(tmp_path, ann_file: str, max_epochs: int = 2,
                      batch_size: int = 4, extra: str = '') -> str:
    runtime = osp.join(REPO, 'configs', '_base_', 'default_runtime.py')
    text = f'''
_base_ = [{runtime!r}]
model = dict(
    type='RecognizerGCN',
    backbone=dict(type='STGCN', graph_cfg=dict(layout='nturgb+d', mode='spatial'),
                  base_channels=8, num_stages=2, inflate_stages=[], down_stages=[]),
    cls_head=dict(type='GCNHead', num_classes=4, in_channels=8))
pipeline = [dict(type='UniformSampleFrames', clip_len=8), dict(type='PoseDecode'),
            dict(type='FormatGCNInput', num_person=2), dict(type='PackActionInputs')]
train_dataloader = dict(
    batch_size={batch_size}, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='PoseDataset', ann_file={ann_file!r}, split='xsub_train',
                 pipeline=pipeline))
val_dataloader = dict(
    batch_size={batch_size}, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='PoseDataset', ann_file={ann_file!r}, split='xsub_val',
                 pipeline=pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='AccMetric')]
test_evaluator = val_evaluator
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs={max_epochs}, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
param_scheduler = [dict(type='CosineAnnealingLR', T_max={max_epochs}, by_epoch=True)]
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(logger=dict(interval=1))
{extra}
'''
    path = osp.join(str(tmp_path), 'tiny_stgcn.py')
    with open(path, 'w') as f:
        f.write(text)
    return path


def env_with_repo() -> dict:
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env.setdefault('OMP_NUM_THREADS', '1')
    return env
