# Ablation on NTU-60 X-sub: normalised motion target (Eq. 6) with contrastive learning.
_base_ = ['./natmae_vit-8x256_8xb16-400e_ntu60-xsub-3d.py']

model = dict(target_generator=dict(type='MotionTarget'))
