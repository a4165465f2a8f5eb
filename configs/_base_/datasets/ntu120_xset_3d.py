# NTU RGB+D 120, cross-setup (train = even setups).
_base_ = ['./skeleton_3d.py']
ann_file = 'data/ntu120/ntu120_3d.pkl'
num_classes = 120
train_dataloader = dict(dataset=dict(ann_file=ann_file, split='xset_train', num_classes=num_classes))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split='xset_val', num_classes=num_classes))
test_dataloader = val_dataloader
