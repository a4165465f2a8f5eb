"""Cut PKU-MMD phase I/II skeleton videos into labelled action clips (MMAction2 annotation).

Example::

    python tools/data/pku_raw_to_pkl.py --skeleton-dir pku/v1/skeleton --label-dir pku/v1/label \
        --xsub-split-file pku/v1/cross-subject.txt --xview-split-file pku/v1/cross-view.txt \
        --phase 1 data/pku1/pku1_3d.pkl

Rules (frame convention, bodies, centring): :mod:`natmae_mm.datasets.converters.pku`.
"""
import argparse
import os
import sys
from functools import partial

from natmae_mm.utils.cli import cli_main
from natmae_mm.datasets.converters.io import convert_files, write_annotation_file
from natmae_mm.datasets.converters.pku import cut_actions, read_split_file


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', metavar='OUT.pkl', help='annotation file to write')
    parser.add_argument('--skeleton-dir', required=True, help='folder of NNNN-V.txt skeletons')
    parser.add_argument('--label-dir', required=True, help='folder of NNNN-V.txt label files')
    parser.add_argument('--xsub-split-file', help='official cross-subject split file')
    parser.add_argument('--xview-split-file', help='official cross-view split file')
    parser.add_argument('--phase', type=int, choices=[1, 2], required=True,
                        help='PKU-MMD phase (1: 51 classes, 2: 41 classes)')
    parser.add_argument('--one-based-inclusive', action='store_true',
                        help='read start,end as 1-based inclusive frame numbers instead of '
                             "MAMP's 0-based [start, end) slice")
    parser.add_argument('--no-centre', action='store_true',
                        help="keep camera coordinates (MAMP's PKU data is not centred)")
    parser.add_argument('--workers', type=int, default=1, help='worker processes')
    args = parser.parse_args(argv)

    for d in (args.skeleton_dir, args.label_dir):
        if not os.path.isdir(d):
            raise SystemExit(f'error: directory not found: {d}')
    if not (args.xsub_split_file or args.xview_split_file):
        raise SystemExit('error: give --xsub-split-file and/or --xview-split-file')
    split_files = dict(xsub=args.xsub_split_file, xview=args.xview_split_file)
    sections = {k: read_split_file(v) for k, v in split_files.items() if v}
    videos = sorted(f for f in os.listdir(args.skeleton_dir) if f.endswith('.txt'))
    if not videos:
        raise SystemExit(f'error: no .txt skeleton files in {args.skeleton_dir}')
    func = partial(cut_actions, label_dir=args.label_dir, phase=args.phase,
                   one_based_inclusive=args.one_based_inclusive, do_centre=not args.no_centre)
    annotations, report = convert_files(func, [os.path.join(args.skeleton_dir, v)
                                               for v in videos], args.workers)
    print()
    splits = {}
    for key, sec in sections.items():
        for part, name in (('train', f'{key}_train'), ('val', f'{key}_val')):
            splits[name] = [a['frame_dir'] for a in annotations
                            if a['frame_dir'].rsplit('_', 1)[0] in sec[part]]
    write_annotation_file(annotations, splits, args.out)
    print(report.summary())
    print(f'wrote {args.out}: {len(annotations)} clips, splits '
          + ', '.join(f'{k}={len(v)}' for k, v in splits.items()))
    return 0


if __name__ == '__main__':
    cli_main(main)
