
from .masked_skeleton_transformer import MaskedSkeletonTransformer  # noqa: F401
from .skeleton_transformer import (  # noqa: F401
    ARCH_ZOO,
    SkeletonTransformer,
    encoder_width,
    resolve_arch,
)
