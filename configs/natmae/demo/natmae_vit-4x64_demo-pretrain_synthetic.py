# Demo NAT-MAE pretraining on the synthetic skeleton actions: the NTU-60 recipe
# (configs/natmae/pretrain_ntu60.py: NAT target, motion-aware masking 0.9,
# momentum contrast with its paper tau and lambda) with the 'demo' encoder
# (4 blocks x 64, 4 heads), a 2 x 64 decoder, 24-frame clips, one person per
# clip, a 130-epoch schedule and the synthetic annotation file.
#
# Sized by what the frozen-encoder probes need within the demo's 10 minutes on
# 2 CPU cores (measurements in docs/demo.md): the gain of the pretrained
# encoder over a random one arrives after ~60-100k pretraining samples; batch
# 64 x 1,560 steps (~100k samples) is what 2 cores do in about 7 minutes.
_base_ = ['../pretrain_ntu60.py']

# Demo sizes (shared with the other demo config; synthetic data: 16 classes)
ann_file = 'demo_output/data/synthetic.pkl'
num_classes = 16
arch = 'demo'            # 4 x 64, 4 heads (real: '8x256')
batch_size = 64          # real: 16 per GPU x 8 GPUs
clip_len = 24            # frames after crop-resize (real recipes: 120)
min_frames = 24          # synthetic sequences have 40-100 frames (real: 64)

# One person per clip: the demo's classes are one-actor actions (the two
# "walk towards / apart" classes are seen through their first actor), and
# NTU's duplicated second person (mode='loop') would double every step's work
# for the same information.
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

model = dict(
    backbone=dict(arch=arch, num_frames=clip_len),
    neck=dict(num_frames=clip_len, embed_dim=arch, decoder_dim=64, depth=2, num_heads=4),
    # the queue holds a third of the 768 training samples (real: 65536 of 40k)
    contrast=dict(queue_len=256))

train_dataloader = dict(
    batch_size=batch_size, num_workers=0, persistent_workers=False,
    dataset=dict(ann_file=ann_file, num_classes=num_classes, pipeline=train_pipeline))

# 130 epochs of 12 steps; lr 6e-3 for batch 64 (the earlier demo's 3e-3 at
# batch 16, scaled by the square root of the batch ratio); 13 warm-up epochs,
# then cosine to half the lr (MAMP's floor).
max_epochs = 130
warmup_epochs = 13
optim_wrapper = dict(optimizer=dict(lr=6e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min_ratio=0.5,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=batch_size)
# a log line per epoch; a checkpoint every 10 epochs (an interrupted demo resumes)
default_hooks = dict(logger=dict(interval=12),
                     checkpoint=dict(interval=10, max_keep_ckpts=1))
