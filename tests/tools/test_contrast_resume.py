"""A pretraining checkpoint (contrastive state under the names every NAT-MAE checkpoint
has used) resumes through tools/train.py with another batch size: the ring-buffer queue,
its pointer and the EMA step counter go on from where they were."""
import importlib.util
import os.path as osp
import pickle

import numpy as np
import torch

from natmae_mm.utils.checkpoint import safe_torch_load

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
QUEUE_LEN = 5

CONFIG = """
_base_ = [{base!r}]
T = 8
model = dict(backbone=dict(num_frames=T, embed_dim=16, depth=1, num_heads=2),
             neck=dict(num_frames=T, embed_dim=16, decoder_dim=16, depth=1, num_heads=2),
             contrast=dict(queue_len={queue_len}))
pipe = [dict(type='ValidCropResize', clip_len=T, p_interval=(0.5, 1.0), min_frames=4),
        dict(type='FormatGCNInput', num_person=2), dict(type='PackActionInputs')]
train_dataloader = dict(batch_size=3, num_workers=0, persistent_workers=False,
                        dataset=dict(ann_file={ann!r}, pipeline=pipe))
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=3))
"""


def _train_tool():
    spec = importlib.util.spec_from_file_location('train_tool', osp.join(ROOT, 'tools/train.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _write_data(path, n=8):
    rng = np.random.default_rng(0)
    anns = [dict(frame_dir=f'S001C001P001R001A{i:03d}', label=[0, 59, 1][i % 3], total_frames=16,
                 keypoint=rng.normal(size=(2, 16, 25, 3)).astype(np.float32))
            for i in range(n)]
    names = [a['frame_dir'] for a in anns]
    with open(path, 'wb') as f:
        pickle.dump(dict(split=dict(xsub_train=names, xsub_val=names), annotations=anns), f)


def _contrast(path):
    return {k: v for k, v in safe_torch_load(path)['state_dict'].items()
            if k.startswith('contrast.')}


def test_pretraining_checkpoint_resumes_with_another_batch_size(tmp_path):
    ann = str(tmp_path / 'ntu60_3d.pkl')
    _write_data(ann)
    cfg = tmp_path / 'pre.py'
    cfg.write_text(CONFIG.format(base=osp.join(ROOT, 'configs/natmae/pretrain_ntu60.py'),
                                 ann=ann, queue_len=QUEUE_LEN))
    work = str(tmp_path / 'work')
    train = _train_tool()
    # epoch 1: 8 samples, batch 3, drop_last -> 2 steps, 6 keys written into 5 slots
    train.main([str(cfg), '--work-dir', work])
    first = _contrast(osp.join(work, 'epoch_1.pth'))
    online = [k for k in safe_torch_load(osp.join(work, 'epoch_1.pth'))['state_dict']
              if k.startswith('backbone.')]
    assert set(first) == ({'contrast.momentum_encoder.module.' + k[len('backbone.'):]
                           for k in online}
                          | {'contrast.momentum_encoder.steps', 'contrast.queue',
                             'contrast.queue_ptr'})
    assert first['contrast.queue_ptr'].item() == 6 % QUEUE_LEN
    assert first['contrast.momentum_encoder.steps'].item() == 2
    torch.testing.assert_close(first['contrast.queue'].norm(dim=1), torch.ones(QUEUE_LEN))

    # epoch 2, resumed with batch 4 (4 does not divide the 4 slots left before the end):
    # 2 more steps, 8 more keys. A fresh start would end at pointer 8 % 5 = 3 and 2 steps.
    train.main([str(cfg), '--work-dir', work, '--resume', '--cfg-options',
                'train_cfg.max_epochs=2', 'train_dataloader.batch_size=4'])
    second = _contrast(osp.join(work, 'epoch_2.pth'))
    assert second['contrast.queue_ptr'].item() == (6 + 8) % QUEUE_LEN
    assert second['contrast.momentum_encoder.steps'].item() == 4
    torch.testing.assert_close(second['contrast.queue'].norm(dim=1), torch.ones(QUEUE_LEN))
    assert not torch.equal(second['contrast.queue'], first['contrast.queue'])
