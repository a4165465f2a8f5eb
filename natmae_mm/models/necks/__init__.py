
from .mae_decoder import SkeletonMAEDecoder  # noqa: F401
from .momentum_contrast import MomentumContrastNeck  # noqa: F401
