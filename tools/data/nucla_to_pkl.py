"""Convert Northwestern-UCLA JSON sequences (CTR-GCN release) into an MMAction2 annotation.

Example::

    python tools/data/nucla_to_pkl.py data/NW-UCLA/all_sqe data/nucla/nucla_3d.pkl --workers 2

Rules: :mod:`natmae_mm.datasets.converters.nucla` (cross-view: views 1-2 train, 3 val).
"""
import argparse
import os
import sys

from natmae_mm.utils.cli import cli_main
from natmae_mm.datasets.converters.io import convert_files, write_annotation_file
from natmae_mm.datasets.converters.nucla import convert_json, xview_splits


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('json_dir', help='folder of aAA_sSS_eEE_vVV.json files')
    parser.add_argument('out', metavar='OUT.pkl', help='annotation file to write')
    parser.add_argument('--workers', type=int, default=1, help='worker processes')
    args = parser.parse_args(argv)
    if not os.path.isdir(args.json_dir):
        raise SystemExit(f'error: directory not found: {args.json_dir}')
    paths = sorted(os.path.join(args.json_dir, f) for f in os.listdir(args.json_dir)
                   if f.endswith('.json'))
    if not paths:
        raise SystemExit(f'error: no .json files in {args.json_dir}')
    annotations, report = convert_files(convert_json, paths, args.workers)
    print()
    write_annotation_file(annotations, xview_splits([a['frame_dir'] for a in annotations]),
                          args.out)
    print(report.summary())
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    cli_main(main)
