# CPU scale of the N-UCLA pretraining (natmae_vit-8x256_8xb16-400e_nucla-xview-3d.py):
# a smaller encoder/decoder and a shorter clip and schedule, so that 100
# pretraining epochs plus linear_nucla_cpu.py run in under 30 minutes on a
# 2-core CPU (measured wall times: docs/nucla.md). The paper-scale configs
# stay the default; only what makes the run CPU-sized changes here.
#
#   python tools/train.py configs/natmae/nucla/pretrain_nucla_cpu.py
#   python tools/analysis/compare_targets.py configs/natmae/nucla/pretrain_nucla_cpu.py \
#       --work-dir work_dirs/nucla_targets_cpu
_base_ = ['./natmae_vit-8x256_8xb16-400e_nucla-xview-3d.py']

# 40 frames = 10 segments x 20 joints = 200 tokens (64 frames: 320); attention
# and decoder cost grow with the token count.
clip_len = 40
min_frames = 20  # half the clip, as in the paper-scale config
train_pipeline = [
    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.5, 1.0),
         min_frames=min_frames),
    dict(type='RandomRot3D', theta=0.3),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs'),
]

model = dict(
    # encoder arch '4x128' (4 blocks x 128, 4 heads of 32) instead of '8x256'
    backbone=dict(arch='4x128', num_frames=clip_len),
    # decoder 2 blocks x 128 instead of 3 x 256, on the 4x128 encoder
    neck=dict(num_frames=clip_len, embed_dim='4x128', decoder_dim=128, depth=2, num_heads=4))

# One process, batch 32 (lr 1e-3 as in MAMP's per-GPU batch of 32). One
# loader worker: the machine has two cores, both used by torch's threads.
# No worker process: on a 2-core machine it competes with the two compute
# threads (measured 0.52 s/iteration in-process vs 0.67 s with one worker).
train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))

# 100 epochs with MAMP's proportions: 5% linear warm-up (5 epochs), then
# cosine to half the lr.
train_cfg = dict(max_epochs=100)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, eta_min_ratio=0.5, by_epoch=True, begin=5,
         end=100, convert_to_iter_based=True),
]
# ~31 iterations per epoch: log every 10 (progress with ETA), checkpoint every
# 5 epochs (what an interrupted run resumes from), keep the last two.
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=5, max_keep_ckpts=2))

linear_probe_config = './linear_nucla_cpu.py'
