# Semi-supervised on NTU-60 X-view with 1% of the labelled training set (Table 3):
# fine-tune protocol on a class-balanced subset drawn by SkeletonDataset.
# The paper averages five runs: vary the subset with
#   --cfg-options train_dataloader.dataset.subset_seed=K  (K = 0..4)
_base_ = ['./vit-8x256_8xb6-finetune-100e_ntu60-xview-3d.py']

train_dataloader = dict(dataset=dict(label_fraction=0.01, subset_seed=0))
