"""Compare reconstruction targets under the linear probe (the paper's Table 5, and Table 6).

For one pretraining config this pretrains with each reconstruction target

* ``motion``: :class:`MotionTarget` (MAMP's masked motion target, Eq. 6),
* ``joint``:  :class:`SegmentNormTarget` (joint target normalised per segment,
  Eq. 4, "Joint" / "joint w/o NAT"),
* ``nat``:    :class:`NATTarget` (joint target with NAT, Eq. 5),

with and/or without the contrastive branch (``model.contrast``), plus a
randomly initialised encoder as the floor, and evaluates every encoder with the
linear probe (top-1) and a k-NN classifier on frozen features, over one or more
seeds. It writes ``results.md``, ``results.csv`` (mean and sample std over
seeds) and ``results.png`` (bars with std error bars) into ``--work-dir``.

Resuming: every finished run leaves ``results/<run>.json`` (atomic write) and
is skipped when the command is run again; an interrupted pretraining or probe
resumes from its last checkpoint (or restarts when it has none). Rerun the same
command to continue a comparison; add seeds or targets to extend it.

Example (N-UCLA at CPU scale, see docs/nucla.md)::

    python tools/analysis/compare_targets.py configs/natmae/nucla/pretrain_nucla_cpu.py \
        --work-dir work_dirs/nucla_targets --seeds 0 1 --contrast none --targets motion,joint,nat
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
from natmae_mm.evaluation.tables import summarize, write_table
from natmae_mm.utils.cli import cli_main
from natmae_mm.utils.config import load_config

#: target name -> (registered target generator, label used in tables and plots)
TARGETS = {
    'motion': ('MotionTarget', 'Motion'),
    'joint': ('SegmentNormTarget', 'Joint w/o NAT'),
    'nat': ('NATTarget', 'Joint w/ NAT'),
}
RANDOM = 'random'
CONTRASTS = ('none', 'with')
TOP1 = 'acc/top1'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='pretraining config (NATMAE)')
    parser.add_argument('--work-dir', required=True, help='where runs and results go')
    parser.add_argument('--probe-config', help='linear-probe config; defaults to the '
                        "pretraining config's `linear_probe_config` (relative to it)")
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--contrast', default='none',
                        help='comma list of none,with (contrastive branch off/on)')
    parser.add_argument('--targets', default='motion,joint,nat',
                        help='comma list of ' + ','.join(TARGETS))
    parser.add_argument('--no-random', action='store_true',
                        help='skip the random-encoder baseline')
    parser.add_argument('--knn-k', type=int, default=20, help='neighbours of the k-NN score')
    parser.add_argument('--ann-file', help='annotation file for every dataset of both configs')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides of the pretraining config (key=value)')
    parser.add_argument('--probe-cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides of the linear-probe config (key=value)')
    return parser.parse_args(argv)


def _split(text: str, allowed: Sequence[str], what: str) -> List[str]:
    items = [t.strip() for t in text.split(',') if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad or not items:
        raise ExperimentError(f'--{what} {text!r}: expected a comma list of {", ".join(allowed)}')
    return list(dict.fromkeys(items))


def resolve_probe_config(args: argparse.Namespace, cfg: Config) -> str:
    """The probe config path: ``--probe-config`` or the config's ``linear_probe_config``.

    Args:
        args (argparse.Namespace): the command line.
        cfg (Config): the pretraining config.

    Returns:
        str: the probe config's path (``linear_probe_config`` is relative to
        the pretraining config).
    """
    if args.probe_config:
        return args.probe_config
    rel = cfg.get('linear_probe_config')
    if not rel:
        raise ExperimentError(
            f'{args.config} names no `linear_probe_config`; pass --probe-config')
    return osp.normpath(osp.join(osp.dirname(osp.abspath(args.config)), rel))


def pretrain_config(cfg: Config, target: str, contrast: str) -> Config:
    """``cfg`` with the reconstruction target and the contrastive branch replaced.

    Args:
        cfg (Config): the pretraining config (not modified).
        target (str): a key of :data:`TARGETS`.
        contrast (str): ``'none'`` (``model.contrast=None``) or ``'with'``
            (the config's own ``model.contrast``).

    Returns:
        Config: the run's pretraining config.
    """
    cfg = copy.deepcopy(cfg)
    model = cfg.model
    old = dict(model.get('target_generator') or {})
    new_type = TARGETS[target][0]
    segment_len = old.get('segment_len', model.backbone.get('segment_len', 4))
    new = old if old.get('type') == new_type else dict(type=new_type)
    new['segment_len'] = segment_len
    model.target_generator = new
    if contrast == 'none':
        model.contrast = None
    elif not model.get('contrast'):
        raise ExperimentError(
            'contrast "with" needs model.contrast in the pretraining config '
            '(e.g. dict(type="MomentumKeyQueue", ...)); it has none')
    return cfg


def encoder_shape(backbone: dict) -> Dict[str, Any]:
    """What a checkpoint's encoder and the encoder it loads into must share.

    The encoder is built (randomly initialised, a fraction of a second) so that
    the shape is read the way the model reads it: its ``arch`` preset with any
    explicit ``embed_dim`` / ``depth`` / ... on top.

    Args:
        backbone (dict): a backbone config.

    Returns:
        Dict[str, Any]: token grid (``in_channels``, ``num_frames``,
        ``num_joints``, ``segment_len``) and shape (``embed_dim``, ``depth``,
        ``num_heads``, ``mlp_ratio``).
    """
    from mmaction.registry import MODELS

    import natmae_mm  # noqa: F401  (registers the encoders)
    encoder = MODELS.build(dict(backbone, init_cfg=None))
    return {key: getattr(encoder, key) for key in
            ('in_channels', 'num_frames', 'num_joints', 'segment_len', 'embed_dim', 'depth',
             'num_heads', 'mlp_ratio')}


def probe_config(probe: Config, pretrain: Config, checkpoint: Optional[str]) -> Config:
    """The probe config loading ``checkpoint`` into its (frozen) encoder.

    The probe names its encoder itself (e.g. ``arch='4x128'`` in
    ``linear_nucla_cpu.py``); nothing is copied from the pretraining config,
    but both encoders must have the same shape. ``checkpoint=None`` leaves the
    encoder randomly initialised (the baseline).

    Args:
        probe (Config): the linear-probe config (not modified).
        pretrain (Config): the pretraining config.
        checkpoint (str, optional): the pretraining checkpoint.

    Returns:
        Config: the run's probe config.

    Raises:
        ExperimentError: the two encoders differ (naming each key and both
            values), or the probe head's input width is not the encoder width.
    """
    from natmae_mm.models.backbones import encoder_width
    probe = copy.deepcopy(probe)
    src, dst = encoder_shape(pretrain.model.backbone), encoder_shape(probe.model.backbone)
    diff = [key for key in src if src[key] != dst[key]]
    if diff:
        raise ExperimentError(
            'the pretraining encoder has ' + ', '.join(f'{k}={src[k]}' for k in diff)
            + ' but the probe encoder ' + ', '.join(f'{k}={dst[k]}' for k in diff)
            + ': use matching configs (or --probe-cfg-options)')
    head = probe.model.get('cls_head')
    if head is not None and encoder_width(head.get('in_channels', src['embed_dim'])) != \
            src['embed_dim']:
        raise ExperimentError(
            f"the probe head has in_channels={head['in_channels']} but the encoder width is "
            f"{src['embed_dim']}: use matching configs (or --probe-cfg-options)")
    probe.model.backbone['init_cfg'] = (
        None if checkpoint is None else
        dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.'))
    return probe


def plan(seeds: Sequence[int], contrasts: Sequence[str], targets: Sequence[str],
         baseline: bool) -> List[Dict[str, Any]]:
    """The runs, seed-major so that every condition of seed 0 finishes first.

    Args:
        seeds (Sequence[int]): the seeds.
        contrasts (Sequence[str]): ``'none'`` and / or ``'with'``.
        targets (Sequence[str]): keys of :data:`TARGETS`.
        baseline (bool): add a random-encoder run per seed.

    Returns:
        List[dict]: ``{'run', 'target', 'contrast', 'seed'}`` per run.
    """
    runs = []
    for seed in seeds:
        if baseline:
            runs.append(dict(run=f'{RANDOM}_seed{seed}', target=RANDOM, contrast='-', seed=seed))
        for contrast in contrasts:
            for target in targets:
                runs.append(dict(run=f'{target}_con-{contrast}_seed{seed}', target=target,
                                 contrast=contrast, seed=seed))
    return runs


def _split_of(cfg: Config, loader: str) -> str:
    keys = [ds.get('split') for key, ds in iter_datasets(cfg) if key.startswith(loader)]
    if len(keys) != 1 or keys[0] is None:
        raise ExperimentError(f'cannot tell the split of {loader} for the k-NN score')
    return keys[0]


def knn_top1(probe: Config, checkpoint: str, k: int) -> float:
    """k-NN top-1 (%) of the encoder in the probe's final ``checkpoint``.

    The probe keeps its encoder frozen, so this is exactly the pretrained (or
    random) encoder it was trained on. The bank is the training split, the
    queries the test split, both through the test pipeline (DINO's weighted
    k-NN, :func:`natmae_mm.evaluation.knn.knn_accuracy`).

    Args:
        probe (Config): the run's probe config.
        checkpoint (str): the probe's final checkpoint.
        k (int): neighbours.

    Returns:
        float: top-1 in percent.
    """
    from natmae_mm.evaluation.builders import (
        build_feature_dataloader,
        build_model_from_checkpoint,
    )
    from natmae_mm.evaluation.features import extract_features
    from natmae_mm.evaluation.knn import knn_accuracy
    model = build_model_from_checkpoint(probe, checkpoint, strict=True)
    feats = {}
    for name, loader in (('bank', 'train_dataloader'), ('query', 'test_dataloader')):
        dataloader = build_feature_dataloader(probe, _split_of(probe, loader))
        feats[name] = extract_features(model, dataloader)
    acc = knn_accuracy(*feats['bank'], *feats['query'],
                       num_classes=probe.model.cls_head.num_classes, k=k)
    return acc['top1']


def execute(run: Dict[str, Any], work_dir: str, cfg: Config, probe: Config, k: int,
            logger: Any) -> Dict[str, Any]:
    """Pretrain (unless random), probe and k-NN one run; return its record.

    Args:
        run (dict): one entry of :func:`plan`.
        work_dir (str): the comparison's directory.
        cfg (Config): the pretraining config.
        probe (Config): the linear-probe config.
        k (int): neighbours of the k-NN score.
        logger (logging.Logger): progress.

    Returns:
        dict: the run with ``linear_top1``, ``knn_top1``, times and checkpoint.
    """
    run_dir = osp.join(work_dir, 'runs', run['run'])
    record = dict(run)
    checkpoint = None
    record['pretrain_time_s'] = None
    if run['target'] != RANDOM:
        pre_cfg = pretrain_config(cfg, run['target'], run['contrast'])
        pre = run_stage(pre_cfg, osp.join(run_dir, 'pretrain'), f"{run['run']}_pretrain",
                        run['seed'], test=False, logger=logger)
        checkpoint = pre['checkpoint']
        if checkpoint is None:
            raise ExperimentError(f"{run['run']}: pretraining saved no checkpoint "
                                  '(the config needs a CheckpointHook)')
        record['pretrain_time_s'] = pre['wall_time_s']
    lin_cfg = probe_config(probe, cfg, checkpoint)
    lin = run_stage(lin_cfg, osp.join(run_dir, 'linear'), f"{run['run']}_linear", run['seed'],
                    test=True, logger=logger)
    if TOP1 not in lin['metrics']:
        raise ExperimentError(f"{run['run']}: the probe reported no {TOP1} "
                              f"(got {sorted(lin['metrics'])}); the probe config needs AccMetric")
    record['linear_top1'] = 100.0 * lin['metrics'][TOP1]
    record['probe_time_s'] = lin['wall_time_s']
    record['knn_top1'] = knn_top1(lin_cfg, lin['checkpoint'], k)
    record['checkpoint'] = checkpoint
    return record


def report(records: List[Dict[str, Any]], work_dir: str) -> None:
    """Write results.{md,csv,png} over the finished records.

    Args:
        records (List[dict]): the finished runs' records.
        work_dir (str): where the tables and the figure go.
    """
    order = {name: i for i, name in enumerate([RANDOM, 'joint', 'motion', 'nat'])}
    records = sorted(records, key=lambda r: (order[r['target']], r['contrast'], r['seed']))
    rows = summarize(records, ['target', 'contrast'],
                     ['linear_top1', 'knn_top1', 'pretrain_time_s'])
    for row in rows:
        row['label'] = 'Random encoder' if row['target'] == RANDOM else TARGETS[row['target']][1]
        row['seeds'] = ' '.join(str(r['seed']) for r in records
                                if (r['target'], r['contrast']) == (row['target'],
                                                                    row['contrast']))
    columns = [('label', 'Target'), ('contrast', 'Contrast'), ('n', 'Seeds (n)'),
               ('seeds', 'Seeds'), ('linear_top1_mean', 'Linear top-1 (%)'),
               ('linear_top1_std', 'std'), ('knn_top1_mean', 'k-NN top-1 (%)'),
               ('knn_top1_std', 'std'), ('pretrain_time_s_mean', 'Pretrain wall (s)')]
    write_table(rows, columns, osp.join(work_dir, 'results.md'),
                osp.join(work_dir, 'results.csv'),
                title='Reconstruction targets: linear probe and k-NN (mean ± sample std)')
    plot(rows, osp.join(work_dir, 'results.png'))


def plot(rows: List[Dict[str, Any]], path: str) -> None:
    """Grouped bars (target x contrast) of linear and k-NN top-1 with std error bars.

    Args:
        rows (List[dict]): the summary rows of :func:`report`.
        path (str): the PNG (written atomically).
    """
    import matplotlib.pyplot as plt

    from natmae_mm.evaluation.plotting import save_figure

    labels = list(dict.fromkeys(r['label'] for r in rows))
    contrasts = list(dict.fromkeys(r['contrast'] for r in rows))
    metrics = [('linear_top1', 'Linear probe top-1 (%)'), ('knn_top1', 'k-NN top-1 (%)')]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)

    def row(label, contrast):
        return next((r for r in rows if r['label'] == label and r['contrast'] == contrast), None)

    # bars of one target side by side, centred on its tick
    present = {label: [c for c in contrasts if row(label, c) is not None] for label in labels}
    width = 0.8 / max(len(p) for p in present.values())
    for ax, (metric, title) in zip(axes[0], metrics):
        for contrast in contrasts:
            xs, means, stds = [], [], []
            for i, label in enumerate(labels):
                r = row(label, contrast)
                if r is None or r[metric + '_mean'] is None:
                    continue
                j = present[label].index(contrast)
                xs.append(i + (j - (len(present[label]) - 1) / 2) * width)
                means.append(r[metric + '_mean'])
                stds.append(r[metric + '_std'] or 0.0)
            if xs:
                name = 'no pretraining' if contrast == '-' else f'contrast: {contrast}'
                ax.bar(xs, means, width, yerr=stds, capsize=3, label=name)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=15)
        ax.set_title(title)
        ax.set_ylabel('top-1 (%)')
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)


def compare(args: argparse.Namespace, logger: Any) -> str:
    """Run (or resume) the comparison of ``args``; return the path of results.md.

    Args:
        args (argparse.Namespace): the command line.
        logger (logging.Logger): progress.

    Returns:
        str: ``work_dir/results.md``.
    """
    import natmae_mm  # noqa: F401  (registers the modules)
    contrasts = _split(args.contrast, CONTRASTS, 'contrast')
    targets = _split(args.targets, list(TARGETS), 'targets')
    cfg = load_config(args.config, args.cfg_options)
    probe_path = resolve_probe_config(args, cfg)
    probe = load_config(probe_path, args.probe_cfg_options)
    if args.ann_file:
        set_ann_file(cfg, args.ann_file)
        set_ann_file(probe, args.ann_file)
    for c in contrasts:  # bad contrast settings fail now, not after a pretraining
        pretrain_config(cfg, targets[0], c)
    probe_config(probe, cfg, None)  # so do encoders of different shapes
    check_data(cfg, args.config)
    check_data(probe, probe_path)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    check_settings(work_dir, dict(
        config=osp.abspath(args.config), probe_config=osp.abspath(probe_path),
        cfg_options=args.cfg_options, probe_cfg_options=args.probe_cfg_options,
        ann_file=args.ann_file, knn_k=args.knn_k))

    runs = plan(args.seeds, contrasts, targets, not args.no_random)
    collect_records([run['run'] for run in runs], osp.join(work_dir, 'results'),
                    lambda i: execute(runs[i], work_dir, cfg, probe, args.knn_k, logger),
                    logger, after_each=lambda records: report(records, work_dir))
    return osp.join(work_dir, 'results.md')


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    return run_experiment(lambda: compare(args, get_logger()))


if __name__ == '__main__':
    cli_main(main)
