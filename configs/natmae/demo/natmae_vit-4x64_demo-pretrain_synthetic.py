# Demo NAT-MAE pretraining on the synthetic skeleton actions: the NTU-60 recipe
# (configs/natmae/pretrain_ntu60.py: NAT target, motion-aware masking 0.9,
# momentum contrast) with a 4 x 64 encoder, 2 x 64 decoder, 24-frame clips,
# a short schedule and the synthetic annotation file. Nothing else changes.
#
# The schedule is sized by what the frozen-encoder probes need (learning curves
# in docs/demo.md): a linear probe of the pretrained encoder first falls *below*
# a random encoder's (the first ~10k samples), passes it after ~25-30k samples
# and keeps rising; batch 16 x 1,920 steps (~31k samples) is what 2 CPU cores
# do in about 7 minutes.
_base_ = ['../pretrain_ntu60.py']

# Demo sizes (shared with the other demo config; synthetic data: 16 classes)
ann_file = 'demo_output/data/synthetic.pkl'
num_classes = 16
batch_size = 16          # real: 16 per GPU x 8 GPUs
clip_len = 24            # frames after crop-resize (real recipes: 120)
segment_len = 4
embed_dim = 64           # encoder 4 x 64, 4 heads (real: 8 x 256, 8 heads)
depth = 4
num_heads = 4
min_frames = 24          # synthetic sequences have 40-100 frames (real: 64)

train_pipeline = [
    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.5, 1.0),
         min_frames=min_frames),
    dict(type='RandomRot3D', theta=0.3),
    dict(type='FormatGCNInput', num_person=2, mode='loop'),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.95, ), test_mode=True),
    dict(type='FormatGCNInput', num_person=2, mode='loop'),
    dict(type='PackActionInputs'),
]

model = dict(
    backbone=dict(num_frames=clip_len, embed_dim=embed_dim, depth=depth,
                  num_heads=num_heads),
    neck=dict(num_frames=clip_len, embed_dim=embed_dim, decoder_dim=embed_dim, depth=2,
              num_heads=num_heads),
    # the queue holds a third of the 768 training samples (real: 65536 of 40k)
    contrast=dict(queue_len=256))

train_dataloader = dict(
    batch_size=batch_size, num_workers=0, persistent_workers=False,
    dataset=dict(ann_file=ann_file, num_classes=num_classes, pipeline=train_pipeline))

max_epochs = 40          # 48 steps per epoch
optim_wrapper = dict(optimizer=dict(lr=3e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min_ratio=0.5, by_epoch=True,
         begin=5, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=batch_size)
default_hooks = dict(logger=dict(interval=24),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
