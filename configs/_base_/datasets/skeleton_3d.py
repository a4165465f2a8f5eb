# Shared data settings of every NTU / PKU-MMD 3D-skeleton protocol (MAMP's).
# A dataset file (ntu60_xsub_3d.py, ...) inherits this and fills in
# ann_file, split and num_classes; batch sizes are set by each recipe.
dataset_type = 'SkeletonDataset'
clip_len = 120

# Persons: NTU annotations store a one-actor sample with M = 1; MAMP's data
# (CTR-GCN's preprocessing) duplicates that actor as person 2, so we pad with
# mode='loop' to feed the same tensor. PKU-MMD files keep MAMP's zero padding
# (pku*_xsub_3d.py switch back to mode='zero').

# Train: random valid window of p in [0.5, 1] of the valid length (at least 64
# frames), resized to 120 frames; random 3D rotation, angles in [-0.3, 0.3] rad.
train_pipeline = [
    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.5, 1.0), min_frames=64),
    dict(type='RandomRot3D', theta=0.3),
    dict(type='FormatGCNInput', num_person=2, mode='loop'),
    dict(type='PackActionInputs'),
]
# Test: centre window of 95% of the valid length, resized to 120 frames.
test_pipeline = [
    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.95, ), test_mode=True),
    dict(type='FormatGCNInput', num_person=2, mode='loop'),
    dict(type='PackActionInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, pipeline=train_pipeline, num_joints=25, num_person=2))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, pipeline=test_pipeline, num_joints=25, num_person=2,
                 test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', ),
                     metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
test_evaluator = val_evaluator
