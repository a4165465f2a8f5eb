
from .masked_skeleton_transformer import MaskedSkeletonTransformer  # noqa: F401
from .skeleton_transformer import SkeletonTransformer  # noqa: F401
