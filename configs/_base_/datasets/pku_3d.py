# Shared by the PKU-MMD phase I / II files: the NTU pipelines, except that a
# missing second body is padded with zeros (MAMP's PKU-MMD data), not a copy.
_base_ = ['./skeleton_3d.py']
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
