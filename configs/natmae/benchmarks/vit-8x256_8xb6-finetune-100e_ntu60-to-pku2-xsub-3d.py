# Transfer (Table 4): NTU-60 X-sub pretraining fine-tuned on PKU-MMD II X-sub
# (fine-tune protocol, MAMP's script_transfer_pkuv2.sh).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/vit-8x256_finetune.py',
    '../../_base_/datasets/pku2_xsub_3d.py',
    '../../_base_/schedules/finetune_adamw-layerdecay-100e.py',
]

# Pretrained encoder (online encoder only: keys 'backbone.*' of the pretraining
# checkpoint). Override with --cfg-options model.backbone.init_cfg.checkpoint=PATH
pretrained = 'work_dirs/pretrain_ntu60/epoch_400.pth'
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=41))

# 8 GPUs x 6 = 48 samples per step (MAMP: 2 x 24) for lr 3e-4.
train_dataloader = dict(batch_size=6)
