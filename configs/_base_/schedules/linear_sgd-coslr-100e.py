# Linear-probe schedule (MAMP): SGD momentum 0.9, no weight decay, lr 0.1 for a
# total batch of 256 (8 GPUs x 32), no warm-up, cosine to 0 over 100 epochs.
# Only the head trains (the backbone is frozen: requires_grad=False).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=100, eta_min=0., by_epoch=True, begin=0, end=100,
         convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=256)
