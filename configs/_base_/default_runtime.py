# Runtime shared by every natmae_mm config. Our own copy instead of an
# 'mmaction::' base: those need pkg_resources, which setuptools >= 82 removed.
default_scope = 'mmaction'

# Registers every natmae_mm component (and the safe-checkpoint allowlist) in
# any process that builds this config, including dataloader workers.
custom_imports = dict(imports=['natmae_mm'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # max_keep_ckpts keeps disk bounded; 'latest' is what --resume finds.
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Averages buffers across ranks at epoch end (MMAction2's default). Our
    # contrastive queue and its pointer are identical on every rank (filled
    # from all-gathered keys), so averaging leaves them unchanged.
    sync_buffers=dict(type='SyncBuffersHook'),
    # Stores plain Python numbers (not numpy scalars) in the runtime state, so
    # checkpoints load under torch's safe loader without allowlisting getattr.
    plain_runtime_info=dict(type='PlainRuntimeInfoHook'),
    # Stops at the first non-finite loss without saving the diverged state;
    # switch off with default_hooks.divergence_guard.enabled=False.
    divergence_guard=dict(type='DivergenceGuardHook', enabled=True),
    # --resume skips an unreadable (truncated, damaged) checkpoint and resumes
    # from the newest readable one; an unreadable --resume PATH is an error.
    # (MMEngine refuses None for these two keys: switch them off with enabled.)
    resume_guard=dict(type='ResumeGuardHook', enabled=True),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo when no GPU is present.
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False

randomness = dict(seed=0, diff_rank_seed=False, deterministic=False)
