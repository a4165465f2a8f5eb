"""MAMP's valid-frame crop followed by a linear temporal resize.

For a sequence with ``T_v`` valid frames (frames where any coordinate of any
person is non-zero; MAMP counts them and crops from frame 0, which is exact
for sequences whose padding sits at the end):

* training: ``p ~ U(p_lo, p_hi)``, crop length
  ``L = min(max(floor(T_v * p), min_frames), T_v)``, start ``b ~ U{0..T_v-L}``;
* test: centre crop ``b = int((1 - p) * T_v / 2)``, frames ``[b, T_v - b)``;

then the crop is resized to ``clip_len`` frames by linear interpolation with
``align_corners=False`` (MAMP's ``F.interpolate(mode='bilinear')`` over a
``(C*V*M, L)`` image with an unchanged height is exactly this 1-D
interpolation): output frame ``t`` reads source position
``s = (t + 0.5) * L / clip_len - 0.5`` (clamped at 0) and blends frames
``floor(s)`` and ``floor(s) + 1``.

Edge cases (MAMP crashes on some of them): an all-zero sequence is treated as
valid over its whole length (the output is zeros), a sequence shorter than
``min_frames`` is used whole, a 1-frame sequence is repeated ``clip_len`` times.
"""
import math
from functools import lru_cache
from typing import Dict, Optional, Sequence

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .worker_rng import WorkerRNG


def count_valid_frames(keypoint: np.ndarray) -> int:
    """Number of frames of ``keypoint`` (M, T, V, C) with any non-zero value."""
    M, T = keypoint.shape[:2]
    return int(np.count_nonzero(keypoint.reshape(M, T, -1).any(axis=2).any(axis=0)))


@lru_cache(maxsize=1024)
def _resize_weights(length: int, clip_len: int) -> tuple:
    """Source frames and weights of a linear resize ``length -> clip_len``.

    PyTorch's ``align_corners=False`` rule in float32: ``s = max((t + 0.5) * L / T' - 0.5, 0)``,
    ``i0 = floor(s)``, ``i1 = min(i0 + 1, L - 1)``, ``w1 = s - i0``, ``w0 = 1 - w1``.
    ``s`` is rounded once after the multiply-add (PyTorch's CPU kernel fuses it),
    which makes these weights bit-identical to ``F.interpolate``'s.
    """
    scale = np.float32(length) / np.float32(clip_len)
    pos = (np.arange(clip_len, dtype=np.float32) + np.float32(0.5)).astype(np.float64)
    src = (pos * np.float64(scale) - 0.5).astype(np.float32)  # fused multiply-add
    src = np.maximum(src, np.float32(0))
    i0 = src.astype(np.int64)
    w1 = (src - i0.astype(np.float32))[None, :, None, None]  # (1, T', 1, 1)
    i1 = np.minimum(i0 + 1, length - 1)
    return i0, i1, (np.float32(1) - w1), w1


def temporal_resize(keypoint: np.ndarray, clip_len: int) -> np.ndarray:
    """Linear resize along time with ``align_corners=False`` (``F.interpolate`` 'linear').

    Args:
        keypoint (np.ndarray): (M, L, V, C) with L >= 1.
        clip_len (int): Output length.

    Returns:
        np.ndarray: float32 (M, clip_len, V, C).
    """
    M, L, V, C = keypoint.shape
    flat = keypoint.astype(np.float32, copy=False).reshape(M, L, V * C)  # (M, L, V*C)
    i0, i1, w0, w1 = _resize_weights(L, clip_len)
    out = flat[:, i0] * w0[..., 0] + flat[:, i1] * w1[..., 0]  # (M, T', V*C)
    return out.reshape(M, clip_len, V, C)


@TRANSFORMS.register_module()
class ValidCropResize(BaseTransform):
    """Crop a window of the valid frames and resize it to ``clip_len`` frames.

    Required Keys:

        - keypoint (np.ndarray): (M, T, V, C)
        - keypoint_score (optional, np.ndarray): (M, T, V), cropped alike

    Modified Keys:

        - keypoint: float32 (M, clip_len, V, C)
        - keypoint_score (if present): float32 (M, clip_len, V)
        - total_frames: ``clip_len``

    Added Keys:

        - crop_window (tuple[int, int]): ``(start, length)`` of the crop in
          the input frames, for inspection.

    Args:
        clip_len (int): Output frames. Defaults to 120.
        p_interval (Sequence[float]): ``(low, high)`` range of the crop ratio
            for training; a single value means a fixed centre crop (as in
            MAMP). Defaults to (0.5, 1.0).
        min_frames (int): Lower bound of the training crop length (never more
            than the valid length). Defaults to 64.
        test_mode (bool): Deterministic centre crop with ratio ``p_interval[0]``
            if one value is given, else 0.95 (MAMP's test ratio).
            Defaults to False.
        seed (int, optional): Fixed seed of this transform's generator; None
            follows torch's per-worker seed (see
            :mod:`natmae_mm.datasets.transforms.worker_rng`). Defaults to None.
    """

    def __init__(self,
                 clip_len: int = 120,
                 p_interval: Sequence[float] = (0.5, 1.0),
                 min_frames: int = 64,
                 test_mode: bool = False,
                 seed: Optional[int] = None) -> None:
        p_interval = tuple(float(p) for p in p_interval)
        if len(p_interval) not in (1, 2):
            raise ValueError(f'p_interval must hold 1 or 2 values, got {p_interval}')
        if not all(0. < p <= 1. for p in p_interval) or p_interval[0] > p_interval[-1]:
            raise ValueError(f'p_interval must be increasing values in (0, 1], got {p_interval}')
        if clip_len < 1 or min_frames < 1:
            raise ValueError(f'clip_len and min_frames must be >= 1, got {clip_len}, '
                             f'{min_frames}')
        self.clip_len = int(clip_len)
        self.p_interval = p_interval
        self.min_frames = int(min_frames)
        self.test_mode = test_mode
        self.seed = seed
        self._rng = WorkerRNG(type(self).__name__, seed)

    def _window(self, valid_len: int) -> tuple:
        """``(start, length)`` of the crop inside ``[0, valid_len)``."""
        if self.test_mode or len(self.p_interval) == 1:
            p = self.p_interval[0] if len(self.p_interval) == 1 else 0.95
            bias = int((1 - p) * valid_len / 2)
            return bias, valid_len - 2 * bias
        rng = self._rng.get()
        low, high = self.p_interval
        p = rng.random() * (high - low) + low
        length = min(max(int(math.floor(valid_len * p)), self.min_frames), valid_len)
        start = int(rng.integers(0, valid_len - length + 1))
        return start, length

    def transform(self, results: Dict) -> Dict:
        """Crop and resize ``results['keypoint']`` (M, T, V, C)."""
        keypoint = results['keypoint']
        if keypoint.ndim != 4 or keypoint.shape[1] == 0:
            raise ValueError(f'keypoint must be (M, T, V, C) with T >= 1, got shape '
                             f'{keypoint.shape} ({results.get("frame_dir", "?")})')
        score = results.get('keypoint_score')
        if score is not None:
            keypoint = np.concatenate([keypoint, score[..., None]], axis=-1)
        valid_len = count_valid_frames(keypoint) or keypoint.shape[1]
        start, length = self._window(valid_len)
        out = temporal_resize(keypoint[:, start:start + length], self.clip_len)
        if score is not None:
            results['keypoint_score'] = np.ascontiguousarray(out[..., -1])
            out = np.ascontiguousarray(out[..., :-1])
        results['keypoint'] = out
        results['total_frames'] = self.clip_len
        results['crop_window'] = (start, length)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(clip_len={self.clip_len}, '
                f'p_interval={self.p_interval}, min_frames={self.min_frames}, '
                f'test_mode={self.test_mode}, seed={self.seed})')
