# NAT-MAE pretraining model (paper Fig. 1): masked online encoder (arch
# '8x256': 8 blocks x 256, 8 heads; the sizes are SkeletonTransformer.arch_zoo's)
# + MAE decoder predicting NAT-normalised joints, and a momentum encoder on the
# full sequence for InfoNCE against a 65536-key queue.
# Defaults are NTU-60's (decoder 3 blocks, motion-aware tau 0.80); NTU-120
# recipes override depth=5 / tau=0.75, PKU-MMD ones depth=5.
# Another encoder size: model.backbone.arch and model.neck.embed_dim (the
# decoder's input width, given by the same preset name).
arch = '8x256'
num_frames = 120
segment_len = 4

model = dict(
    type='NATMAE',
    data_preprocessor=dict(type='ActionDataPreprocessor'),
    backbone=dict(
        type='MaskedSkeletonTransformer',
        arch=arch,
        in_channels=3,
        num_frames=num_frames,
        num_joints=25,
        segment_len=segment_len,
        mask_ratio=0.9,
        mask_type='motion_aware',
        motion_tau=0.80),
    neck=dict(
        type='SkeletonMAEDecoder',
        num_frames=num_frames,
        num_joints=25,
        segment_len=segment_len,
        in_channels=3,
        embed_dim=arch,  # the encoder width of the preset
        decoder_dim=256,
        depth=3,
        num_heads=8),
    head=dict(type='SkeletonReconstructionHead', loss=dict(type='MaskedMSELoss')),
    target_generator=dict(type='NATTarget', segment_len=segment_len),
    # Paper: mu = 0.999 (paper convention), N_Q = 65536, tau = 0.07, lambda = 1e-4.
    # State (momentum encoder + key queue) here, the loss in the head; lambda is
    # the loss's loss_weight and set nowhere else.
    contrast=dict(
        type='MomentumKeyQueue',
        momentum=0.999,
        queue_len=65536,
        instance='sample',
        head=dict(
            type='SkeletonContrastHead',
            loss=dict(type='InfoNCELoss', temperature=0.07, loss_weight=1e-4))))
