"""Confusion matrix of a recognizer, as a PNG (and optionally a .npy).

From a prediction dump of ``tools/test.py --dump preds.pkl``::

    python tools/analysis/confusion_matrix.py --pred preds.pkl --out cm.png

or by running the recognizer on the config's test split::

    python tools/analysis/confusion_matrix.py CONFIG CHECKPOINT --out cm.png

Rows are true classes, columns predictions; ``--normalize`` divides each row
by its count. Dumps of MMAction2 1.1 (``pred_scores.item`` / ``gt_labels.item``)
and 1.2 (``pred_score`` / ``gt_label``) are both read (through
:mod:`natmae_mm.utils.compat`), with the restricted unpickler: a dump that
would run code is refused. Bad input ends with one ``error:`` line.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Tuple

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from natmae_mm.datasets.ntu_classes import class_names  # noqa: E402
from natmae_mm.evaluation.plotting import plot_confusion  # noqa: E402
from natmae_mm.evaluation.predictions import read_dump  # noqa: E402
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.compat import get_labels, get_pred_score  # noqa: E402


def confusion(pred: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) counts: entry (t, p) = samples of true class t predicted as p."""
    cm = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(cm, (labels, pred), 1)
    return cm


def predict(config: str, checkpoint: str, split: Optional[str], cfg_options=None,
            ann_file: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Scores and labels of a recognizer on ``split`` (default: the config's test split)."""
    from natmae_mm.evaluation.builders import (
        build_feature_dataloader,
        build_model_from_checkpoint,
    )
    from natmae_mm.utils.config import load_config
    cfg = load_config(config, cfg_options)
    model = build_model_from_checkpoint(cfg, checkpoint)
    if not hasattr(model, 'cls_head'):
        raise SystemExit(f'error: {config} builds {type(model).__name__}, not a recognizer '
                         'with a classification head')
    split = split or cfg.test_dataloader.dataset.get('split')
    loader = build_feature_dataloader(cfg, split, ann_file=ann_file)
    scores, labels = [], []
    with torch.no_grad():
        for data in loader:
            out = model.test_step(data)
            labels.append(get_labels(out))
            scores.extend(get_pred_score(s) for s in out)
    return torch.stack(scores).float().numpy(), torch.cat(labels).numpy()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Confusion matrix PNG of a recognizer')
    parser.add_argument('config', nargs='?', help='recognizer config (without --pred)')
    parser.add_argument('checkpoint', nargs='?', help='recognizer checkpoint (without --pred)')
    parser.add_argument('--pred', help='prediction dump of tools/test.py --dump')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--normalize', action='store_true', help='row-normalise')
    parser.add_argument('--num-classes', type=int, help='default: from the scores')
    parser.add_argument('--split', help='split to predict (default: the test split)')
    parser.add_argument('--ann-file', help='override the annotation file of the config')
    parser.add_argument('--save-npy', action='store_true', help='also write OUT.npy counts')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if (args.pred is None) == (args.config is None or args.checkpoint is None):
        parser.error('give either --pred PRED.pkl or CONFIG CHECKPOINT')
    return args


def main(argv=None) -> np.ndarray:
    args = parse_args(argv)
    if args.pred:
        scores, labels = read_dump(args.pred)
    else:
        scores, labels = predict(args.config, args.checkpoint, args.split, args.cfg_options,
                                 args.ann_file)
    K = args.num_classes or scores.shape[1]
    if labels.max() >= K:
        raise SystemExit(f'error: label {labels.max()} >= number of classes {K}')
    cm = confusion(scores.argmax(1), labels, K)
    acc = np.trace(cm) / cm.sum() * 100
    src = args.pred or args.checkpoint
    plot_confusion(cm, args.out, class_names(K), args.normalize,
                   f'{osp.basename(src)}: top-1 {acc:.2f}% ({cm.sum()} samples)')
    if args.save_npy:
        np.save(osp.splitext(args.out)[0] + '.npy', cm)
    print(f'confusion matrix of {cm.sum()} samples, {K} classes, top-1 {acc:.2f}% '
          f'-> {args.out}')
    return cm


if __name__ == '__main__':
    cli_main(main)
