# The downstream encoder: the pretrained SkeletonTransformer (arch '8x256') on
# NTU's token grid (120 frames, 25 joints, segments of 4) inside MMAction2's
# RecognizerGCN. The linear-probe and fine-tune bases add their head. The
# encoder is loaded from a pretraining checkpoint; pass another one with
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
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')))
