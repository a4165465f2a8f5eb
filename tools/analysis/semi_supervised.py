"""Semi-supervised protocol: fine-tune on label-fraction subsets, mean and std over subset seeds.

The paper's Table 3 fine-tunes the pretrained encoder with its classifier on
1% or 10% of the labelled training set and reports "the average of five runs"
because the drawn subset matters. This tool runs the fine-tune config once per
subset seed: the training dataset gets ``label_fraction=--fraction`` and
``subset_seed=<seed>`` (see :class:`~natmae_mm.datasets.SkeletonDataset`), the
run's ``randomness.seed`` is the same seed, and the encoder starts from
``--checkpoint``. It writes ``results.md`` / ``results.csv`` (one row per seed
plus mean and sample std) into ``--work-dir``.

Resuming works as in ``compare_targets.py`` (shared code in
:mod:`natmae_mm.evaluation.experiments`): finished seeds leave
``results/seed<k>.json`` and are skipped; an interrupted seed resumes from its
last checkpoint.

Example::

    python tools/analysis/semi_supervised.py \
        configs/natmae/benchmarks/semi_ntu60_xsub.py \
        --checkpoint work_dirs/pretrain_ntu60/epoch_400.pth \
        --fraction 0.01 --seeds 0 1 2 3 4 --work-dir work_dirs/semi_1pct
"""
import argparse
import copy
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction

from natmae_mm.evaluation.experiments import (
    ExperimentError,
    check_data,
    check_settings,
    collect_records,
    get_logger,
    iter_datasets,
    run_experiment,
    run_stage,
    set_ann_file,
)
from natmae_mm.evaluation.tables import mean_std, write_table
from natmae_mm.utils.cli import cli_main
from natmae_mm.utils.config import load_config

TOP1 = 'acc/top1'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='fine-tune config (RecognizerGCN on SkeletonDataset)')
    parser.add_argument('--checkpoint', required=True,
                        help="pretrained checkpoint; its 'backbone.*' weights initialise "
                             'the encoder')
    parser.add_argument('--prefix', default='backbone.',
                        help='key prefix of the encoder weights in --checkpoint')
    parser.add_argument('--work-dir', required=True, help='where runs and results go')
    parser.add_argument('--fraction', type=float, default=0.01,
                        help='labelled fraction of the training split, in (0, 1]')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    parser.add_argument('--ann-file', help='annotation file for every dataset of the config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides of the config (key=value)')
    return parser.parse_args(argv)


def subset_config(cfg: Config, fraction: float, seed: int, checkpoint: str,
                  prefix: str) -> Config:
    """``cfg`` on the ``(fraction, seed)`` subset, its encoder loading ``checkpoint``.

    Args:
        cfg (Config): the fine-tune config (not modified).
        fraction (float): label fraction in (0, 1].
        seed (int): subset seed.
        checkpoint (str): the pretraining checkpoint.
        prefix (str): key prefix of the encoder in the checkpoint.

    Returns:
        Config: the run's config.
    """
    cfg = copy.deepcopy(cfg)
    train = [ds for key, ds in iter_datasets(cfg) if key.startswith('train_dataloader')]
    if not train:
        raise ExperimentError('the config has no train_dataloader.dataset')
    for dataset in train:
        dataset['label_fraction'] = fraction
        dataset['subset_seed'] = seed
    cfg.model.backbone['init_cfg'] = dict(type='Pretrained', checkpoint=checkpoint,
                                          prefix=prefix)
    return cfg


def report(records: List[Dict[str, Any]], fraction: float, work_dir: str) -> None:
    """Write results.{md,csv}: a row per seed, then mean and sample std.

    Args:
        records (List[dict]): the finished seeds' records.
        fraction (float): the label fraction (table title).
        work_dir (str): where the tables go.
    """
    rows: List[Dict[str, Any]] = [dict(seed=r['seed'], top1=r['top1'],
                                       train_samples=r.get('train_samples'),
                                       time_s=r.get('time_s')) for r in records]
    mean, std, n = mean_std([r['top1'] for r in records])
    rows.append(dict(seed=f'mean (n={n})', top1=mean))
    rows.append(dict(seed='std', top1=std))
    columns = [('seed', 'Subset seed'), ('top1', 'Top-1 (%)'),
               ('train_samples', 'Labelled samples'), ('time_s', 'Wall (s)')]
    write_table(rows, columns, osp.join(work_dir, 'results.md'),
                osp.join(work_dir, 'results.csv'),
                title=f'Semi-supervised fine-tuning, {100 * fraction:g}% labels')


def count_train_samples(cfg: Config) -> Optional[int]:
    """How many samples the (subset) training dataset holds, built without its pipeline.

    Args:
        cfg (Config): a run's config.

    Returns:
        int, optional: the count; None when the config has several training datasets.
    """
    from mmaction.registry import DATASETS
    train = [ds for key, ds in iter_datasets(cfg) if key.startswith('train_dataloader')]
    if len(train) != 1:
        return None
    plain = {k: v for k, v in train[0].items() if k != 'pipeline'}
    return len(DATASETS.build(dict(plain, pipeline=[])))


def semi_supervised(args: argparse.Namespace, logger: Any) -> str:
    """Run (or resume) the seeds of ``args``; return the path of results.md.

    Args:
        args (argparse.Namespace): the command line.
        logger (logging.Logger): progress.

    Returns:
        str: ``work_dir/results.md``.
    """
    import natmae_mm  # noqa: F401  (registers the modules)
    if not 0. < args.fraction <= 1.:
        raise ExperimentError(f'--fraction must be in (0, 1], got {args.fraction}')
    if not osp.isfile(args.checkpoint):
        raise ExperimentError(f'--checkpoint {args.checkpoint!r} does not exist')
    cfg = load_config(args.config, args.cfg_options)
    if args.ann_file:
        set_ann_file(cfg, args.ann_file)
    check_data(cfg, args.config)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    settings = dict(config=osp.abspath(args.config), checkpoint=osp.abspath(args.checkpoint),
                    prefix=args.prefix, fraction=args.fraction, ann_file=args.ann_file,
                    cfg_options=args.cfg_options)
    check_settings(work_dir, settings)

    def run_seed(i: int) -> Dict[str, Any]:
        seed = args.seeds[i]
        run_cfg = subset_config(cfg, args.fraction, seed, osp.abspath(args.checkpoint),
                                args.prefix)
        n_train = count_train_samples(run_cfg)
        stage = run_stage(run_cfg, osp.join(work_dir, 'runs', f'seed{seed}'),
                          f'semi_seed{seed}', seed, test=True, logger=logger)
        if TOP1 not in stage['metrics']:
            raise ExperimentError(f'seed {seed}: the test reported no {TOP1} '
                                  f'(got {sorted(stage["metrics"])})')
        return dict(seed=seed, fraction=args.fraction, train_samples=n_train,
                    top1=100.0 * stage['metrics'][TOP1],
                    time_s=stage['wall_time_s'], checkpoint=stage['checkpoint'])

    collect_records([f'seed{seed}' for seed in args.seeds], osp.join(work_dir, 'results'),
                    run_seed, logger,
                    after_each=lambda records: report(records, args.fraction, work_dir))
    return osp.join(work_dir, 'results.md')


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    return run_experiment(lambda: semi_supervised(args, get_logger()))


if __name__ == '__main__':
    cli_main(main)
