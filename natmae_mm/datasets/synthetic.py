"""Synthetic skeleton actions on the 25-joint NTU RGB+D (Kinect v2) skeleton.

A small, self-contained stand-in for NTU RGB+D used by the demo and the tests.
Every sequence is produced by forward kinematics on the NTU joint tree: each
joint ``j`` carries a local rotation ``R_j(t)`` and a fixed bone offset
``o_j`` (metres, scaled per performer), and

    W_j(t) = W_parent(j)(t) R_j(t),    p_j(t) = p_parent(j)(t) + W_parent(j)(t) o_j,

so bone lengths are constant over time up to the added sensor noise. A class
is a distinct motion of body parts (see :data:`ACTIONS`); per-sample variation
covers speed, amplitude, phase, temporal warping, idle sway, sympathetic motion
of the other limb, body size and proportions (drawn per performer), camera
rotation, sequence length and temporally correlated sensor noise. Mirror pairs
(wave / kick left vs right) and time-reversal pairs (sit down / stand up, turn
left / right, ...: the same motion played backwards, hence the same poses) keep
the task from being trivial for features that only see the average pose.

Coordinates follow NTU: x, y, z in metres in camera space (y up); like the
CTR-GCN/SGN-preprocessed NTU data, every sequence is translated so that the
first actor's spine-mid joint (index 1) of the first frame is at the origin.
The output is MMAction2's skeleton annotation dict::

    {'split': {'xsub_train': [...], 'xsub_val': [...]},
     'annotations': [{'frame_dir', 'label', 'total_frames',
                      'keypoint': float32 (M, T, V=25, C=3)}, ...]}

Train/val are split by performer, like NTU's cross-subject protocol.
"""
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from natmae_mm.utils.atomic import atomic_pickle_dump
from natmae_mm.utils.errors import InvalidInputError

NUM_JOINTS = 25

#: Parent of each NTU joint (-1 for the root, spine base).
NTU_PARENTS: Tuple[int, ...] = (
    -1, 0, 20, 2,          # spine base, spine mid, neck, head
    20, 4, 5, 6,           # left shoulder, elbow, wrist, hand
    20, 8, 9, 10,          # right shoulder, elbow, wrist, hand
    0, 12, 13, 14,         # left hip, knee, ankle, foot
    0, 16, 17, 18,         # right hip, knee, ankle, foot
    1, 7, 7, 11, 11)       # spine shoulder, L hand tip, L thumb, R hand tip, R thumb

# Body frame: x = the actor's left, y = up, z = the actor's forward.
_LEFT_OFFSETS = {
    1: (0.0, 0.26, 0.0), 20: (0.0, 0.22, 0.0), 2: (0.0, 0.08, 0.0), 3: (0.0, 0.14, 0.01),
    4: (0.17, -0.03, 0.0), 5: (0.0, -0.27, 0.0), 6: (0.0, -0.24, 0.0), 7: (0.0, -0.07, 0.0),
    21: (0.0, -0.07, 0.0), 22: (-0.03, -0.03, 0.03),
    12: (0.08, -0.05, 0.0), 13: (0.0, -0.41, 0.0), 14: (0.0, -0.40, 0.0),
    15: (0.0, -0.05, 0.11),
}
_MIRROR = {4: 8, 5: 9, 6: 10, 7: 11, 21: 23, 22: 24, 12: 16, 13: 17, 14: 18, 15: 19}


def _rest_offsets() -> np.ndarray:
    off = np.zeros((NUM_JOINTS, 3))
    for j, o in _LEFT_OFFSETS.items():
        off[j] = o
        if j in _MIRROR:
            off[_MIRROR[j]] = (-o[0], o[1], o[2])
    return off


#: Bone offset of each joint from its parent in the rest pose (metres, body frame).
REST_OFFSETS: np.ndarray = _rest_offsets()

#: Joints evaluated before their children (a topological order of NTU_PARENTS).
_ORDER: Tuple[int, ...] = (0, 1, 20, 2, 3, 4, 5, 6, 7, 21, 22, 8, 9, 10, 11, 23, 24,
                           12, 13, 14, 15, 16, 17, 18, 19)


def euler_to_matrix(angles: np.ndarray) -> np.ndarray:
    """Rotation matrices ``Rz(c) Ry(b) Rx(a)`` for Euler angles ``(a, b, c)``.

    Args:
        angles: (..., 3) radians about x, y, z (x is applied first).

    Returns:
        (..., 3, 3) rotation matrices.
    """
    a, b, c = angles[..., 0], angles[..., 1], angles[..., 2]
    ca, sa, cb, sb, cc, sc = np.cos(a), np.sin(a), np.cos(b), np.sin(b), np.cos(c), np.sin(c)
    one, zero = np.ones_like(a), np.zeros_like(a)
    rx = np.stack([one, zero, zero, zero, ca, -sa, zero, sa, ca], -1)
    ry = np.stack([cb, zero, sb, zero, one, zero, -sb, zero, cb], -1)
    rz = np.stack([cc, -sc, zero, sc, cc, zero, zero, zero, one], -1)
    shape = angles.shape[:-1] + (3, 3)
    return rz.reshape(shape) @ ry.reshape(shape) @ rx.reshape(shape)


def forward_kinematics(local_euler: np.ndarray, root_pos: np.ndarray,
                       offsets: np.ndarray) -> np.ndarray:
    """Joint positions from local joint rotations (the FK equation of the module doc).

    Args:
        local_euler: (T, V, 3) Euler angles of each joint relative to its parent;
            the root's entry is the global body orientation.
        root_pos: (T, 3) position of the spine base.
        offsets: (V, 3) bone offsets from the parent joint.

    Returns:
        (T, V, 3) joint positions.
    """
    local = euler_to_matrix(local_euler)                       # (T, V, 3, 3)
    world = np.empty_like(local)
    pos = np.empty(local_euler.shape)
    for j in _ORDER:
        p = NTU_PARENTS[j]
        if p < 0:
            world[:, j], pos[:, j] = local[:, j], root_pos
        else:
            world[:, j] = world[:, p] @ local[:, j]
            pos[:, j] = pos[:, p] + world[:, p] @ offsets[j]
    return pos


# ----------------------------------------------------------------------------------------
# Motion primitives. A motion writes into ``ang`` (T, V, 3) local Euler angles and
# ``root`` (T, 3) root offsets in the body frame, as functions of the action progress
# ``u`` in [0, 1] (T,), inside the action window (``w`` is 1 there and 0 outside).
# ----------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    """What one person's motion is written into, and the draws that shape it."""
    u: np.ndarray            # (T,) progress through the action, clipped to [0, 1]
    ang: np.ndarray          # (T, V, 3) local Euler angles
    root: np.ndarray         # (T, 3) root displacement, body frame
    amp: float               # amplitude factor
    cycles: float            # repetitions of periodic motions
    phase: float             # phase of periodic motions
    other: float             # sympathetic motion of the other limb in [0, 0.35]
    leg: np.ndarray          # (2,) thigh and shin lengths of this actor

    def envelope(self, rise: float = 0.25) -> np.ndarray:
        """Smooth 0 -> 1 -> 0 over the action, holding 1 in the middle."""
        up = np.clip(self.u / rise, 0, 1)
        down = np.clip((1 - self.u) / rise, 0, 1)
        e = np.minimum(up, down)
        return e * e * (3 - 2 * e) * (self.u > 0) * (self.u < 1)

    def ramp(self, rise: float = 0.6) -> np.ndarray:
        """Smooth one-way 0 -> 1 over the first ``rise`` of the action, then held."""
        e = np.clip(self.u / rise, 0, 1)
        return e * e * (3 - 2 * e)

    def osc(self) -> np.ndarray:
        return np.sin(2 * np.pi * self.cycles * self.u + self.phase)


def _side(left: bool) -> Tuple[int, int, int, float]:
    """(shoulder, elbow, wrist, sign of y/z rotations) of one arm."""
    return (4, 5, 6, 1.0) if left else (8, 9, 10, -1.0)


def _wave(c: _Ctx, left: bool) -> None:
    sh, el, _, s = _side(left)
    e = c.envelope()
    c.ang[:, sh, 2] += s * e * np.deg2rad(75) * c.amp
    c.ang[:, el, 2] += s * e * (np.deg2rad(95) + np.deg2rad(28) * c.amp * c.osc())
    osh, oel, _, os_ = _side(not left)
    c.ang[:, osh, 2] += os_ * e * np.deg2rad(20) * c.other


def _raise(c: _Ctx, left: bool) -> None:
    sh, el, _, s = _side(left)
    e = c.envelope(0.4)
    c.ang[:, sh, 0] -= e * np.deg2rad(150) * c.amp
    c.ang[:, sh, 2] += s * e * np.deg2rad(15)
    c.ang[:, el, 0] -= e * np.deg2rad(10)
    osh, _, _, _ = _side(not left)
    c.ang[:, osh, 0] -= e * np.deg2rad(150) * c.other * c.amp


def _clap(c: _Ctx) -> None:
    e = c.envelope()
    for left in (True, False):
        sh, el, _, s = _side(left)
        c.ang[:, sh, 0] -= e * np.deg2rad(70) * c.amp
        c.ang[:, sh, 1] -= s * e * np.deg2rad(25 + 15 * c.osc())
        c.ang[:, el, 0] -= e * np.deg2rad(35)


def _squat(c: _Ctx, depth: float = 75.0) -> np.ndarray:
    e = c.envelope(0.35)
    a = e * np.deg2rad(depth) * c.amp
    for hip, knee, ankle in ((12, 13, 14), (16, 17, 18)):
        c.ang[:, hip, 0] -= a
        c.ang[:, knee, 0] += 2 * a
        c.ang[:, ankle, 0] -= a
    c.ang[:, 1, 0] += 0.4 * a                             # lean the torso forward
    for sh in (4, 8):
        c.ang[:, sh, 0] -= 0.8 * a * c.other / 0.35       # arms forward for balance
    c.root[:, 1] -= (c.leg[0] + c.leg[1]) * (1 - np.cos(a))
    return a


def _jump(c: _Ctx) -> None:
    a = _squat(c, depth=35.0)
    n = max(1.0, round(c.cycles / 1.5))
    hop = np.clip(np.sin(np.pi * n * c.u), 0, None) ** 2 * (c.u > 0.15) * (c.u < 0.85)
    c.root[:, 1] += 0.25 * c.amp * hop
    for sh in (4, 8):
        c.ang[:, sh, 0] -= np.deg2rad(40) * hop
    del a


def _kick(c: _Ctx, left: bool) -> None:
    hip, knee = (12, 13) if left else (16, 17)
    n = max(1.0, round(c.cycles / 2))
    k = np.clip(np.sin(np.pi * n * c.u), 0, None) ** 1.5 * (c.u > 0) * (c.u < 1)
    c.ang[:, hip, 0] -= k * np.deg2rad(75) * c.amp
    c.ang[:, knee, 0] += np.deg2rad(50) * np.sin(np.pi * np.clip(1.6 * k, 0, 1))
    c.ang[:, 1, 0] -= k * np.deg2rad(8)
    for sh, s in ((4, 1.0), (8, -1.0)):
        c.ang[:, sh, 2] += s * k * np.deg2rad(25) * c.other / 0.35


def _punch(c: _Ctx) -> None:
    sh, el, _, s = _side(False)
    e = c.envelope(0.15)
    jab = 0.5 + 0.5 * c.osc()
    c.ang[:, sh, 0] -= e * np.deg2rad(80)
    c.ang[:, el, 0] -= e * np.deg2rad(110) * (1 - jab * c.amp * 0.9)
    osh, oel, _, _ = _side(True)
    c.ang[:, osh, 0] -= e * np.deg2rad(50)                # guard
    c.ang[:, oel, 0] -= e * np.deg2rad(100)
    c.ang[:, 1, 1] += s * e * np.deg2rad(15) * jab


def _walk(c: _Ctx, distance: float, backwards: bool = False) -> None:
    e = c.envelope(0.1)
    gait = np.sin(2 * np.pi * c.cycles * c.u + c.phase) * e
    for (hip, knee, sh), sign in (((12, 13, 4), 1.0), ((16, 17, 8), -1.0)):
        c.ang[:, hip, 0] -= sign * gait * np.deg2rad(25)
        c.ang[:, knee, 0] += np.clip(sign * gait, 0, None) * np.deg2rad(40)
        c.ang[:, sh, 0] += sign * gait * np.deg2rad(20)
    progress = c.u * c.u * (3 - 2 * c.u)
    c.root[:, 2] += (-1 if backwards else 1) * distance * progress


def _reach(c: _Ctx, both: bool, shake: bool) -> None:
    e = c.envelope(0.3)
    arms = (True, False) if both else (False,)
    for left in arms:
        sh, el, _, s = _side(left)
        c.ang[:, sh, 0] -= e * np.deg2rad(65 if shake else 85) * c.amp
        c.ang[:, sh, 1] -= s * e * np.deg2rad(10)
        c.ang[:, el, 0] -= e * np.deg2rad(30 if shake else 10)
        if shake:
            c.ang[:, el, 0] += e * np.deg2rad(15) * c.osc()


def _raise_hold(c: _Ctx, both: bool) -> None:
    e = c.ramp()
    for left in ((True, False) if both else (True,)):
        sh, el, _, s = _side(left)
        c.ang[:, sh, 0] -= e * np.deg2rad(150) * c.amp
        c.ang[:, sh, 2] += s * e * np.deg2rad(15)
        c.ang[:, el, 0] -= e * np.deg2rad(10)
    if not both:
        c.ang[:, 8, 0] -= e * np.deg2rad(150) * c.other * c.amp


def _sit_down(c: _Ctx) -> None:
    a = c.ramp() * np.deg2rad(75) * c.amp
    for hip, knee, ankle in ((12, 13, 14), (16, 17, 18)):
        c.ang[:, hip, 0] -= a
        c.ang[:, knee, 0] += 2 * a
        c.ang[:, ankle, 0] -= a
    c.ang[:, 1, 0] += 0.4 * a
    c.root[:, 1] -= (c.leg[0] + c.leg[1]) * (1 - np.cos(a))


def _bow_down(c: _Ctx) -> None:
    e = c.ramp()
    c.ang[:, 1, 0] += e * np.deg2rad(55) * c.amp
    c.ang[:, 2, 0] += e * np.deg2rad(15)


def _turn_left(c: _Ctx) -> None:
    c.ang[:, 0, 1] += c.ramp(0.8) * np.deg2rad(90) * c.amp
    step = np.abs(np.sin(np.pi * 3 * c.u)) * (c.u > 0) * (c.u < 1)
    c.ang[:, 12, 0] -= step * np.deg2rad(20)
    c.ang[:, 13, 0] += step * np.deg2rad(30)


def _arm_circles(c: _Ctx) -> None:
    sh, el, _, s = _side(False)
    turns = max(1.0, round(c.cycles / 1.5))
    theta = 2 * np.pi * turns * c.u                           # forward circles
    c.ang[:, sh, 0] -= theta
    c.ang[:, sh, 2] += s * np.deg2rad(10) * c.envelope(0.1)
    c.ang[:, 4, 0] -= c.other * theta                         # a little sympathy


# Two-person motions: ``(first actor, second actor)`` callables and starting gap (m).
def _approach(a: _Ctx, b: _Ctx) -> None:
    _walk(a, 0.8 * a.amp)
    _walk(b, 0.8 * b.amp)


def _push(a: _Ctx, b: _Ctx) -> None:
    _reach(a, both=True, shake=False)
    a.root[:, 2] += 0.25 * a.envelope(0.3)
    hit = np.clip((b.u - 0.35) / 0.3, 0, 1)
    b.root[:, 2] -= 0.6 * b.amp * hit * hit * (3 - 2 * hit)
    b.ang[:, 1, 0] -= np.deg2rad(20) * np.sin(np.pi * hit)


def _handshake(a: _Ctx, b: _Ctx) -> None:
    b.phase = a.phase
    _reach(a, both=False, shake=True)
    _reach(b, both=False, shake=True)


@dataclass(frozen=True)
class ActionSpec:
    """One synthetic class: its name, number of actors and motion.

    ``reverse=True`` plays the whole sequence backwards in time: the class has
    exactly the pose distribution of its forward twin and differs only in the
    direction of motion (sit down / stand up, turn left / right, ...).
    """
    name: str
    num_person: int
    motion: Callable
    gap: float = 0.0       # starting distance between two actors (m)
    reverse: bool = False


#: The synthetic classes, in label order (0-based). The first 16 (the demo's) are
#: mirror pairs (wave, kick) and time-reversal pairs whose members share their
#: pose distribution, so they are told apart only by the direction of motion.
ACTIONS: Tuple[ActionSpec, ...] = (
    ActionSpec('wave left hand', 1, lambda c: _wave(c, True)),
    ActionSpec('wave right hand', 1, lambda c: _wave(c, False)),
    ActionSpec('raise both arms', 1, lambda c: _raise_hold(c, True)),
    ActionSpec('lower both arms', 1, lambda c: _raise_hold(c, True), reverse=True),
    ActionSpec('sit down', 1, _sit_down),
    ActionSpec('stand up', 1, _sit_down, reverse=True),
    ActionSpec('bow', 1, _bow_down),
    ActionSpec('straighten up', 1, _bow_down, reverse=True),
    ActionSpec('turn left', 1, _turn_left),
    ActionSpec('turn right', 1, _turn_left, reverse=True),
    ActionSpec('arm circles forward', 1, _arm_circles),
    ActionSpec('arm circles backward', 1, _arm_circles, reverse=True),
    ActionSpec('kick left leg', 1, lambda c: _kick(c, True)),
    ActionSpec('kick right leg', 1, lambda c: _kick(c, False)),
    ActionSpec('walk towards each other', 2, _approach, gap=2.6),
    ActionSpec('walk apart from each other', 2, _approach, gap=2.6, reverse=True),
    ActionSpec('push other person', 2, _push, gap=1.0),
    ActionSpec('shake hands', 2, _handshake, gap=1.1),
    ActionSpec('clap', 1, _clap),
    ActionSpec('jump', 1, _jump),
    ActionSpec('punch right', 1, _punch),
    ActionSpec('raise left arm', 1, lambda c: _raise(c, True)),
    ActionSpec('raise right arm', 1, lambda c: _raise(c, False)),
    ActionSpec('squat', 1, lambda c: _squat(c)),
)

#: Class names of the synthetic dataset (label order).
SYNTHETIC_CLASSES: Tuple[str, ...] = tuple(a.name for a in ACTIONS)


# ----------------------------------------------------------------------------------------
# Sampling
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Performer:
    """Body and style of one performer (drives the cross-subject split)."""
    pid: int
    scale: float                 # overall body size
    proportions: np.ndarray      # (V,) per-bone length factors
    amp: float                   # style: how large the motions are
    speed: float                 # style: how fast the action is done


def make_performer(pid: int, seed: int) -> Performer:
    """Draw performer ``pid``'s body and style deterministically from ``seed``."""
    rng = np.random.default_rng([seed, 7919, pid])
    prop = rng.uniform(0.92, 1.08, NUM_JOINTS)
    for j, k in _MIRROR.items():  # a body is left-right symmetric
        prop[k] = prop[j]
    return Performer(pid, float(rng.uniform(0.82, 1.15)), prop,
                     float(rng.uniform(0.85, 1.1)), float(rng.uniform(0.8, 1.25)))


def _idle(c: _Ctx, rng: np.random.Generator, t: np.ndarray) -> None:
    """Nuisance motion every actor has: sway, breathing, head turns, resting arm pose."""
    for j, scale in ((1, 4.0), (2, 6.0), (0, 3.0), (20, 3.0)):
        for axis in range(3):
            f, p = rng.uniform(0.005, 0.03), rng.uniform(0, 2 * np.pi)
            c.ang[:, j, axis] += np.deg2rad(scale * rng.uniform(0.2, 1)) * np.sin(
                2 * np.pi * f * t + p)
    for sh, el, s in ((4, 5, 1.0), (8, 9, -1.0)):
        c.ang[:, sh, 2] += s * np.deg2rad(rng.uniform(3, 15))
        c.ang[:, sh, 0] += np.deg2rad(rng.uniform(-10, 10))
        c.ang[:, el, 0] -= np.deg2rad(rng.uniform(0, 30))
    c.root[:, :] += rng.normal(0, 0.02, 3) * (t[:, None] / max(len(t), 1))


def _person(spec_motion: Optional[Callable], body: Performer, rng: np.random.Generator,
            t: np.ndarray, u: np.ndarray, cycles: float, phase: float) -> _Ctx:
    offsets = REST_OFFSETS * body.scale * body.proportions[:, None]
    leg = np.array([np.linalg.norm(offsets[13]), np.linalg.norm(offsets[14])])
    c = _Ctx(u=u, ang=np.zeros((len(t), NUM_JOINTS, 3)), root=np.zeros((len(t), 3)),
             amp=float(np.clip(body.amp * rng.uniform(0.8, 1.15), 0.6, 1.3)),
             cycles=cycles, phase=phase, other=float(rng.uniform(0, 0.35)), leg=leg)
    _idle(c, rng, t)
    if spec_motion is not None:
        spec_motion(c)
    return c


def _pose(c: _Ctx, body: Performer, yaw: float, place: np.ndarray) -> np.ndarray:
    """World (body-frame scene) joints of one actor: (T, V, 3)."""
    offsets = REST_OFFSETS * body.scale * body.proportions[:, None]
    hip_height = np.linalg.norm(offsets[12] + offsets[13] + offsets[14] + offsets[15])
    ang = c.ang.copy()
    ang[:, 0, 1] += yaw
    rot = euler_to_matrix(np.array([0.0, yaw, 0.0]))
    root = place + np.array([0.0, hip_height, 0.0]) + c.root @ rot.T
    return forward_kinematics(ang, root, offsets)


def generate_sample(label: int, body: Performer, rng: np.random.Generator,
                    min_frames: int = 40, max_frames: int = 100, noise_std: float = 0.01,
                    max_view: float = np.pi / 3, partner: Optional[Performer] = None,
                    distractor_prob: float = 0.2) -> np.ndarray:
    """One sequence of class ``label`` performed by ``body``.

    Args:
        label: index into :data:`ACTIONS`.
        body: the (first) actor.
        rng: the generator of this sample (all variation is drawn from it).
        min_frames, max_frames: range of the sequence length ``T`` (inclusive).
        noise_std: scale of the temporally correlated sensor noise (m), see
            :func:`sensor_noise`.
        max_view: the camera yaw is uniform in ``[-max_view, max_view]`` (rad).
        partner: the second actor of two-person classes (also used as an idle
            bystander in single-person classes, with ``distractor_prob``).
        distractor_prob: probability of an idle bystander in a single-person class.

    Returns:
        float32 keypoints (M, T, 25, 3), M in {1, 2}, centred so that actor 0's
        spine-mid joint is at the origin in frame 0.
    """
    if not 0 <= label < len(ACTIONS):
        raise InvalidInputError(f'label {label} out of range [0, {len(ACTIONS)})')
    if not 8 <= min_frames <= max_frames:
        raise InvalidInputError(
            f'need 8 <= min_frames <= max_frames, got {min_frames}, {max_frames}')
    spec = ACTIONS[label]
    T = int(rng.integers(min_frames, max_frames + 1))
    t = np.arange(T, dtype=np.float64)
    # the action window and its (warped) progress: speed, phase and timing variation
    length = T * float(np.clip(rng.uniform(0.6, 0.95) * body.speed, 0.45, 1.0))
    start = rng.uniform(0, T - length)
    u = np.clip((t - start) / length, 0, 1) ** rng.uniform(0.8, 1.25)
    cycles = rng.uniform(2.0, 4.0) * body.speed
    phase = rng.uniform(0, 2 * np.pi)

    people: List[np.ndarray] = []
    if spec.num_person == 2:
        other = partner if partner is not None else body
        a = _person(lambda c: None, body, rng, t, u, cycles, phase)
        b = _person(lambda c: None, other, rng, t, u, cycles, phase)
        spec.motion(a, b)
        gap = spec.gap * rng.uniform(0.9, 1.1)
        people.append(_pose(a, body, np.pi / 2, np.array([-gap / 2, 0.0, 0.0])))
        people.append(_pose(b, other, -np.pi / 2, np.array([gap / 2, 0.0, 0.0])))
    else:
        a = _person(spec.motion, body, rng, t, u, cycles, phase)
        people.append(_pose(a, body, 0.0, np.zeros(3)))
        if partner is not None and rng.random() < distractor_prob:
            b = _person(None, partner, rng, t, u, cycles, phase)
            side = rng.choice([-1.0, 1.0]) * rng.uniform(0.9, 1.6)
            people.append(_pose(b, partner, rng.uniform(-0.5, 0.5),
                                np.array([side, 0.0, rng.uniform(-0.5, 0.5)])))

    kp = np.stack(people)                                      # (M, T, V, 3) body-scene frame
    if spec.reverse:
        kp = kp[:, ::-1]                                       # time-reversed twin class
    # camera: the actors face the sensor (forward -> -z), seen from a random yaw and tilt
    view = euler_to_matrix(np.array([rng.uniform(-0.15, 0.15),
                                     np.pi + rng.uniform(-max_view, max_view),
                                     rng.uniform(-0.05, 0.05)]))
    kp = kp @ view.T
    kp = kp + sensor_noise(rng, kp.shape, noise_std)
    kp = kp - kp[0, 0, 1]                                      # NTU centring: spine mid
    return kp.astype(np.float32)


def _smooth(rng: np.random.Generator, shape: Tuple[int, ...], sigma: float) -> np.ndarray:
    """Unit-variance noise, Gaussian-smoothed along axis 1 (time) with ``sigma`` frames."""
    x = rng.normal(0, 1, shape)
    radius = int(3 * sigma)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= np.sqrt((k * k).sum())                      # keeps unit variance
    pad = np.pad(x, [(0, 0), (radius, radius)] + [(0, 0)] * (x.ndim - 2), mode='reflect')
    out = np.apply_along_axis(lambda v: np.convolve(v, k, mode='valid'), 1, pad)
    return out


def sensor_noise(rng: np.random.Generator, shape: Tuple[int, ...], std: float) -> np.ndarray:
    """Kinect-like tracking noise for keypoints of ``shape`` (M, T, V, 3), in metres.

    Depth-sensor skeleton jitter is temporally correlated: a smooth wobble of the
    whole body (std ``std``), a smooth per-joint wobble (``std / 2``), both with a
    3-frame Gaussian correlation, plus white noise (``std / 5``).
    """
    M, T, V, C = shape
    body = _smooth(rng, (M, T, 1, C), 3.0)                     # (M, T, 1, 3)
    joint = _smooth(rng, (M, T, V, C), 3.0)                    # (M, T, V, 3)
    return std * (body + 0.5 * joint + 0.2 * rng.normal(0, 1, shape))


def xsub_train_performers(num_performers: int) -> List[int]:
    """Performer ids (1-based) of the training split: the first 60%, at least one."""
    n = min(num_performers - 1, max(1, round(0.6 * num_performers)))
    return list(range(1, n + 1))


def make_synthetic_dataset(num_classes: int = len(ACTIONS), per_class: int = 40,
                           seed: int = 0, num_performers: int = 10, min_frames: int = 40,
                           max_frames: int = 100, noise_std: float = 0.01,
                           max_view: float = np.pi / 3) -> Dict:
    """The whole synthetic annotation dict (see the module doc).

    Sample ``i`` of class ``a`` is performed by performer ``i % num_performers + 1``;
    performers :func:`xsub_train_performers` form ``xsub_train``, the rest
    ``xsub_val``. Each sample draws from its own generator seeded by
    ``(seed, a, i)``, so the output is deterministic for a seed and a sample does
    not change when other classes are added.

    Returns:
        ``{'split': {'xsub_train', 'xsub_val'}, 'annotations': [...]}``.
    """
    if not 1 <= num_classes <= len(ACTIONS):
        raise InvalidInputError(f'num_classes must be in [1, {len(ACTIONS)}], got {num_classes}')
    if num_performers < 2:
        raise InvalidInputError(
            f'need at least 2 performers for a train/val split, got {num_performers}')
    if per_class < 1:
        raise InvalidInputError(f'per_class must be >= 1, got {per_class}')
    if per_class <= len(xsub_train_performers(num_performers)):
        raise InvalidInputError(
            f'per_class={per_class} leaves xsub_val empty: sample i is performed by '
            f'performer i % num_performers + 1 and performers '
            f'{xsub_train_performers(num_performers)} are xsub_train; use per_class > '
            f'{len(xsub_train_performers(num_performers))} or fewer performers')
    bodies = [make_performer(p, seed) for p in range(1, num_performers + 1)]
    train_ids = set(xsub_train_performers(num_performers))
    annotations, split = [], {'xsub_train': [], 'xsub_val': []}
    for label in range(num_classes):
        for i in range(per_class):
            pid = i % num_performers + 1
            rng = np.random.default_rng([seed, label, i])
            partner = bodies[(pid + 1 + i // num_performers) % num_performers]
            if partner.pid == pid:
                partner = bodies[pid % num_performers]
            kp = generate_sample(label, bodies[pid - 1], rng, min_frames, max_frames,
                                 noise_std, max_view, partner=partner)
            view_id = 1 + i % 3
            name = (f'S001C{view_id:03d}P{pid:03d}R{i // num_performers + 1:03d}'
                    f'A{label + 1:03d}')
            annotations.append(dict(frame_dir=name, label=label, total_frames=kp.shape[1],
                                    keypoint=kp))
            split['xsub_train' if pid in train_ids else 'xsub_val'].append(name)
    return dict(split=split, annotations=annotations)


def save_annotation(data: Dict, path: str) -> None:
    """Pickle ``data`` to ``path`` atomically (temporary file in the same folder + rename)."""
    atomic_pickle_dump(data, path)
