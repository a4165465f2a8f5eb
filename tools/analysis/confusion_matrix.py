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
from typing import List, Optional, Sequence, Tuple

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from natmae_mm.datasets.ntu_classes import class_names  # noqa: E402
from natmae_mm.evaluation.plotting import save_figure  # noqa: E402
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.compat import get_label, get_labels, get_pred_score  # noqa: E402
from natmae_mm.utils.errors import InvalidInputError  # noqa: E402
from natmae_mm.utils.safe_pickle import safe_pickle_load  # noqa: E402


def _read(get, result, path: str, i: int) -> torch.Tensor:
    try:
        return get(result).reshape(-1)
    except KeyError as exc:
        raise InvalidInputError(f'{path}: result {i}: {exc.args[0]}; was it written by '
                                'tools/test.py --dump?') from None


def read_dump(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """(scores (N, K), labels (N,)) from a ``DumpResults`` pickle (restricted unpickler)."""
    results = safe_pickle_load(path, 'prediction dump')
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise InvalidInputError(f'{path}: expected a non-empty list of result dicts, '
                                f'got {type(results).__name__}')
    scores = [_read(get_pred_score, r, path, i) for i, r in enumerate(results)]
    labels = [_read(get_label, r, path, i)[0] for i, r in enumerate(results)]
    return torch.stack(scores).float().numpy(), torch.stack(labels).long().numpy()


def confusion(pred: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) counts: entry (t, p) = samples of true class t predicted as p."""
    cm = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(cm, (labels, pred), 1)
    return cm


def plot_confusion(cm: np.ndarray, out: str, names: Optional[Sequence[str]] = None,
                   normalize: bool = False, title: str = '') -> None:
    """Draw ``cm`` (rows true, columns predicted) and save it atomically as PNG."""
    data = cm / np.maximum(cm.sum(1, keepdims=True), 1) if normalize else cm
    K = len(cm)
    size = max(5, min(0.35 * K + 2, 30))
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(data, cmap='Blues', vmin=0)
    fig.colorbar(im, ax=ax, fraction=0.046)
    ticks = list(range(K))
    labels: List[str] = list(names[:K]) if names is not None else [str(i) for i in ticks]
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    fs = 7 if K <= 30 else 4
    ax.set_xticklabels(labels, rotation=90, fontsize=fs)
    ax.set_yticklabels(labels, fontsize=fs)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    if K <= 20:
        for t in range(K):
            for p in range(K):
                if cm[t, p]:
                    txt = f'{data[t, p]:.2f}' if normalize else str(cm[t, p])
                    ax.text(p, t, txt, ha='center', va='center', fontsize=6,
                            color='white' if data[t, p] > data.max() / 2 else 'black')
    ax.set_title(title)
    save_figure(fig, out)


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
