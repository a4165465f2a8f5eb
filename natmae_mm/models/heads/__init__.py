
from .reconstruction_head import SkeletonReconstructionHead  # noqa: F401
