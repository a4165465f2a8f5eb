"""N-UCLA-shaped synthetic data for the N-UCLA config tests and the CPU timing.

The real Northwestern-UCLA data (CTR-GCN release) has 1,494 JSON files of which
the standard protocol uses 1,484 sequences of 1..~200 frames, 20 Kinect v1
joints, one person, 10 classes, views 1-2 for training and view 3 for testing.
:func:`make_nucla_like` produces data of that shape from the NTU-style
generator in :mod:`natmae_mm.datasets.synthetic`: its 25 Kinect v2 joints are
mapped to Kinect v1's 20 (v1 "hip centre", "spine", "shoulder centre" are v2's
spine base, spine mid, spine shoulder; the limbs keep their indices; hand tips
and thumbs are dropped), only the first person is kept, and each sequence is
centred on the first frame's hip centre like ``tools/data/nucla_to_pkl.py``.
"""
import pickle
from typing import Dict

import numpy as np

from natmae_mm.datasets.synthetic import ACTIONS, generate_sample, make_performer

#: Kinect v1 joint j is Kinect v2 (NTU) joint NTU_TO_KINECT_V1[j].
NTU_TO_KINECT_V1 = (0, 1, 20, 3) + tuple(range(4, 20))
#: Ten single-person synthetic classes stand in for N-UCLA's ten actions.
SINGLE_PERSON_CLASSES = tuple(i for i, a in enumerate(ACTIONS) if a.num_person == 1)[:10]
NUM_JOINTS, NUM_CLASSES = 20, 10


def make_nucla_like(num_samples: int = 1484, min_frames: int = 1, max_frames: int = 200,
                    seed: int = 0, short_every: int = 0) -> Dict:
    """An MMAction2 skeleton annotation dict shaped like converted N-UCLA.

    Args:
        num_samples: sequences (N-UCLA: 1,484).
        min_frames, max_frames: inclusive range of sequence lengths.
        seed: generator seed.
        short_every: if > 0, every ``short_every``-th sample is cut to 1 frame
            (N-UCLA has such sequences).

    Returns:
        ``{'split': {'xview_train', 'xview_val'}, 'annotations': [...]}`` with
        keypoints float32 (1, T, 20, 3); views 1-2 (``xview_train``) and 3
        (``xview_val``) in N-UCLA's proportions (1,020 / 464 of 1,484).
    """
    bodies = [make_performer(p, seed) for p in range(1, 11)]
    annotations, split = [], {'xview_train': [], 'xview_val': []}
    for i in range(num_samples):
        rng = np.random.default_rng([seed, i])
        label = i % NUM_CLASSES
        frames = int(rng.integers(min_frames, max_frames + 1))
        if short_every and i % short_every == 0:
            frames = 1
        kp = generate_sample(SINGLE_PERSON_CLASSES[label], bodies[i % 10], rng,
                             min_frames=max(8, frames), max_frames=max(8, frames))
        kp = kp[:1, :frames][:, :, NTU_TO_KINECT_V1]           # (1, T, 20, 3)
        kp = (kp - kp[0, 0, 0]).astype(np.float32)              # first-frame hip centre
        # N-UCLA's share of view 3 (464 of 1,484), spread over the samples
        view = 3 if (i * 464) % 1484 < 464 else 1 + i % 2
        name = f'a{label + 1:02d}_s{i % 10 + 1:02d}_e{i // 10:02d}_v{view:02d}'  # unique per i
        annotations.append(dict(frame_dir=name, label=label, total_frames=frames, keypoint=kp))
        split['xview_val' if view == 3 else 'xview_train'].append(name)
    return dict(split=split, annotations=annotations)


def write_nucla_like(path: str, **kwargs) -> str:
    """Pickle :func:`make_nucla_like` (``kwargs``) to ``path``; returns ``path``."""
    with open(path, 'wb') as f:
        pickle.dump(make_nucla_like(**kwargs), f)
    return str(path)
