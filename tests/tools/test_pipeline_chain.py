"""The release chain on tiny sizes: pretrain (tools/train.py) -> extract_backbone
and publish_model -> linear probe (tools/train.py, loading the backbone with
``--cfg-options model.backbone.init_cfg.checkpoint=...``) -> tools/test.py.

The frozen linear-probe backbone must end up exactly equal to the pretrained
online encoder: same key set (nothing missing, nothing unexpected) and the
same values (a randomly initialised weight would differ).
"""
import glob
import importlib.util
import os.path as osp
import pickle
import re

import numpy as np
import torch

import natmae_mm  # noqa: F401
from natmae_mm.utils.checkpoint import safe_torch_load

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def _tool(rel):
    spec = importlib.util.spec_from_file_location(rel.replace('/', '_')[:-3], osp.join(ROOT, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SHRINK = """
_base_ = ['{base}']
T = 8
small = dict(num_frames=T, embed_dim=32, depth=1, num_heads=2)
model = dict(backbone=small{extra_model})
pipe = [
    dict(type='ValidCropResize', clip_len=T, p_interval=(0.5, 1.0), min_frames=4),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs'),
]
test_pipe = [
    dict(type='ValidCropResize', clip_len=T, p_interval=(0.95, ), test_mode=True),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs'),
]
loader = dict(batch_size=2, num_workers=0, persistent_workers=False)
train_dataloader = dict(**loader, dataset=dict(ann_file='{ann}', pipeline=pipe))
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
"""
EVAL = """
val_dataloader = dict(**loader, dataset=dict(ann_file='{ann}', pipeline=test_pipe))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
"""


def _write_data(path, n=6):
    rng = np.random.default_rng(0)
    anns = [dict(frame_dir=f'S001C001P001R001A{i:03d}', label=[0, 59, 1][i % 3],
                 total_frames=16, keypoint=rng.normal(size=(2, 16, 25, 3)).astype(np.float32))
            for i in range(n)]
    names = [a['frame_dir'] for a in anns]
    with open(path, 'wb') as f:
        pickle.dump(dict(split=dict(xsub_train=names, xsub_val=names), annotations=anns), f)


def test_pretrain_extract_publish_linear_probe_test(tmp_path):
    ann = str(tmp_path / 'ntu60_3d.pkl')
    _write_data(ann)
    train, test = _tool('tools/train.py'), _tool('tools/test.py')
    extract = _tool('tools/convert/extract_backbone.py')
    publish = _tool('tools/publish_model.py')

    # 1. pretraining (NAT target + momentum contrast), one epoch.
    pre_cfg = tmp_path / 'pre.py'
    pre_cfg.write_text(SHRINK.format(
        base=osp.join(ROOT, 'configs/natmae/pretrain_ntu60.py'), ann=ann,
        extra_model=', neck=dict(num_frames=T, embed_dim=32, decoder_dim=32, depth=1, '
                    'num_heads=2), contrast=dict(queue_len=8)'))
    train.main([str(pre_cfg), '--work-dir', str(tmp_path / 'pre')])
    pre_ckpt = str(tmp_path / 'pre' / 'epoch_1.pth')
    pre_state = safe_torch_load(pre_ckpt)['state_dict']
    assert any(k.startswith('contrast.momentum_encoder.') for k in pre_state)

    # 2. extract the online encoder; publish the full checkpoint.
    bb_file = str(tmp_path / 'backbone.pth')
    weights = extract.extract(pre_ckpt, bb_file)
    online = {k: v for k, v in pre_state.items() if k.startswith('backbone.')}
    assert set(weights) == set(online) and len(weights) > 0
    assert not any('momentum' in k or k.startswith(('neck.', 'contrast.')) for k in weights)
    published = publish.publish(pre_ckpt, str(tmp_path / 'release' / 'natmae_tiny'))
    m = re.fullmatch(r'natmae_tiny_(\d{8})-([0-9a-f]{8})\.pth', osp.basename(published))
    assert m and publish.sha256_of(published).startswith(m.group(2))
    pub = safe_torch_load(published)
    assert set(pub) <= {'state_dict', 'meta'} and 'optimizer' not in pub
    assert set(pub['state_dict']) == set(pre_state)

    # 3. linear probe through tools/train.py, loading the extracted backbone.
    lin_cfg = tmp_path / 'lin.py'
    lin_cfg.write_text(SHRINK.format(
        base=osp.join(ROOT, 'configs/natmae/benchmarks/'
                      'vit-8x256_8xb32-linear-coslr-100e_ntu60-xsub-3d.py'),
        ann=ann, extra_model=', cls_head=dict(in_channels=32)') + EVAL.format(ann=ann))
    train.main([str(lin_cfg), '--work-dir', str(tmp_path / 'lin'),
                '--cfg-options', f'model.backbone.init_cfg.checkpoint={bb_file}'])
    lin_state = safe_torch_load(str(tmp_path / 'lin' / 'epoch_1.pth'))['state_dict']
    lin_backbone = {k: v for k, v in lin_state.items() if k.startswith('backbone.')}
    assert set(lin_backbone) == set(weights)  # none missing, none unexpected
    for k, v in weights.items():
        torch.testing.assert_close(lin_backbone[k], v, rtol=0, atol=0, msg=k)

    # 4. tools/test.py on the probe's checkpoint reports top-1/top-5.
    test.main([str(lin_cfg), str(tmp_path / 'lin' / 'epoch_1.pth'),
               '--work-dir', str(tmp_path / 'test')])
    logs = glob.glob(str(tmp_path / 'test' / '*' / '*.log'))
    text = ''.join(open(p).read() for p in logs)
    assert 'acc/top1' in text and 'acc/top5' in text
