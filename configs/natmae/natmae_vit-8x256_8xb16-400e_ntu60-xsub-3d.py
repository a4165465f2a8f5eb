# NAT-MAE pretraining on NTU-60 X-sub (the paper's headline setting): NAT joint target + contrastive learning.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/natmae_vit-8x256.py',
    '../_base_/datasets/ntu60_xsub_3d.py',
    '../_base_/schedules/natmae_adamw-400e.py',
]

# 8 GPUs x 16 = 128 samples per step (MAMP: 4 x 32); see the schedule for
# other GPU counts.
train_dataloader = dict(batch_size=16)

# Pretraining uses no labels and has no evaluation loop (watch it with
# tools/analysis/knn_eval.py or run a linear probe on a checkpoint).
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
