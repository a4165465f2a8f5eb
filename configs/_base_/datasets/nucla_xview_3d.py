# Northwestern-UCLA (N-UCLA), cross-view: the NTU recipe's data settings
# (skeleton_3d.py: rotation, crop ratios, batch sizes, evaluators) with only
# what the N-UCLA data requires changed.
# The annotation file of tools/data/nucla_to_pkl.py (docs/nucla.md): train
# views 1-2 = 'xview_train', test view 3 = 'xview_val'; keypoints
# (1, T, 20, 3) in metres, centred on the first frame's hip centre.
_base_ = ['./skeleton_3d.py']
ann_file = 'data/nucla/nucla_3d.pkl'
num_classes = 10  # N-UCLA has 10 actions (NTU-60: 60)
num_joints = 20   # Kinect v1 skeleton (NTU/PKU: 25-joint Kinect v2)
num_person = 1    # one actor per sequence (NTU: up to 2)
# N-UCLA sequences are much shorter than NTU's (1 to about 200 frames; NTU up to
# 300, resized to 120): a 64-frame clip (16 segments of l = 4) keeps the
# temporal resolution of a typical sequence instead of stretching it ~2x. The
# encoder's num_frames must match it (the configs use _base_.clip_len).
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
