# Demo linear probe on the synthetic skeleton actions: the NTU-60 X-sub linear
# recipe (frozen encoder, mean pooling, BN + linear, SGD cosine) with the 'demo'
# encoder, 24-frame one-person clips, a 10-epoch schedule and the synthetic data.
# tools/run_demo.py points model.backbone.init_cfg.checkpoint at the demo's
# pretraining checkpoint (prefix 'backbone.'), or sets init_cfg=None for the
# random baseline.
_base_ = ['../benchmarks/vit-8x256_8xb32-linear-coslr-100e_ntu60-xsub-3d.py']

# Demo sizes (shared with the other demo config; synthetic data: 16 classes)
ann_file = 'demo_output/data/synthetic.pkl'
num_classes = 16
arch = 'demo'            # 4 x 64, 4 heads (real: '8x256')
clip_len = 24            # frames after crop-resize (real recipes: 120)
min_frames = 24          # synthetic sequences have 40-100 frames (real: 64)

train_pipeline = [
    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.5, 1.0),
         min_frames=min_frames),
    dict(type='RandomRot3D', theta=0.3),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.95, ), test_mode=True),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs'),
]

pretrained = 'demo_output/pretrain/epoch_130.pth'
model = dict(
    backbone=dict(arch=arch, num_frames=clip_len, init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes, in_channels=arch))

train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(ann_file=ann_file, num_classes=num_classes, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64, num_workers=0, persistent_workers=False,
    dataset=dict(ann_file=ann_file, num_classes=num_classes, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 10          # 24 steps per epoch
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0., by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs, val_interval=max_epochs)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(logger=dict(interval=24),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
