"""Tiny synthetic data, demo-derived configs and untrained checkpoints for the analysis tools."""
import os.path as osp
from types import SimpleNamespace

import torch

from natmae_mm.datasets.synthetic import make_synthetic_dataset, save_annotation

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO = osp.join(ROOT, 'configs', 'natmae', 'demo')
NUM_CLASSES = 3

_SIZES = """
clip_len = 16
train_pipeline = [
    dict(type='ValidCropResize', clip_len=16, p_interval=(0.5, 1.0), min_frames=8),
    dict(type='RandomRot3D', theta=0.3),
    dict(type='FormatGCNInput', num_person=2, mode='loop'),
    dict(type='PackActionInputs')]
test_pipeline = [
    dict(type='ValidCropResize', clip_len=16, p_interval=(0.95, ), test_mode=True),
    dict(type='FormatGCNInput', num_person=2, mode='loop'),
    dict(type='PackActionInputs')]
"""

PRETRAIN = """_base_ = [{base!r}]
{sizes}
model = dict(backbone=dict(num_frames=16, embed_dim=16, depth=1, num_heads=2),
             neck=dict(num_frames=16, embed_dim=16, decoder_dim=16, depth=1, num_heads=2),
             contrast=dict(queue_len=8))
train_dataloader = dict(batch_size=4, dataset=dict(ann_file={ann!r}, num_classes={k},
                                                   pipeline=train_pipeline))
"""

LINEAR = """_base_ = [{base!r}]
{sizes}
model = dict(backbone=dict(num_frames=16, embed_dim=16, depth=1, num_heads=2, init_cfg=None),
             cls_head=dict(num_classes={k}, in_channels=16))
train_dataloader = dict(batch_size=4, dataset=dict(ann_file={ann!r}, num_classes={k},
                                                   pipeline=train_pipeline))
val_dataloader = dict(batch_size=4, dataset=dict(ann_file={ann!r}, num_classes={k},
                                                 pipeline=test_pipeline))
test_dataloader = val_dataloader
"""


def _checkpoint(cfg_path: str, out: str) -> str:
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import natmae_mm  # noqa: F401
    init_default_scope('mmaction')
    torch.manual_seed(0)
    cfg = Config.fromfile(cfg_path)
    model = MODELS.build(cfg.model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, out)
    return out


def make_tiny_setup(folder) -> SimpleNamespace:
    """Annotation file (3 classes x 6, performers 1-2 train, 3 val), configs, checkpoints."""
    folder = str(folder)
    ann = osp.join(folder, 'tiny.pkl')
    save_annotation(make_synthetic_dataset(num_classes=NUM_CLASSES, per_class=6, seed=0,
                                           num_performers=3, min_frames=20, max_frames=30),
                    ann)
    fmt = dict(sizes=_SIZES, ann=ann, k=NUM_CLASSES)
    pre_cfg = osp.join(folder, 'pre.py')
    with open(pre_cfg, 'w') as f:
        f.write(PRETRAIN.format(base=osp.join(DEMO, 'natmae_vit-4x64_demo-pretrain_synthetic.py'),
                                **fmt))
    lin_cfg = osp.join(folder, 'lin.py')
    with open(lin_cfg, 'w') as f:
        f.write(LINEAR.format(base=osp.join(DEMO, 'vit-4x64_demo-linear_synthetic.py'), **fmt))
    return SimpleNamespace(ann=ann, pre_cfg=pre_cfg, lin_cfg=lin_cfg,
                           pre_ckpt=_checkpoint(pre_cfg, osp.join(folder, 'pre.pth')),
                           lin_ckpt=_checkpoint(lin_cfg, osp.join(folder, 'lin.pth')))
