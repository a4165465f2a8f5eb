# Linear probe (MAMP): frozen pretrained encoder (arch '8x256', as pretrained),
# mean over persons, time and joints, BatchNorm1d(affine=False) and one linear
# layer.
# The encoder is loaded from a pretraining checkpoint; pass another one with
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
        drop_path_rate=0.,
        frozen=True,
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')),
    # in_channels: the width of arch '8x256' (LinearProbeHead takes a number)
    cls_head=dict(type='LinearProbeHead', num_classes=60, in_channels=256))
