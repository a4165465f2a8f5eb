"""Write a synthetic NTU-style skeleton-action annotation file (demo and tests).

Example::

    python tools/data/make_synthetic.py data/synthetic/synthetic.pkl --per-class 40 --seed 0

See :mod:`natmae_mm.datasets.synthetic` for what the classes and variations are.
"""
import argparse
import math
import time

from natmae_mm.utils.cli import cli_main
from natmae_mm.datasets.synthetic import ACTIONS, make_synthetic_dataset, save_annotation


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='output annotation pickle (written atomically)')
    parser.add_argument('--num-classes', type=int, default=len(ACTIONS),
                        help=f'number of classes, the first N of {len(ACTIONS)}')
    parser.add_argument('--per-class', type=int, default=40, help='samples per class')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-performers', type=int, default=10,
                        help='performers; the first 60%% form xsub_train')
    parser.add_argument('--min-frames', type=int, default=40)
    parser.add_argument('--max-frames', type=int, default=100)
    parser.add_argument('--noise-std', type=float, default=0.01, help='sensor noise (m)')
    parser.add_argument('--max-view', type=float, default=math.pi / 3,
                        help='camera yaw range +- (rad)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.time()
    data = make_synthetic_dataset(
        num_classes=args.num_classes, per_class=args.per_class, seed=args.seed,
        num_performers=args.num_performers, min_frames=args.min_frames,
        max_frames=args.max_frames, noise_std=args.noise_std, max_view=args.max_view)
    save_annotation(data, args.out)
    sizes = ', '.join(f'{k}: {len(v)}' for k, v in data['split'].items())
    print(f'wrote {args.out}: {len(data["annotations"])} sequences, {args.num_classes} classes '
          f'({sizes}) in {time.time() - start:.1f}s')


if __name__ == '__main__':
    cli_main(main)
