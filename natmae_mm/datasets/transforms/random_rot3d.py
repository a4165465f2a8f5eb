"""Random 3-D rotation of a skeleton sequence (MAMP's ``random_rot``).

Three angles ``(a_x, a_y, a_z) ~ U(-theta, theta)`` are drawn once per
sample and every joint of every frame and person is mapped by
``x' = R x`` with ``R = R_z R_y R_x`` and MAMP's matrices::

    R_x = [[1, 0, 0], [0, cos a_x, sin a_x], [0, -sin a_x, cos a_x]]
    R_y = [[cos a_y, 0, -sin a_y], [0, 1, 0], [sin a_y, 0, cos a_y]]
    R_z = [[cos a_z, sin a_z, 0], [-sin a_z, cos a_z, 0], [0, 0, 1]]

Zero-padded persons and frames stay zero (the map is linear).
"""
import math
from typing import Dict, Optional

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .worker_rng import WorkerRNG


def rotation_matrix(angles: np.ndarray) -> np.ndarray:
    """``R_z R_y R_x`` for ``angles = (a_x, a_y, a_z)`` in radians; (3, 3) float64."""
    cx, cy, cz = (math.cos(a) for a in angles)
    sx, sy, sz = (math.sin(a) for a in angles)
    rx = np.array([[1., 0., 0.], [0., cx, sx], [0., -sx, cx]])
    ry = np.array([[cy, 0., -sy], [0., 1., 0.], [sy, 0., cy]])
    rz = np.array([[cz, sz, 0.], [-sz, cz, 0.], [0., 0., 1.]])
    return rz @ ry @ rx


@TRANSFORMS.register_module()
class RandomRot3D(BaseTransform):
    """Rotate the 3-D keypoints by random angles about x, y and z.

    Required Keys:

        - keypoint (np.ndarray): (M, T, V, 3)

    Modified Keys:

        - keypoint: float32 (M, T, V, 3), rotated

    Added Keys:

        - rot_angles (np.ndarray): (3,) the angles ``(a_x, a_y, a_z)`` used.

    Args:
        theta (float): Angles are uniform in ``[-theta, theta]`` radians.
            Defaults to 0.3.
        seed (int, optional): Fixed seed of this transform's generator; None
            follows torch's per-worker seed (see
            :mod:`natmae_mm.datasets.transforms.worker_rng`). Defaults to None.
    """

    def __init__(self, theta: float = 0.3, seed: Optional[int] = None) -> None:
        if theta < 0:
            raise ValueError(f'theta must be >= 0, got {theta}')
        self.theta = float(theta)
        self.seed = seed
        self._rng = WorkerRNG(type(self).__name__, seed)

    def transform(self, results: Dict) -> Dict:
        """Rotate ``results['keypoint']`` (M, T, V, 3)."""
        keypoint = results['keypoint']
        if keypoint.ndim != 4 or keypoint.shape[-1] != 3:
            raise ValueError(f'RandomRot3D needs (M, T, V, 3) keypoints, got shape '
                             f'{keypoint.shape} ({results.get("frame_dir", "?")})')
        angles = self._rng.get().uniform(-self.theta, self.theta, size=3)
        rot = rotation_matrix(angles).astype(np.float32)
        flat = np.ascontiguousarray(keypoint, dtype=np.float32).reshape(-1, 3)  # (M*T*V, 3)
        results['keypoint'] = (flat @ rot.T).reshape(keypoint.shape)  # (M, T, V, 3)
        results['rot_angles'] = angles
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(theta={self.theta}, seed={self.seed})'
