"""NTU RGB+D 60/120 ``.skeleton`` files -> MMAction2 annotations (SGN/CTR-GCN/MAMP rules).

Reproduces the preprocessing behind MAMP's numbers (SGN's ``get_raw_skes_data``,
``get_raw_denoised_data`` and ``seq_transformation``, as shipped by CTR-GCN and
MAMP), so that for the same raw file the keypoints equal theirs before their
300-frame padding:

1. Parsing: frames with no body are dropped. Bodies are tracked by ``bodyID``;
   a body's frame interval starts at the (dropped-frames-compacted) index of
   its first frame and grows by one per appearance (their bookkeeping: a body
   that vanishes and reappears is stored contiguously).
2. Denoising (only when the file has several bodies):
   a. length: drop bodies seen in <= 11 frames;
   b. spread: a frame of a body is noisy when ``xrange > 0.8 * yrange`` of its
      25 joints; a body whose noisy-frame ratio is >= 0.69754 is dropped
      (bodies are visited in order of first appearance and at least one body is
      always kept); otherwise its motion becomes ``min(motion, motion over
      its non-noisy frames)``, motion = sum over x, y, z of the variance of
      all its joint positions;
   c. the remaining bodies are ordered by motion, largest first (ties keep the
      order of first appearance). The motion-threshold filter of the original
      code is disabled there and is not applied here either.
3. Actors: with one body left the sample has one actor (M=1). Otherwise actor 1
   is the body with the largest motion; each further body goes to actor 1 if its
   interval does not overlap actor 1's (``min(end) - max(start) <= 0``), else to
   actor 2 if it does not overlap actor 2's (whose interval starts as [0, 0]
   and whose start never moves, as in the original), else it is dropped; M=2
   even if actor 2 stays empty.
4. Frames where all stored coordinates sum to zero are removed.
5. Translation: the spine-mid joint (index 1, "joint 2") of actor 1 in its
   first non-zero frame becomes the origin for both actors; frames where an
   actor is missing (its coordinates sum to zero) stay all-zero.

Note: CTR-GCN's ``.npz`` stores a one-actor sample with the actor *duplicated*
as person 2; use ``FormatGCNInput(num_person=2, mode='loop')`` to feed the
network exactly what MAMP's feeder feeds.
"""
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from .io import ConversionError, SkipSample, check_finite, make_annotation

NUM_JOINTS = 25
BODY_FIELDS = 10
JOINT_FIELDS = 12
NOISE_LEN_THRES = 11
NOISE_SPR_THRES1 = 0.8
NOISE_SPR_THRES2 = 0.69754

NAME_RE = re.compile(r'^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$')
NTU60_XSUB_TRAIN = (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38)
NTU60_XVIEW_TRAIN_CAMERAS = (2, 3)
NTU120_XSUB_TRAIN = (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35,
                     38, 45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78,
                     80, 81, 82, 83, 84, 85, 86, 89, 91, 92, 93, 94, 95, 97, 98, 100, 103)


@dataclass
class Body:
    """One tracked body: its joints per appearance and the frame interval."""

    joints: List[np.ndarray] = field(default_factory=list)  # each (25, 3) float32
    interval: List[int] = field(default_factory=list)
    motion: Optional[np.float32] = None
    _array: Optional[np.ndarray] = None

    def array(self) -> np.ndarray:
        if self._array is None or len(self._array) != len(self.joints):
            self._array = np.stack(self.joints)  # (n, 25, 3)
        return self._array


def parse_name(name: str) -> Dict[str, int]:
    """``SsssCcccPpppRrrrAaaa`` -> dict(setup, camera, performer, replication, action)."""
    m = NAME_RE.match(name)
    if m is None:
        raise ConversionError(f'file name {name!r} is not of the form SsssCcccPpppRrrrAaaa')
    keys = ('setup', 'camera', 'performer', 'replication', 'action')
    return dict(zip(keys, map(int, m.groups())))


class _Lines:
    """Line cursor with 1-based error positions."""

    def __init__(self, lines: List[str]) -> None:
        self.lines, self.i = lines, 0

    def next(self, what: str) -> List[str]:
        fields = self.lines[self.i].split() if self.i < len(self.lines) else []
        if not fields and not any(ln.strip() for ln in self.lines[self.i:]):
            raise ConversionError(f'file ends early: expected {what}', self.i + 1)
        self.i += 1
        return fields

    def integer(self, what: str) -> int:
        fields = self.next(what)
        if len(fields) != 1 or not fields[0].isdigit():
            raise ConversionError(f'expected {what} (one non-negative integer), got '
                                  f'{" ".join(fields)!r}', self.i)
        return int(fields[0])


def _parse_joints(cur: _Lines) -> np.ndarray:
    first = cur.i
    rows = [cur.next(f'joint {j + 1} of {NUM_JOINTS}') for j in range(NUM_JOINTS)]
    for j, row in enumerate(rows):
        if len(row) != JOINT_FIELDS:
            raise ConversionError(f'joint line has {len(row)} fields, expected {JOINT_FIELDS}',
                                  first + j + 1)
    try:
        xyz = np.array([[float(r[0]), float(r[1]), float(r[2])] for r in rows])
    except ValueError:
        for j, row in enumerate(rows):
            try:
                [float(v) for v in row[:3]]
            except ValueError:
                raise ConversionError(f'non-numeric coordinate in {" ".join(row[:3])!r}',
                                      first + j + 1) from None
        raise
    xyz = xyz.astype(np.float32)  # str -> double -> float32, as np.array(str, float32)
    if not np.isfinite(xyz).all():
        j = int(np.argwhere(~np.isfinite(xyz))[0, 0])
        raise ConversionError('non-finite coordinate (NaN/inf)', first + j + 1)
    return xyz


def parse_skeleton(path: str) -> Tuple[Dict[str, Body], int]:
    """Read a ``.skeleton`` file.

    Returns:
        tuple: ``(bodies, num_frames)`` with bodies keyed by bodyID in order of
        first appearance and ``num_frames`` the frames that had a body.
    """
    try:
        with open(path, encoding='ascii') as f:
            lines = f.read().splitlines()  # LF or CRLF
    except UnicodeDecodeError as exc:
        raise ConversionError(f'not a text file ({exc.reason})') from None
    cur = _Lines(lines)
    if not any(line.strip() for line in lines):
        raise ConversionError('empty file', 1)
    declared = cur.integer('the frame count')
    bodies: Dict[str, Body] = {}
    valid = -1
    for frame in range(declared):
        num_bodies = cur.integer(f'the body count of frame {frame + 1}/{declared}')
        if num_bodies == 0:
            continue
        valid += 1
        for _ in range(num_bodies):
            info = cur.next('a body info line')
            if len(info) != BODY_FIELDS:
                raise ConversionError(f'body info line has {len(info)} fields, expected '
                                      f'{BODY_FIELDS}', cur.i)
            num_joints = cur.integer('the joint count')
            if num_joints != NUM_JOINTS:
                raise ConversionError(f'joint count is {num_joints}, expected {NUM_JOINTS}',
                                      cur.i)
            xyz = _parse_joints(cur)
            body = bodies.get(info[0])
            if body is None:
                body = bodies[info[0]] = Body(interval=[valid])
            else:
                body.interval.append(body.interval[-1] + 1)
            body.joints.append(xyz)
    for k in range(cur.i, len(lines)):
        if lines[k].strip():
            raise ConversionError(f'unexpected content after the {declared} frames declared '
                                  'on line 1 (frame count disagrees with content)', k + 1)
    return bodies, valid + 1


def _motion(joints: np.ndarray) -> np.float32:
    return np.sum(np.var(joints.reshape(-1, 3), axis=0))  # float32, as the original


def denoise(bodies: Dict[str, Body]) -> List[Tuple[str, Body]]:
    """Steps 2a-2c of the module docstring; returns (bodyID, body) ordered by motion.

    A file with a single body is returned as is, however short (the original
    code crashes on a single body of <= 11 frames; no such file is in its data).
    """
    if len(bodies) == 1:
        return list(bodies.items())
    bodies = {k: b for k, b in bodies.items() if len(b.interval) > NOISE_LEN_THRES}
    if len(bodies) <= 1:
        return list(bodies.items())
    for b in bodies.values():
        b.motion = _motion(b.array())
    for body_id in list(bodies):
        if len(bodies) == 1:
            break
        body = bodies[body_id]
        joints = body.array()  # (n, 25, 3)
        x_range = joints[:, :, 0].max(1) - joints[:, :, 0].min(1)  # float32
        y_range = joints[:, :, 1].max(1) - joints[:, :, 1].min(1)
        valid = x_range.astype(np.float64) <= NOISE_SPR_THRES1 * y_range.astype(np.float64)
        num_noise = len(valid) - int(valid.sum())
        if num_noise == 0:
            continue
        if num_noise / float(len(valid)) >= NOISE_SPR_THRES2:
            del bodies[body_id]
        else:
            body.motion = min(body.motion, _motion(joints[valid]))
    return sorted(bodies.items(), key=lambda kv: kv[1].motion, reverse=True)


def _place(joints: np.ndarray, cols: slice, body: Body, name: str) -> None:
    start, end = body.interval[0], body.interval[-1]
    if end >= joints.shape[0]:
        raise ConversionError(f'body {name} has more appearances than frames '
                              '(bodyID repeated within a frame?)')
    joints[start:end + 1, cols] = body.array().reshape(-1, 75)


def assemble_actors(ordered: List[Tuple[str, Body]], num_frames: int) -> np.ndarray:
    """Step 3: (num_frames, 75 * M) float32 rows of actor 1 (and 2)."""
    if len(ordered) == 1:
        joints = np.zeros((num_frames, 75), np.float32)
        _place(joints, slice(0, 75), ordered[0][1], ordered[0][0])
        return joints
    joints = np.zeros((num_frames, 150), np.float32)
    name1, actor1 = ordered[0]
    _place(joints, slice(0, 75), actor1, name1)
    start1, end1 = actor1.interval[0], actor1.interval[-1]
    start2, end2 = 0, 0
    for name, body in ordered[1:]:
        start, end = body.interval[0], body.interval[-1]
        if min(end1, end) - max(start1, start) <= 0:
            _place(joints, slice(0, 75), body, name)
            start1, end1 = min(start, start1), max(end, end1)
        elif min(end2, end) - max(start2, start) <= 0:
            _place(joints, slice(75, 150), body, name)
            start2, end2 = min(start, start2), max(end, end2)
    return joints


def translate(joints: np.ndarray) -> np.ndarray:
    """Steps 4-5 on (T, 75 * M) rows; returns (M, T', 25, 3) float32."""
    joints = joints[joints.sum(axis=1) != 0]
    num_persons = joints.shape[1] // 75
    missing = [joints[:, 75 * m:75 * (m + 1)].sum(axis=1) == 0 for m in range(num_persons)]
    present = np.flatnonzero(np.any(joints[:, :75] != 0, axis=1))
    if len(present) == 0:
        raise SkipSample('actor 1 has no non-zero frame')
    origin = joints[present[0], 3:6].copy()
    joints = joints - np.tile(origin, 25 * num_persons)
    for m in range(num_persons):
        joints[missing[m], 75 * m:75 * (m + 1)] = 0
    T = joints.shape[0]
    return np.ascontiguousarray(
        joints.reshape(T, num_persons, NUM_JOINTS, 3).transpose(1, 0, 2, 3))  # (M, T, V, C)


def convert_skeleton_file(path: str) -> Dict:
    """One ``.skeleton`` file -> annotation dict (raises ConversionError / SkipSample)."""
    name = os.path.basename(path).split('.')[0]
    meta = parse_name(name)
    bodies, num_frames = parse_skeleton(path)
    if num_frames == 0 or not bodies:
        raise SkipSample('no frame contains a body')
    ordered = denoise(bodies)
    if not ordered:
        raise SkipSample(f'every body is shorter than {NOISE_LEN_THRES + 1} frames')
    keypoint = translate(assemble_actors(ordered, num_frames))
    check_finite(keypoint, name)
    return make_annotation(name, meta['action'] - 1, keypoint)


def belongs_to(name: str, dataset: str) -> bool:
    """Whether sample ``name`` is part of ``ntu60`` (setups 1-17) or ``ntu120``."""
    meta = parse_name(name)
    if dataset == 'ntu60':
        return meta['setup'] <= 17 and meta['action'] <= 60
    return True


def official_splits(names: List[str], dataset: str) -> Dict[str, List[str]]:
    """The official benchmark splits (names kept in the given order)."""
    metas = [(n, parse_name(n)) for n in names]
    if dataset == 'ntu60':
        xsub = [m['performer'] in NTU60_XSUB_TRAIN for _, m in metas]
        xview = [m['camera'] in NTU60_XVIEW_TRAIN_CAMERAS for _, m in metas]
        pairs = dict(xsub=xsub, xview=xview)
    elif dataset == 'ntu120':
        xsub = [m['performer'] in NTU120_XSUB_TRAIN for _, m in metas]
        xset = [m['setup'] % 2 == 0 for _, m in metas]
        pairs = dict(xsub=xsub, xset=xset)
    else:
        raise ValueError(f'dataset must be ntu60 or ntu120, got {dataset!r}')
    splits = {}
    for key, train in pairs.items():
        splits[f'{key}_train'] = [n for (n, _), t in zip(metas, train) if t]
        splits[f'{key}_val'] = [n for (n, _), t in zip(metas, train) if not t]
    return splits
