# Fine-tuning (MAMP): the whole pretrained encoder (arch '8x256', drop path 0.3) plus the MLP
# head (dropout 0.3, fc 25*256 -> 2048 -> BN -> ReLU -> fc), label smoothing 0.1.
# Used by the fine-tune, semi-supervised and transfer protocols. Pass the
# pretraining checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
model = dict(
    type='RecognizerGCN',
    data_preprocessor=dict(type='ActionDataPreprocessor'),
    backbone=dict(
        type='SkeletonTransformer',
        arch='8x256',
        in_channels=3,
        num_frames=120,
        num_joints=25,
        segment_len=4,
        drop_path_rate=0.3,
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')),
    cls_head=dict(
        type='MAMPFinetuneHead',
        num_classes=60,
        in_channels='8x256',  # the encoder width of the preset
        num_joints=25,
        hidden=2048,
        dropout=0.3,
        label_smooth_eps=0.1))
