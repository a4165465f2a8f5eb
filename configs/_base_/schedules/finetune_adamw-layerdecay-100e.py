# Fine-tune schedule (MAMP; also semi-supervised and transfer): AdamW (betas
# (0.9, 0.999), weight decay 0.05), layer-wise lr decay 0.8, lr linearly
# 0 -> 3e-4 over 5 warm-up epochs, then cosine to 1e-5 at epoch 100, every
# iteration. lr 3e-4 is for a total batch of 48 (8 GPUs x 6).
# The cosine floor is a ratio (1e-5 / 3e-4), so every layer-decay group ends
# at its own lr_scale x 1e-5, as in MAMP.
# Weight decay is off for 1-D parameters, biases and the two position
# embeddings (BEiT's convention); MAMP also decays the position embeddings:
# set paramwise_cfg.no_decay_names=() to match it exactly.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.8, no_decay_names=('temporal_pos', 'joint_pos')))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, eta_min_ratio=1e-5 / 3e-4, by_epoch=True,
         begin=5, end=100, convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=48)
