"""CLI flags of tools/train.py and the CPU distributed set-up."""
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from ..tools.foundation_utils import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import train as train_tool  # noqa: E402

from natmae_mm.utils.launch import prepare_distributed  # noqa: E402


def make_cfg():
    return Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
                       auto_scale_lr=dict(enable=False, base_batch_size=8)))


@pytest.mark.parametrize('flag', ['--local_rank', '--local-rank'])
def test_both_local_rank_spellings(flag):
    args = train_tool.parse_args(['cfg.py', flag, '3'])
    assert args.local_rank == 3


def test_flags_map_to_config(tmp_path):
    args = train_tool.parse_args(['x/cfg_name.py', '--amp', '--auto-scale-lr', '--resume',
                                  '--seed', '5', '--cfg-options', 'optim_wrapper.optimizer.lr=0.5'])
    cfg = train_tool.merge_args(make_cfg(), args)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.auto_scale_lr.enable is True
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.randomness['seed'] == 5
    assert cfg.optim_wrapper.optimizer.lr == 0.5
    assert cfg.work_dir == osp.join('./work_dirs', 'cfg_name')


def test_resume_from_missing_path_is_clear(tmp_path):
    args = train_tool.parse_args(['cfg.py', '--resume', str(tmp_path / 'gone.pth')])
    with pytest.raises(SystemExit, match='gone.pth'):
        train_tool.merge_args(make_cfg(), args)


def test_cpu_distributed_selects_gloo_and_cpu_wrapper(monkeypatch):
    import torch
    import torch.distributed as dist
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(dist, 'is_initialized', lambda: True)  # pretend torchrun set it up
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    prepare_distributed(cfg, 'pytorch')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg['type'] == 'CPUDistributedDataParallel'
    cfg2 = Config(dict())
    prepare_distributed(cfg2, 'none')
    assert 'model_wrapper_cfg' not in cfg2
    with pytest.raises(SystemExit, match='slurm'):
        prepare_distributed(Config(dict()), 'slurm')
