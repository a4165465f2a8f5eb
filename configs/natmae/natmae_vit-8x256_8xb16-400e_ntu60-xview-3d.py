# NAT-MAE pretraining on NTU-60 X-view: NAT joint target + contrastive learning.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/natmae_vit-8x256.py',
    '../_base_/datasets/ntu60_xview_3d.py',
    '../_base_/schedules/natmae_adamw-400e.py',
]

# 8 GPUs x 16 = 128 samples per step (MAMP: 4 x 32; see the schedule).
train_dataloader = dict(batch_size=16)

# No evaluation loop (see the schedule): drop the dataset's val/test loaders.
val_dataloader = val_evaluator = test_dataloader = test_evaluator = None
