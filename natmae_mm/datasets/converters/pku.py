"""PKU-MMD (phase I / II) continuous skeleton files -> trimmed action clips.

* Skeleton file ``NNNN-V.txt``: one frame per line, 150 numbers = 2 bodies x
  25 joints x (x, y, z) (Kinect v2, NTU joint order); a missing body is zeros.
* Label file (same name): one action per line ``label,start,end[,confidence]``,
  ``label`` 1-based (phase I: 1..51, phase II: 1..41) and stored 0-based.
* Frame convention: by default an action is the Python slice ``[start, end)``
  of the 0-based frame rows, exactly what MAMP's ``pku_gendata.py`` cuts
  (so our clips equal the clips behind MAMP's numbers); ``one_based_inclusive``
  reads ``[start, end]`` as 1-based inclusive frame numbers (rows
  ``start-1 .. end-1``), the reading of the dataset paper. A label pointing
  past the end of the skeleton file, or an empty interval, is an error.
* Bodies: both are kept; a body that is zero over the whole clip is dropped
  (a clip whose bodies are all zero is skipped, as MAMP does).
* Centring (like NTU; MAMP itself does not centre PKU-MMD): the spine-mid joint
  (index 1) of the first body in its first non-zero frame becomes the origin;
  frames where a body is missing stay zero. ``centre=False`` keeps raw coordinates.
* Sample names: ``{video}_{k}`` with ``k`` the 0-based line of the action in the
  label file (MAMP's naming).
"""
import os
import re
from typing import Dict, List, Set

import numpy as np

from .io import Batch, ConversionError, Problem, make_annotation

NUM_CLASSES = {1: 51, 2: 41}


def read_skeleton_rows(path: str) -> np.ndarray:
    """(T, 150) float32 rows of a PKU-MMD skeleton file, validated line by line."""
    try:
        with open(path, encoding='ascii') as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as exc:
        raise ConversionError(f'not a text file ({exc.reason})') from None
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ConversionError('empty skeleton file', 1)
    rows = []
    for i, line in enumerate(lines):
        fields = line.split()
        if len(fields) != 150:
            raise ConversionError(f'frame line has {len(fields)} values, expected 150', i + 1)
        try:
            row = np.array(fields, dtype=np.float64)
        except ValueError:
            raise ConversionError('non-numeric value in frame line', i + 1) from None
        if not np.isfinite(row).all():
            raise ConversionError('non-finite value (NaN/inf) in frame line', i + 1)
        rows.append(row)
    return np.stack(rows).astype(np.float32)


def read_labels(path: str, num_classes: int) -> List[tuple]:
    """``[(line, label0, start, end)]`` from a label file (1-based ``line``)."""
    out = []
    with open(path, encoding='ascii') as f:
        for i, line in enumerate(f.read().splitlines()):
            if not line.strip():
                continue
            fields = [v.strip() for v in line.split(',')]
            if len(fields) < 3:
                raise ConversionError(f'expected label,start,end[,confidence], got {line!r}',
                                      i + 1)
            try:
                label, start, end = (int(float(v)) for v in fields[:3])
            except ValueError:
                raise ConversionError(f'non-numeric field in {line!r}', i + 1) from None
            if not 1 <= label <= num_classes:
                raise ConversionError(f'label {label} outside 1..{num_classes}', i + 1)
            out.append((i + 1, label - 1, start, end))
    return out


def centre(keypoint: np.ndarray) -> np.ndarray:
    """Translate (M, T, V, 3) so body 0's joint 1 in its first non-zero frame is the origin."""
    present = np.flatnonzero(keypoint[0].any(axis=(1, 2)))
    origin = keypoint[0, present[0], 1].copy()
    missing = ~keypoint.any(axis=(2, 3))  # (M, T)
    out = keypoint - origin
    out[missing] = 0
    return out


def cut_actions(skeleton_path: str, label_dir: str, phase: int,
                one_based_inclusive: bool = False, do_centre: bool = True) -> Batch:
    """All labelled clips of one video (label file: same name in ``label_dir``).

    Returns:
        Batch: the clips, plus the actions that could not be cut (errors) or
        were all-zero (skipped); the rest of the video is still used.
    """
    video = os.path.splitext(os.path.basename(skeleton_path))[0]
    label_path = os.path.join(label_dir, os.path.basename(skeleton_path))
    if not os.path.isfile(label_path):
        raise ConversionError(f'no label file {label_path}')
    rows = read_skeleton_rows(skeleton_path)
    try:
        labels = read_labels(label_path, NUM_CLASSES[phase])
    except ConversionError as exc:
        return Batch(errors=[Problem(label_path, exc.reason, exc.line)])
    batch = Batch()
    for k, (line, label, start, end) in enumerate(labels):
        lo, hi = (start - 1, end) if one_based_inclusive else (start, end)
        if lo < 0 or hi <= lo:
            batch.errors.append(Problem(label_path, f'empty or negative interval '
                                        f'[{start}, {end}]', line))
            continue
        if hi > len(rows):
            batch.errors.append(Problem(label_path, f'interval [{start}, {end}] points past '
                                        f'the end of {os.path.basename(skeleton_path)} '
                                        f'({len(rows)} frames)', line))
            continue
        clip = rows[lo:hi].reshape(hi - lo, 2, 25, 3).transpose(1, 0, 2, 3)  # (M, T, V, C)
        clip = clip[clip.any(axis=(1, 2, 3))]
        if len(clip) == 0:
            batch.skipped.append(Problem(label_path, 'all-zero clip', line))
            continue
        batch.annotations.append(
            make_annotation(f'{video}_{k}', label, centre(clip) if do_centre else clip))
    return batch


_NAME = re.compile(r'\d{4}-[LMR]')


def read_split_file(path: str) -> Dict[str, Set[str]]:
    """Official split file -> ``{'train': videos, 'val': videos}``.

    The file has a header line containing ``train`` followed by comma-separated
    video names, then a header containing ``val`` or ``test`` and its names.
    """
    if not os.path.isfile(path):
        raise SystemExit(f'error: split file not found: {path}')
    sections: Dict[str, Set[str]] = dict(train=set(), val=set())
    current = None
    with open(path) as f:
        for i, line in enumerate(f.read().splitlines()):
            low = line.lower()
            names = _NAME.findall(line)
            if not names and ('train' in low):
                current = 'train'
            elif not names and ('val' in low or 'test' in low):
                current = 'val'
            elif names:
                if current is None:
                    raise SystemExit(f'error: {path}:{i + 1}: video names before a '
                                     'training/validation header')
                sections[current].update(names)
    if not sections['train'] or not sections['val']:
        raise SystemExit(f'error: {path}: needs both a training and a validation list')
    return sections
