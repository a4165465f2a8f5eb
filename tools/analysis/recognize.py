"""Recognise the action of one skeleton sequence and print the top-5 classes.

    python tools/analysis/recognize.py S001C001P001R001A023.skeleton CONFIG CHECKPOINT
    python tools/analysis/recognize.py --ann data/ntu60/ntu60_3d.pkl --index 7 CONFIG CHECKPOINT

A raw NTU RGB+D ``.skeleton`` file is converted exactly like the dataset
converter does (``natmae_mm.datasets.converters.ntu``: denoising, two actors,
centring); an annotation pickle gives sample ``--index``. The sample goes
through the config's test pipeline and a recognizer (linear probe or
fine-tuned) scores it with ``mmaction.apis.inference_recognizer``. Annotation
pickles are read with the restricted unpickler (a downloaded file cannot run
code); bad input ends with one ``error:`` line. Class names come from
NTU-60/120 (or the synthetic demo classes for 16 or fewer outputs).
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Tuple

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmengine.config import DictAction  # noqa: E402

from natmae_mm.datasets.ntu_classes import class_names  # noqa: E402
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.compat import get_pred_score  # noqa: E402
from natmae_mm.utils.errors import InvalidIndexError, InvalidInputError  # noqa: E402
from natmae_mm.utils.safe_pickle import safe_pickle_load  # noqa: E402


def load_sample(skeleton: str = None, ann: str = None, index: int = None) -> Dict:
    """The annotation dict of a raw ``.skeleton`` file or of ``ann['annotations'][index]``."""
    if skeleton is not None:
        from natmae_mm.datasets.converters.ntu import convert_skeleton_file
        if not osp.isfile(skeleton):
            raise FileNotFoundError(f'skeleton file not found: {skeleton}')
        return convert_skeleton_file(skeleton)
    data = safe_pickle_load(ann, 'annotation file')
    annos = data.get('annotations') if isinstance(data, dict) else None
    if not isinstance(annos, list):
        raise InvalidInputError(f"{ann}: not an MMAction2 skeleton annotation file "
                                "(no 'annotations')")
    if not -len(annos) <= index < len(annos):
        raise InvalidIndexError(f'{ann}: --index {index} out of range (0..{len(annos) - 1})')
    return annos[index]


def recognize(cfg, model, sample: Dict, topk: int = 5) -> List[Tuple[int, float]]:
    """Top-k ``(class, probability)`` of ``sample`` under the config's test pipeline."""
    from mmaction.apis import inference_recognizer
    from mmengine.dataset import Compose
    pipeline_cfg = (cfg.get('test_dataloader') or cfg.get('val_dataloader'))['dataset']['pipeline']
    pipeline = Compose(list(pipeline_cfg))
    info = dict(sample)
    info.setdefault('total_frames', info['keypoint'].shape[1])
    info.setdefault('label', -1)
    info.update(modality='Pose', start_index=0)
    if info['label'] is None or info['label'] < 0:
        info['label'] = 0   # PackActionInputs needs one; it is not used for the prediction
    prob = get_pred_score(inference_recognizer(model, info, test_pipeline=pipeline)).float()
    if prob.min() < 0 or abs(float(prob.sum()) - 1) > 1e-3:
        prob = prob.softmax(0)
    top = prob.topk(min(topk, len(prob)))
    return [(int(i), float(p)) for p, i in zip(top.values, top.indices)]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Top-5 actions of one skeleton sequence')
    parser.add_argument('args', nargs='+', metavar='[SKELETON] CONFIG CHECKPOINT',
                        help='raw .skeleton file (unless --ann), recognizer config, checkpoint')
    parser.add_argument('--ann', help='annotation pickle to take the sample from')
    parser.add_argument('--index', type=int, help='sample index in --ann')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    want = 2 if args.ann else 3
    if len(args.args) != want:
        parser.error('usage: recognize.py RAW.skeleton CONFIG CHECKPOINT, or '
                     'recognize.py --ann ANN.pkl --index I CONFIG CHECKPOINT')
    if args.ann and args.index is None:
        parser.error('--ann needs --index')
    args.skeleton = None if args.ann else args.args[0]
    args.config, args.checkpoint = args.args[-2:]
    return args


def main(argv=None) -> List[Tuple[int, str, float]]:
    args = parse_args(argv)
    from natmae_mm.evaluation.builders import build_model_from_checkpoint
    from natmae_mm.utils.config import load_config
    cfg = load_config(args.config, args.cfg_options)
    sample = load_sample(args.skeleton, args.ann, args.index)  # cheap input first
    model = build_model_from_checkpoint(cfg, args.checkpoint)
    if not hasattr(model, 'cls_head'):
        raise SystemExit(f'error: {args.config} builds {type(model).__name__}; recognize.py '
                         'needs a recognizer config (linear probe or fine-tune) with a head')
    top = recognize(cfg, model, sample, args.topk)
    names = class_names(model.cls_head.num_classes)
    src = args.skeleton or f'{args.ann}[{args.index}]'
    truth = sample.get('label')
    print(f'{src} ({sample.get("frame_dir", "?")}, {sample["keypoint"].shape[1]} frames, '
          f'true label: {names[truth] if truth is not None and truth >= 0 else "unknown"})')
    rows = []
    for rank, (c, p) in enumerate(top, 1):
        print(f'  {rank}. {p * 100:6.2f}%  {c:3d}  {names[c]}')
        rows.append((c, names[c], p))
    return rows


if __name__ == '__main__':
    cli_main(main)
