# Pretraining schedule (MAMP): AdamW lr 1e-3, betas (0.9, 0.95), weight decay
# 0.05 except 1-D parameters and biases; 20 warm-up epochs, then cosine to
# min lr 5e-4 (= 0.5 x lr) at epoch 400; updated every iteration.
# lr 1e-3 is for a total batch of 128 (MAMP: 4 GPUs x 32; ours 8 GPUs x 16).
# Other GPU counts: keep 128 in total (change batch_size), or enable
# auto_scale_lr (tools/train.py --auto-scale-lr) to scale lr linearly with
# the actual total batch; the cosine floor follows (eta_min_ratio).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=20,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=380, eta_min_ratio=0.5, by_epoch=True, begin=20,
         end=400, convert_to_iter_based=True),
]

# Pretraining uses no labels and has no evaluation loop: no val_cfg / test_cfg
# here, and each pretraining config sets the val/test dataloaders and
# evaluators its dataset base brings to None (MMEngine refuses a key defined in
# two bases, so that cannot live here). Watch a pretraining with
# tools/analysis/knn_eval.py, KNNEvalHook, or a linear probe on a checkpoint.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=400)
auto_scale_lr = dict(enable=False, base_batch_size=128)
