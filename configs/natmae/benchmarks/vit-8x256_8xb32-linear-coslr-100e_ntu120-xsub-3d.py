# Linear probe on NTU-120 X-sub (Tables 1, 5, 6): frozen NAT-MAE encoder + linear classifier.
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/vit-8x256_linear.py',
    '../../_base_/datasets/ntu120_xsub_3d.py',
    '../../_base_/schedules/linear_sgd-coslr-100e.py',
]

# Pretrained encoder (online encoder only: keys 'backbone.*' of the pretraining
# checkpoint). Override with --cfg-options model.backbone.init_cfg.checkpoint=PATH
pretrained = 'work_dirs/pretrain_ntu120_xsub/epoch_400.pth'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=120))

# 8 GPUs x 32 = 256 samples per step (MAMP: 2 x 128) for lr 0.1.
train_dataloader = dict(batch_size=32)
