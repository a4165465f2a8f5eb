# NAT-MAE pretraining on NTU-120 X-set: NAT joint target + contrastive learning.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/natmae_vit-8x256.py',
    '../_base_/datasets/ntu120_xset_3d.py',
    '../_base_/schedules/natmae_adamw-400e.py',
]

# NTU-120 (MAMP): 5 decoder blocks, motion-aware masking temperature 0.75.
model = dict(backbone=dict(motion_tau=0.75), neck=dict(depth=5))

# 8 GPUs x 16 = 128 samples per step (MAMP: 4 x 32; see the schedule).
train_dataloader = dict(batch_size=16)

# No evaluation loop (see the schedule): drop the dataset's val/test loaders.
val_dataloader = val_evaluator = test_dataloader = test_evaluator = None
