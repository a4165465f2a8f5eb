# Ablation on NTU-120 X-sub: per-segment normalised joint target (Eq. 4), no contrastive learning ("Joint", Table 5).
_base_ = ['./natmae_vit-8x256_8xb16-400e_ntu120-xsub-3d.py']

model = dict(target_generator=dict(type='SegmentNormTarget'), contrast=None)
