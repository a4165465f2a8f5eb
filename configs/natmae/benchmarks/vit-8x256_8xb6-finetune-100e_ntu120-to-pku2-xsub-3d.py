# Transfer (Table 4): NTU-120 X-sub pretraining fine-tuned on PKU-MMD II X-sub.
_base_ = ['./vit-8x256_8xb6-finetune-100e_ntu60-to-pku2-xsub-3d.py']

pretrained = 'work_dirs/pretrain_ntu120_xsub/epoch_400.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=pretrained)))
