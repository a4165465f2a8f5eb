"""Weighted k-NN accuracy (DINO) of frozen features: train split -> val split.

    python tools/analysis/knn_eval.py CONFIG CHECKPOINT [--k 20] [--temperature 0.07]

CONFIG is a pretraining config (features: ``NATMAE.extract_feat``) or a
recognizer config (features: the backbone output pooled over persons, time and
joints); samples go through the config's test pipeline. CHECKPOINT ``none``
evaluates the randomly initialised model (a baseline).
"""
import argparse
import json
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmengine.config import DictAction  # noqa: E402

from natmae_mm.evaluation.builders import (  # noqa: E402
    build_feature_dataloader,
    build_model_from_checkpoint,
)
from natmae_mm.evaluation.features import extract_features  # noqa: E402
from natmae_mm.evaluation.knn import knn_accuracy  # noqa: E402
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.config import load_config  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='k-NN evaluation of frozen features')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="checkpoint, or 'none' for random initialisation")
    parser.add_argument('--k', type=int, default=20, help='neighbours (DINO: 20)')
    parser.add_argument('--temperature', type=float, default=0.07)
    parser.add_argument('--train-split', default='xsub_train')
    parser.add_argument('--val-split', default='xsub_val')
    parser.add_argument('--ann-file', help='override the annotation file of the config')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--out', help='also write the result to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    ckpt = None if args.checkpoint.lower() == 'none' else args.checkpoint
    model = build_model_from_checkpoint(cfg, ckpt, strict=False)
    start = time.time()
    loaders = [build_feature_dataloader(cfg, split, batch_size=args.batch_size,
                                        ann_file=args.ann_file)
               for split in (args.train_split, args.val_split)]
    bank, bank_labels = extract_features(model, loaders[0])
    query, query_labels = extract_features(model, loaders[1])
    acc = knn_accuracy(bank, bank_labels, query, query_labels, k=args.k,
                       temperature=args.temperature)
    result = dict(acc, k=args.k, temperature=args.temperature, num_train=len(bank),
                  num_val=len(query), checkpoint=args.checkpoint)
    print(f'k-NN (k={args.k}, T={args.temperature}) {args.train_split} -> {args.val_split} '
          f'({len(bank)} -> {len(query)} samples, {time.time() - start:.0f}s): '
          f'top1 {acc["top1"]:.2f}  top5 {acc["top5"]:.2f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    cli_main(main)
