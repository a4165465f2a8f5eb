"""Convert a CTR-GCN / MAMP ``.npz`` (e.g. NTU60_CS.npz) into an MMAction2 skeleton annotation.

Example::

    python tools/data/npz_to_pkl.py data/NTU60_CS.npz data/ntu60_xsub_from_npz.pkl --benchmark xsub

Rules (padding, second person): :mod:`natmae_mm.datasets.converters.npz`.
"""
import argparse
import os
import sys

from natmae_mm.utils.cli import cli_main
from natmae_mm.datasets.converters.io import ConversionReport, Problem, write_annotation_file
from natmae_mm.datasets.converters.npz import convert_npz


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('npz', help='input .npz with x_train, y_train, x_test, y_test')
    parser.add_argument('out', metavar='OUT.pkl', help='annotation file to write')
    parser.add_argument('--benchmark', required=True, choices=['xsub', 'xview', 'xset'],
                        help='split names written: <benchmark>_train / <benchmark>_val')
    parser.add_argument('--keep-second-person', action='store_true',
                        help='keep an all-zero or duplicated second person as stored')
    args = parser.parse_args(argv)
    if not os.path.isfile(args.npz):
        raise SystemExit(f'error: file not found: {args.npz}')
    annotations, splits, problems = convert_npz(args.npz, args.benchmark,
                                                args.keep_second_person)
    report = ConversionReport(errors=[Problem(f'{args.npz}[{n}]', r) for n, r in problems],
                              converted=len(annotations))
    write_annotation_file(annotations, splits, args.out)
    print(report.summary())
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    cli_main(main)
