"""Convert NTU RGB+D 60/120 ``.skeleton`` files into an MMAction2 skeleton annotation.

Example::

    python tools/data/ntu_raw_to_pkl.py data/nturgb+d_skeletons data/ntu60/ntu60_3d.pkl \
        --dataset ntu60 --ignore data/NTU_RGBD_samples_with_missing_skeletons.txt --workers 2

The preprocessing rules (SGN / CTR-GCN / MAMP) are documented in
:mod:`natmae_mm.datasets.converters.ntu` and docs/data.md.
"""
import argparse
import os
import sys
from typing import List

from natmae_mm.utils.cli import cli_main
from natmae_mm.datasets.converters.io import (
    ConversionReport,
    Problem,
    convert_files,
    write_annotation_file,
)
from natmae_mm.datasets.converters.ntu import (
    NAME_RE,
    belongs_to,
    convert_skeleton_file,
    official_splits,
)


def find_skeleton_files(raw_dirs: List[str]) -> List[str]:
    """All ``*.skeleton`` files below the given directories, sorted by sample name."""
    paths = []
    for raw_dir in raw_dirs:
        if not os.path.isdir(raw_dir):
            raise SystemExit(f'error: raw directory not found: {raw_dir}')
        for root, _, files in os.walk(raw_dir):
            paths += [os.path.join(root, f) for f in files if f.endswith('.skeleton')]
    return sorted(paths, key=os.path.basename)


def read_ignore_list(path: str) -> set:
    """Sample names, one per line (``.skeleton`` suffix, blanks and ``#`` comments allowed)."""
    if not os.path.isfile(path):
        raise SystemExit(f'error: ignore list not found: {path}')
    with open(path) as f:
        names = (line.split('#')[0].strip() for line in f)
        return {n.split('.')[0] for n in names if n}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('raw_dirs', nargs='+', metavar='RAW_DIR',
                        help='folder(s) holding the .skeleton files (searched recursively)')
    parser.add_argument('out', metavar='OUT.pkl', help='annotation file to write')
    parser.add_argument('--dataset', choices=['ntu60', 'ntu120'], required=True)
    parser.add_argument('--ignore', help='official list of samples with missing skeletons')
    parser.add_argument('--workers', type=int, default=1, help='worker processes')
    args = parser.parse_args(argv)

    paths = find_skeleton_files(args.raw_dirs)
    ignore = read_ignore_list(args.ignore) if args.ignore else set()
    report = ConversionReport()
    selected, num_ignored = [], 0
    for p in paths:
        name = os.path.basename(p).split('.')[0]
        if not NAME_RE.match(name):
            report.errors.append(Problem(p, 'file name is not SsssCcccPpppRrrrAaaa'))
        elif name in ignore:
            num_ignored += 1
        elif belongs_to(name, args.dataset):
            selected.append(p)
    if not selected:
        raise SystemExit(f'error: no {args.dataset} .skeleton files in {args.raw_dirs}')
    print(f'{len(selected)} {args.dataset} files ({num_ignored} ignored by --ignore)')
    annotations, report = convert_files(convert_skeleton_file, selected, args.workers, report)
    print()
    names = [a['frame_dir'] for a in annotations]
    write_annotation_file(annotations, official_splits(names, args.dataset), args.out)
    print(report.summary())
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    cli_main(main)
