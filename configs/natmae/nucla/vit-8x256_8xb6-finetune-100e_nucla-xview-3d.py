# Fine-tuning on N-UCLA cross-view: the NTU-60 fine-tune recipe (whole encoder
# + MLP head, layer decay 0.8, 100 epochs) with the N-UCLA data
# (configs/_base_/datasets/nucla_xview_3d.py). With
# tools/analysis/semi_supervised.py it also runs the label-fraction protocol.
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/vit-8x256_finetune.py',
    '../../_base_/datasets/nucla_xview_3d.py',
    '../../_base_/schedules/finetune_adamw-layerdecay-100e.py',
]

# Override with --cfg-options model.backbone.init_cfg.checkpoint=PATH
pretrained = 'work_dirs/pretrain_nucla/epoch_400.pth'
model = dict(
    backbone=dict(num_frames=_base_.clip_len, num_joints=_base_.num_joints,
                  init_cfg=dict(checkpoint=pretrained)),
    # the head flattens joints x channels: 20 x 256 inputs
    cls_head=dict(num_classes=_base_.num_classes, num_joints=_base_.num_joints))

# 8 GPUs x 6 = 48 samples per step, as the NTU-60 recipe.
train_dataloader = dict(batch_size=6)
