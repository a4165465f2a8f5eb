# PKU-MMD Phase I, cross-subject (51 classes).
_base_ = ['./pku_3d.py']
ann_file = 'data/pku1/pku1_3d.pkl'
num_classes = 51
train_dataloader = dict(dataset=dict(ann_file=ann_file, split='xsub_train', num_classes=num_classes))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split='xsub_val', num_classes=num_classes))
test_dataloader = val_dataloader
