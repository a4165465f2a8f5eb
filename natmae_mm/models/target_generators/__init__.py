
from .normalized_targets import MotionTarget, NATTarget, SegmentNormTarget  # noqa: F401
