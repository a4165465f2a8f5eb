# Linear probe on N-UCLA cross-view: the NTU-60 linear-probe recipe (frozen
# encoder + linear classifier, SGD lr 0.1, 100 epochs) with the N-UCLA data
# (configs/_base_/datasets/nucla_xview_3d.py).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/vit-8x256_linear.py',
    '../../_base_/datasets/nucla_xview_3d.py',
    '../../_base_/schedules/linear_sgd-coslr-100e.py',
]

# Override with --cfg-options model.backbone.init_cfg.checkpoint=PATH
pretrained = 'work_dirs/pretrain_nucla/epoch_400.pth'
model = dict(
    # the encoder's token grid must match the pretrained one (20 joints, 64 frames)
    backbone=dict(num_frames=_base_.clip_len, num_joints=_base_.num_joints,
                  init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=_base_.num_classes))

# 8 GPUs x 32 = 256 samples per step, as the NTU-60 recipe.
train_dataloader = dict(batch_size=32)
