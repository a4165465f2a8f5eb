# CPU scale of the N-UCLA linear probe (vit-8x256_8xb32-linear-coslr-100e_nucla-xview-3d.py)
# for the encoder of pretrain_nucla_cpu.py; see that file and docs/nucla.md.
_base_ = ['./vit-8x256_8xb32-linear-coslr-100e_nucla-xview-3d.py']

# the clip of pretrain_nucla_cpu.py (it sizes the temporal embedding)
clip_len = 40
min_frames = 20
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

# Override with --cfg-options model.backbone.init_cfg.checkpoint=PATH
pretrained = 'work_dirs/pretrain_nucla_cpu/epoch_100.pth'
model = dict(
    # the pretrain_nucla_cpu.py encoder: arch '4x128', 40 frames
    backbone=dict(arch='4x128', num_frames=clip_len, init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(in_channels='4x128'))

# 30 instead of 100 epochs: every epoch runs the frozen encoder over all 1,020
# training sequences, and 100 of them would cost about as much as the
# pretraining itself on two cores. Cosine to 0 over the 30 epochs.
train_cfg = dict(max_epochs=30, val_interval=10)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=30, eta_min=0., by_epoch=True, begin=0, end=30,
         convert_to_iter_based=True),
]
# One process, batch 128 (the recipe: 256 in total), lr scaled linearly from
# 0.1 at 256 to 0.05.
optim_wrapper = dict(optimizer=dict(lr=0.05))
# No worker processes: on a 2-core machine they compete with the compute threads.
train_dataloader = dict(
    batch_size=128, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=4), checkpoint=dict(interval=10, max_keep_ckpts=1))
