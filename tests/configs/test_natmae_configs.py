"""Every config under configs/natmae/ builds and runs one real train step and
one val/test step, with only the sizes shrunk (tiny model, 8 frames, 2 samples).
"""
import copy
import glob
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import natmae_mm  # noqa: F401
from natmae_mm.models.backbones import resolve_arch

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = sorted(osp.relpath(p, ROOT) for p in glob.glob(
    osp.join(ROOT, 'configs', 'natmae', '**', '*.py'), recursive=True))
# The paper's recipes; demo/ and nucla/ (owned elsewhere) only get the run check.
PAPER = [c for c in CONFIGS if not c.startswith(('configs/natmae/demo/', 'configs/natmae/nucla/'))]
T, DIM = 8, 32


def write_annotations(path, num_classes, splits, num_joints=25, num_person=2, num_samples=4,
                      frames=20, seed=0):
    """A tiny MMAction2 skeleton pickle whose labels reach num_classes - 1."""
    rng = np.random.default_rng(seed)
    anns = []
    for i in range(num_samples):
        kp = rng.normal(size=(num_person, frames, num_joints, 3)).astype(np.float32) * 0.3
        if i % 2 and num_person > 1:
            kp[1] = 0.  # a zero-padded second person
        label = [0, num_classes - 1, 1, num_classes - 1][i % 4]
        anns.append(dict(frame_dir=f'S001C001P001R001A{i:03d}', label=label,
                         total_frames=frames, keypoint=kp))
    names = [a['frame_dir'] for a in anns]
    with open(path, 'wb') as f:
        pickle.dump(dict(split={s: names for s in splits}, annotations=anns), f)


def shrink(cfg, ann_file):
    """Tiny sizes; everything else stays as the config has it."""
    m = cfg.model
    m.backbone.update(num_frames=T, embed_dim=DIM, depth=1, num_heads=2)
    if m.type == 'NATMAE':
        m.neck.update(num_frames=T, embed_dim=DIM, decoder_dim=DIM, depth=1, num_heads=2)
        if m.get('contrast'):
            m.contrast.queue_len = 8
    else:
        m.backbone.init_cfg = None  # loading is covered by tests/tools/test_pipeline_chain.py
        m.cls_head.in_channels = DIM
        if m.cls_head.type == 'MAMPFinetuneHead':
            m.cls_head.hidden = 16
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if not loader:
            continue
        loader.dataset.ann_file = ann_file
        for t in loader.dataset.pipeline:
            if t['type'] == 'ValidCropResize':
                t['clip_len'] = T
                if 'min_frames' in t:
                    t['min_frames'] = 4
    return cfg


def batch(dataset, n=2):
    return pseudo_collate([dataset[i] for i in range(n)])


@pytest.mark.parametrize('config', CONFIGS)
def test_config_train_and_eval_step(config, tmp_path):
    init_default_scope('mmaction')
    cfg = Config.fromfile(osp.join(ROOT, config))
    if 'model' not in cfg and config not in PAPER:
        pytest.skip('a base fragment, not a runnable config')
    if config in PAPER:  # recipe invariants (not shrunk): the protocol this file claims
        assert cfg.train_dataloader.drop_last is True
        assert cfg.train_dataloader.persistent_workers is True
        assert cfg.model.backbone.num_frames == 120 and cfg.model.backbone.segment_len == 4
        b = cfg.model.backbone
        shape = resolve_arch(b.get('arch', '8x256'), **{k: b.get(k) for k in
                                                       ('embed_dim', 'depth', 'num_heads')})
        assert (shape['depth'], shape['embed_dim'], shape['num_heads']) == (8, 256, 8)
    dataset = cfg.train_dataloader.dataset
    num_classes = dataset.num_classes
    if cfg.model.type != 'NATMAE':
        assert cfg.model.cls_head.num_classes == num_classes
        assert cfg.model.backbone.init_cfg.prefix == 'backbone.'
    splits = {cfg[k].dataset.split for k in ('train_dataloader', 'val_dataloader',
                                             'test_dataloader') if cfg.get(k)}

    ann = str(tmp_path / 'ann.pkl')
    write_annotations(ann, num_classes, splits, num_joints=dataset.get('num_joints', 25),
                      num_person=dataset.get('num_person', 2))
    cfg = shrink(cfg, ann)
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    losses = model.train_step(batch(train_set), optim_wrapper)
    assert losses and all(torch.isfinite(v).all() for v in losses.values())

    if cfg.model.type == 'NATMAE':
        assert cfg.get('val_dataloader') is None and cfg.get('val_cfg') is None
        assert set(losses) >= {'loss_rec'}
        assert ('loss_con' in losses) == (cfg.model.get('contrast') is not None)
        with torch.no_grad():
            out = model.val_step(batch(train_set))  # 'predict': pooled features
        assert out[0].feature.shape == (DIM, )
        return
    assert 'loss_cls' in losses
    if cfg.model.backbone.get('frozen'):
        assert all(not p.requires_grad for p in model.backbone.parameters())
    for key, loop in (('val_dataloader', 'val_evaluator'), ('test_dataloader', 'test_evaluator')):
        data = batch(DATASETS.build(cfg[key].dataset))
        with torch.no_grad():  # as MMEngine's ValLoop / TestLoop
            outputs = model.val_step(data) if key == 'val_dataloader' else model.test_step(data)
        evaluator = Evaluator(cfg[loop])
        evaluator.process(outputs, data)
        metrics = evaluator.evaluate(len(outputs))
        assert {'acc/top1', 'acc/top5'} <= set(metrics)
