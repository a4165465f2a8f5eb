"""Writers of small raw skeleton files in the official formats (shared by converter tests)."""
import numpy as np


def tall_body(rng, n, scale=1.0, offset=(0., 0., 3.)):
    """(n, 25, 3) joints whose x-spread is well below 0.8 x y-spread (a standing person)."""
    base = np.stack([rng.uniform(-0.15, 0.15, 25), np.linspace(-0.8, 0.8, 25),
                     rng.uniform(-0.1, 0.1, 25)], axis=-1)
    drift = np.linspace(0, 1, n)[:, None, None] * np.array([0.2, 0., 0.1]) * scale
    jitter = rng.normal(scale=0.01 * scale, size=(n, 25, 3))
    return (base[None] + drift + jitter + np.array(offset)).astype(np.float32)


def wide_body(rng, n, offset=(1., 0., 3.)):
    """(n, 25, 3) joints whose x-spread exceeds 0.8 x y-spread (a noisy body)."""
    base = np.stack([np.linspace(-1, 1, 25), rng.uniform(-0.2, 0.2, 25),
                     rng.uniform(-0.1, 0.1, 25)], axis=-1)
    return (base[None] + rng.normal(scale=0.01, size=(n, 25, 3)) + np.array(offset)).astype(
        np.float32)


def skeleton_text(frames, newline='\r\n', trailing='\r\n\r\n'):
    """``frames`` = list of lists of (bodyID, joints (25, 3)); returns .skeleton text."""
    out = [str(len(frames))]
    for bodies in frames:
        out.append(str(len(bodies)))
        for body_id, joints in bodies:
            out.append(f'{body_id} 0 1 1 1 1 0 0.1 0.2 2')
            out.append(str(len(joints)))
            for x, y, z in joints:
                out.append(f'{x:.7g} {y:.7g} {z:.7g} 250.1 200.2 900.3 500.4 0.1 0.2 0.3 0.4 2')
    return newline.join(out) + trailing


def parse_floats(joints):
    """What a reader gets back from ``%.7g`` text (float32 of the printed value)."""
    return np.array([[float(f'{v:.7g}') for v in j] for j in joints.reshape(-1, 3)],
                    np.float64).astype(np.float32).reshape(joints.shape)
