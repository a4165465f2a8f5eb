"""CTR-GCN / MAMP ``.npz`` files (e.g. ``NTU60_CS.npz``) -> MMAction2 annotations.

The file holds ``x_train`` / ``x_test`` (N, 300, 150) with 150 = 2 persons x
25 joints x 3 and one-hot ``y_train`` / ``y_test``. Per sample:

* zero-padding at the end is stripped: frames after the last frame with any
  non-zero value;
* the second person is dropped when it is all-zero, or when it is an exact copy
  of the first (CTR-GCN's ``align_frames`` stores a one-actor sample with the
  actor duplicated). ``keep_second_person=True`` keeps both persons as stored.

MAMP's feeder sees CTR-GCN's duplicates; with the default conversion,
``FormatGCNInput(num_person=2, mode='loop')`` gives the same tensor for one-actor
samples, but a sample whose second slot was empty then gets a copy instead of
zeros. Use ``keep_second_person=True`` to feed exactly the stored persons.
Samples are named ``train_{i}`` / ``test_{i}`` (MAMP's names).
"""
from typing import Dict, List, Tuple

import numpy as np

from .io import ConversionError, check_finite, make_annotation


def sample_from_row(row: np.ndarray, keep_second_person: bool = False) -> np.ndarray:
    """(300, 150) -> (M, T, 25, 3) float32 with padding stripped (see module doc)."""
    kp = row.reshape(row.shape[0], 2, 25, 3).transpose(1, 0, 2, 3)  # (2, T, V, C)
    nonzero = np.flatnonzero(kp.any(axis=(0, 2, 3)))
    if len(nonzero) == 0:
        raise ConversionError('all-zero sample')
    kp = kp[:, :nonzero[-1] + 1]
    if not keep_second_person and (not kp[1].any() or np.array_equal(kp[0], kp[1])):
        kp = kp[:1]
    return np.ascontiguousarray(kp, dtype=np.float32)


def convert_npz(path: str, benchmark: str,
                keep_second_person: bool = False) -> Tuple[List[Dict], Dict, List[tuple]]:
    """Returns ``(annotations, splits, problems)``; problems are ``(name, reason)``."""
    try:
        data = np.load(path)
    except (OSError, ValueError) as exc:
        raise SystemExit(f'error: cannot read {path}: {exc}') from None
    annos, problems, splits = [], [], {}
    for part, split in (('train', f'{benchmark}_train'), ('test', f'{benchmark}_val')):
        for key in (f'x_{part}', f'y_{part}'):
            if key not in data:
                raise SystemExit(f'error: {path} has no {key!r} (keys: {sorted(data.files)})')
        x, y = data[f'x_{part}'], data[f'y_{part}']
        if x.ndim != 3 or x.shape[2] != 150 or y.ndim != 2 or len(y) != len(x):
            raise SystemExit(f'error: {path}: x_{part} {x.shape} / y_{part} {y.shape} are not '
                             '(N, T, 150) / (N, num_classes)')
        splits[split] = []
        for i in range(len(x)):
            name = f'{part}_{i}'
            try:
                hot = np.flatnonzero(y[i] > 0)
                if len(hot) != 1:
                    raise ConversionError(f'y_{part}[{i}] is not one-hot')
                check_finite(x[i], f'x_{part}[{i}]')
                kp = sample_from_row(x[i], keep_second_person)
            except ConversionError as exc:
                problems.append((name, exc.reason))
                continue
            annos.append(make_annotation(name, int(hot[0]), kp))
            splits[split].append(name)
    return annos, splits, problems
