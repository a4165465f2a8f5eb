# NTU RGB+D 60, cross-subject.
_base_ = ['./skeleton_3d.py']
ann_file = 'data/ntu60/ntu60_3d.pkl'
num_classes = 60
train_dataloader = dict(dataset=dict(ann_file=ann_file, split='xsub_train', num_classes=num_classes))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split='xsub_val', num_classes=num_classes))
test_dataloader = val_dataloader
