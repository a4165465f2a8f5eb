# Entry point: NAT-MAE pretraining on N-UCLA cross-view. Same as
# natmae_vit-8x256_8xb16-400e_nucla-xview-3d.py (its work dir, and so its
# checkpoints, are named after this file: work_dirs/pretrain_nucla/).
_base_ = ['./natmae_vit-8x256_8xb16-400e_nucla-xview-3d.py']
