"""Northwestern-UCLA (CTR-GCN JSON release) -> MMAction2 annotations.

One JSON per sequence ``aAA_sSS_eEE_vVV.json`` = ``{"file_name", "skeletons":
T x 20 x 3, "label": 1..10}`` (Kinect v1, 20 joints). Output: one person
(1, T, 20, 3), label 0-based, translated so that the hip centre (joint 0) of
the first frame is the origin. Cross-view split: views 1 and 2 train
(``xview_train``), view 3 tests (``xview_val``).
"""
import json
import os
import re
from typing import Dict, List

import numpy as np

from .io import ConversionError, check_finite, make_annotation

NAME_RE = re.compile(r'^a(\d{2})_s(\d{2})_e(\d{2})_v(\d{2})$')
TRAIN_VIEWS = (1, 2)


def convert_json(path: str) -> Dict:
    """One sequence file -> annotation (raises ConversionError)."""
    name = os.path.splitext(os.path.basename(path))[0]
    if not NAME_RE.match(name):
        raise ConversionError(f'file name {name!r} is not of the form aAA_sSS_eEE_vVV')
    try:
        with open(path) as f:
            data = json.load(f)
    except json.JSONDecodeError as exc:
        raise ConversionError(f'invalid JSON: {exc.msg}', exc.lineno) from None
    if not isinstance(data, dict) or 'skeletons' not in data or 'label' not in data:
        raise ConversionError('expected an object with "skeletons" and "label"')
    try:
        skel = np.asarray(data['skeletons'], dtype=np.float64)
    except (TypeError, ValueError):
        raise ConversionError('"skeletons" is not a numeric T x 20 x 3 array') from None
    if skel.ndim != 3 or skel.shape[1:] != (20, 3):
        raise ConversionError(f'"skeletons" has shape {skel.shape}, expected (T, 20, 3)')
    if skel.shape[0] == 0:
        raise ConversionError('empty sequence (0 frames)')
    check_finite(skel, '"skeletons"')
    label = data['label']
    if not isinstance(label, int) or not 1 <= label <= 10:
        raise ConversionError(f'"label" is {label!r}, expected an integer in 1..10')
    kp = (skel - skel[0, 0])[None]  # (1, T, 20, 3)
    return make_annotation(name, label - 1, kp)


def xview_splits(names: List[str]) -> Dict[str, List[str]]:
    """Views 1-2 train, view 3 validation."""
    views = {n: int(NAME_RE.match(n).group(4)) for n in names}
    return dict(xview_train=[n for n in names if views[n] in TRAIN_VIEWS],
                xview_val=[n for n in names if views[n] not in TRAIN_VIEWS])
