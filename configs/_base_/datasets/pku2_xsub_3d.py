# PKU-MMD Phase II, cross-subject (41 classes).
_base_ = ['./pku_3d.py']
ann_file = 'data/pku2/pku2_3d.pkl'
num_classes = 41
train_dataloader = dict(dataset=dict(ann_file=ann_file, split='xsub_train', num_classes=num_classes))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split='xsub_val', num_classes=num_classes))
test_dataloader = val_dataloader
