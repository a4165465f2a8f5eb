# Entry point: PKU-MMD I X-sub pretraining. Same as natmae_vit-8x256_8xb16-400e_pku1-xsub-3d.py
# (its work dir, and so its checkpoints, are named after this file).
_base_ = ['./natmae_vit-8x256_8xb16-400e_pku1-xsub-3d.py']
