"""t-SNE of frozen features coloured by class (the paper's Figure 3).

    python tools/analysis/tsne.py CONFIG CHECKPOINT --out fig.png [--classes 10]

Features as in ``knn_eval.py`` (pretraining or recognizer checkpoints; ``none``
for random initialisation), of the samples of the first ``--classes`` classes
of ``--split``. sklearn's TSNE, matplotlib's Agg backend; the PNG is written
atomically.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import numpy as np  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from natmae_mm.datasets.ntu_classes import class_names  # noqa: E402
from natmae_mm.evaluation.builders import (  # noqa: E402
    build_feature_dataloader,
    build_model_from_checkpoint,
)
from natmae_mm.evaluation.features import extract_features  # noqa: E402
from natmae_mm.evaluation.plotting import plot_tsne, tsne_embed  # noqa: E402
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.config import load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='t-SNE of frozen features')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="checkpoint, or 'none' for random initialisation")
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--classes', type=int, default=10,
                        help='plot the samples of the first N classes (paper: 10)')
    parser.add_argument('--split', default='xsub_val')
    parser.add_argument('--max-per-class', type=int, default=100)
    parser.add_argument('--perplexity', type=float, default=30.)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--ann-file', help='override the annotation file of the config')
    parser.add_argument('--title', default=None)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    if args.classes < 1:
        raise SystemExit(f'error: --classes must be >= 1, got {args.classes}')
    cfg = load_config(args.config, args.cfg_options)
    ckpt = None if args.checkpoint.lower() == 'none' else args.checkpoint
    model = build_model_from_checkpoint(cfg, ckpt, strict=False)
    loader = build_feature_dataloader(cfg, args.split, ann_file=args.ann_file)
    feats, labels = extract_features(model, loader)
    feats, labels = feats.numpy(), labels.numpy()
    keep = np.zeros(len(labels), bool)
    for c in range(args.classes):
        keep[np.flatnonzero(labels == c)[:args.max_per_class]] = True
    if not keep.any():
        raise SystemExit(f'error: no sample of classes 0..{args.classes - 1} in {args.split}')
    emb = tsne_embed(feats[keep], args.seed, args.perplexity)
    num_classes = int(labels.max()) + 1
    names = class_names(max(num_classes, cfg.model.get('cls_head', {}).get('num_classes', 0)))
    title = args.title if args.title is not None else \
        f'{osp.basename(args.checkpoint)} ({args.split}, {int(keep.sum())} samples)'
    plot_tsne(emb, labels[keep], args.out, names, title)
    print(f't-SNE of {int(keep.sum())} samples ({args.classes} classes) -> {args.out}')
    return args.out


if __name__ == '__main__':
    cli_main(main)
