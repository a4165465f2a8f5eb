# NTU RGB+D 60, cross-view (train cameras 2, 3): the X-sub file and settings
# (ntu60_xsub_3d.py) with the X-view split.
_base_ = ['./ntu60_xsub_3d.py']
train_dataloader = dict(dataset=dict(split='xview_train'))
val_dataloader = dict(dataset=dict(split='xview_val'))
test_dataloader = val_dataloader
