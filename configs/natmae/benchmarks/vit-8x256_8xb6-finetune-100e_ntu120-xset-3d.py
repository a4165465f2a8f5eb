# Fine-tuning on NTU-120 X-set (Table 2): pretrained encoder + MLP head, layer decay 0.8.
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/vit-8x256_finetune.py',
    '../../_base_/datasets/ntu120_xset_3d.py',
    '../../_base_/schedules/finetune_adamw-layerdecay-100e.py',
]

# Pretrained encoder (online encoder only: keys 'backbone.*' of the pretraining
# checkpoint). Override with --cfg-options model.backbone.init_cfg.checkpoint=PATH
pretrained = 'work_dirs/pretrain_ntu120_xset/epoch_400.pth'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=120))

# 8 GPUs x 6 = 48 samples per step (MAMP: 2 x 24) for lr 3e-4.
train_dataloader = dict(batch_size=6)
