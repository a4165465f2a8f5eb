# NAT-MAE pretraining on N-UCLA cross-view: the NTU-60 X-sub recipe (NAT joint
# target + contrastive learning, 400 epochs, AdamW) with the N-UCLA data
# (configs/_base_/datasets/nucla_xview_3d.py) and only the changes it requires,
# each commented.
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/natmae_vit-8x256.py',
    '../../_base_/datasets/nucla_xview_3d.py',
    '../../_base_/schedules/natmae_adamw-400e.py',
]

# 8 GPUs x 16 = 128 samples per step, as the NTU-60 recipe.
train_dataloader = dict(batch_size=16)

# No evaluation loop (see the schedule): drop the dataset's val/test loaders.
val_dataloader = val_evaluator = test_dataloader = test_evaluator = None

model = dict(
    # 20 joints and a 64-frame clip size the token grid (and the position
    # embeddings) of the encoder and the decoder.
    backbone=dict(num_frames=_base_.clip_len, num_joints=_base_.num_joints),
    neck=dict(num_frames=_base_.clip_len, num_joints=_base_.num_joints),
    # The paper's 65,536-key queue is 64x N-UCLA's 1,020 training sequences: it
    # would hold dozens of stale keys of every sample, i.e. of each query's
    # own positive, as negatives. 512 keys (half an epoch) hold none of them.
    contrast=dict(queue_len=512))

# The matching linear probe (used by tools/analysis/compare_targets.py).
linear_probe_config = './vit-8x256_8xb32-linear-coslr-100e_nucla-xview-3d.py'
