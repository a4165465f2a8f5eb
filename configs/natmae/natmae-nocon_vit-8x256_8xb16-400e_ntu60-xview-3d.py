# Ablation on NTU-60 X-view: NAT joint target without contrastive learning ("Ours w/o Con", Tables 3, 4, 6; "Joint w NAT", Table 5).
_base_ = ['./natmae_vit-8x256_8xb16-400e_ntu60-xview-3d.py']

model = dict(contrast=None)
