"""Train (pretrain, linear-probe or fine-tune) with MMEngine's runner.

Same flags as MMAction2's ``tools/train.py``; additionally works with
``--launcher pytorch`` on CPU-only machines (gloo), see
:mod:`natmae_mm.utils.launch`.

    python tools/train.py configs/natmae/pretrain_ntu60.py --work-dir work_dirs/x
    python tools/train.py CONFIG --resume            # latest checkpoint in work dir
    python tools/train.py CONFIG --resume PATH.pth   # a given checkpoint
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from mmengine.runner import Runner  # noqa: E402

import natmae_mm  # noqa: E402,F401  (registers components, safe checkpoint loader)
from natmae_mm.engine.hooks import DivergenceError  # noqa: E402
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.config import load_config  # noqa: E402
from natmae_mm.utils.launch import (  # noqa: E402
    add_common_args,
    default_work_dir,
    export_local_rank,
    prepare_distributed,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train an action model (natmae_mm)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or (no value) from the latest '
             'checkpoint in the work directory')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (AmpOptimWrapper)')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate checkpoints during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by actual/base batch size (auto_scale_lr)')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--diff-rank-seed', action='store_true',
                        help='different seeds on different ranks')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic cuDNN options')
    add_common_args(parser)
    args = parser.parse_args(argv)
    export_local_rank(args)
    return args


def merge_args(cfg, args):
    """Apply the CLI flags to the config (CLI wins; ``--cfg-options`` last)."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    default_work_dir(cfg, args.config, args.work_dir)
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise SystemExit(f'error: --amp does not support optim_wrapper type {wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise SystemExit(f'error: --resume checkpoint not found: {args.resume}')
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise SystemExit('error: --auto-scale-lr needs auto_scale_lr=dict('
                             'base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if args.seed is not None or args.diff_rank_seed or args.deterministic:
        randomness = dict(cfg.get('randomness', None) or {})
        if args.seed is not None:
            randomness['seed'] = args.seed
        randomness['diff_rank_seed'] = args.diff_rank_seed or randomness.get(
            'diff_rank_seed', False)
        randomness['deterministic'] = args.deterministic or randomness.get(
            'deterministic', False)
        cfg.randomness = randomness
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = merge_args(load_config(args.config), args)
    prepare_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    try:
        runner.train()
    except DivergenceError as err:  # not bad input, but no bug either: one line (also in the log)
        raise SystemExit(f'error: {err}') from None


if __name__ == '__main__':
    cli_main(main)
