# NTU RGB+D 120, cross-setup (train = even setups): the X-sub file and settings
# (ntu120_xsub_3d.py) with the X-set split.
_base_ = ['./ntu120_xsub_3d.py']
train_dataloader = dict(dataset=dict(split='xset_train'))
val_dataloader = dict(dataset=dict(split='xset_val'))
test_dataloader = val_dataloader
