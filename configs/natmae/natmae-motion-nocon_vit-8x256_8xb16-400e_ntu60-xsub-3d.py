# Ablation on NTU-60 X-sub: MAMP's normalised motion target (Eq. 6), no contrastive learning ("Motion", Table 5).
_base_ = ['./natmae_vit-8x256_8xb16-400e_ntu60-xsub-3d.py']

model = dict(target_generator=dict(type='MotionTarget'), contrast=None)
