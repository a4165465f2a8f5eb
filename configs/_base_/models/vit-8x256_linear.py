# Linear probe (MAMP): the frozen pretrained encoder (vit-8x256.py), mean over
# persons, time and joints, BatchNorm1d(affine=False) and one linear layer.
_base_ = ['./vit-8x256.py']
model = dict(
    backbone=dict(drop_path_rate=0., frozen=True),
    cls_head=dict(type='LinearProbeHead', num_classes=60, in_channels='8x256'))
