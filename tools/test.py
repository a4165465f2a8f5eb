"""Test (evaluate) a checkpoint with MMEngine's runner.

Same flags as MMAction2's ``tools/test.py``; the checkpoint is read with
torch's safe loader (see :mod:`natmae_mm.utils.checkpoint`).

    python tools/test.py CONFIG CHECKPOINT [--dump preds.pkl]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from mmengine.runner import Runner  # noqa: E402

import natmae_mm  # noqa: E402,F401  (registers components, safe checkpoint loader)
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.config import load_config  # noqa: E402
from natmae_mm.utils.launch import (  # noqa: E402
    add_common_args,
    default_work_dir,
    export_local_rank,
    prepare_distributed,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test an action model (natmae_mm)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--dump', type=str,
                        help='dump predictions to a pickle file for offline evaluation')
    add_common_args(parser)
    args = parser.parse_args(argv)
    export_local_rank(args)
    return args


def merge_args(cfg, args):
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit(f'error: --dump must name a .pkl file, got {args.dump}')
        dump = dict(type='DumpResults', out_file_path=args.dump)
        evaluators = cfg.test_evaluator
        evaluators = list(evaluators) if isinstance(evaluators, (list, tuple)) else [evaluators]
        cfg.test_evaluator = evaluators + [dump]
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    default_work_dir(cfg, args.config, args.work_dir)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: checkpoint not found: {args.checkpoint}')
    cfg.load_from = args.checkpoint
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = merge_args(load_config(args.config), args)
    prepare_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    cli_main(main)
