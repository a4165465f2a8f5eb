# Linear probe on N-UCLA cross-view: the NTU-60 linear-probe recipe (frozen
# encoder + linear classifier, SGD lr 0.1, 100 epochs) with the N-UCLA data.
_base_ = ['../benchmarks/vit-8x256_8xb32-linear-coslr-100e_ntu60-xsub-3d.py']

# ---- N-UCLA cross-view data: only what the data requires differs from NTU ----
# The annotation file of tools/data/nucla_to_pkl.py: train views 1-2 =
# 'xview_train', test view 3 = 'xview_val'; keypoints (1, T, 20, 3) in metres,
# centred on the first frame's hip centre. Rotation, crop ratios, batch sizes
# and evaluators stay the NTU recipe's (configs/_base_/datasets/skeleton_3d.py).
ann_file = 'data/nucla/nucla_3d.pkl'
num_classes = 10  # N-UCLA has 10 actions (NTU-60: 60)
num_joints = 20   # Kinect v1 skeleton (NTU/PKU: 25-joint Kinect v2)
num_person = 1    # one actor per sequence (NTU: up to 2)
# N-UCLA sequences are much shorter than NTU's (1 to about 200 frames; NTU up to
# 300, resized to 120): a 64-frame clip (16 segments of l = 4) keeps the
# temporal resolution of a typical sequence instead of stretching it ~2x.
clip_len = 64
# NTU crops keep at least 64 of 120 frames (about half the clip): the same half
# of a 64-frame clip. Shorter sequences are used whole (a 1-frame one is
# repeated), see ValidCropResize.
min_frames = 32
train_pipeline = [
    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.5, 1.0),
         min_frames=min_frames),
    dict(type='RandomRot3D', theta=0.3),
    dict(type='FormatGCNInput', num_person=num_person),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.95, ), test_mode=True),
    dict(type='FormatGCNInput', num_person=num_person),
    dict(type='PackActionInputs'),
]
# num_joints / num_person / num_classes make SkeletonDataset check the file and
# fail before training, naming both values, if it is not N-UCLA-shaped.
train_dataloader = dict(dataset=dict(
    ann_file=ann_file, split='xview_train', num_classes=num_classes, num_joints=num_joints,
    num_person=num_person, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    ann_file=ann_file, split='xview_val', num_classes=num_classes, num_joints=num_joints,
    num_person=num_person, pipeline=test_pipeline))
test_dataloader = val_dataloader

# Override with --cfg-options model.backbone.init_cfg.checkpoint=PATH
pretrained = 'work_dirs/pretrain_nucla/epoch_400.pth'
model = dict(
    # the encoder's token grid must match the pretrained one (20 joints, 64 frames)
    backbone=dict(num_frames=clip_len, num_joints=num_joints,
                  init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes))
