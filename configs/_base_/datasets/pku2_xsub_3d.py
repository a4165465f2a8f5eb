# PKU-MMD Phase II, cross-subject (41 classes).
_base_ = ['./skeleton_3d.py']
ann_file = 'data/pku2/pku2_3d.pkl'
num_classes = 41
# MAMP's PKU-MMD data pads a missing second body with zeros (not a copy).
train_pipeline = [
    dict(type='ValidCropResize', clip_len=120, p_interval=(0.5, 1.0), min_frames=64),
    dict(type='RandomRot3D', theta=0.3),
    dict(type='FormatGCNInput', num_person=2, mode='zero'),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='ValidCropResize', clip_len=120, p_interval=(0.95, ), test_mode=True),
    dict(type='FormatGCNInput', num_person=2, mode='zero'),
    dict(type='PackActionInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline, ann_file=ann_file, split='xsub_train', num_classes=num_classes))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline, ann_file=ann_file, split='xsub_val', num_classes=num_classes))
test_dataloader = val_dataloader
