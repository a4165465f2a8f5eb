# Fine-tuning (MAMP): the whole pretrained encoder (vit-8x256.py, drop path
# 0.3) plus the MLP head (dropout 0.3, fc 25*256 -> 2048 -> BN -> ReLU -> fc),
# label smoothing 0.1. Used by the fine-tune, semi-supervised and transfer
# protocols.
_base_ = ['./vit-8x256.py']
model = dict(
    backbone=dict(drop_path_rate=0.3),
    cls_head=dict(
        type='MAMPFinetuneHead',
        num_classes=60,
        in_channels='8x256',  # the encoder width of the preset
        num_joints=25,
        hidden=2048,
        dropout=0.3,
        label_smooth_eps=0.1))
