from .masking import motion_aware_shuffle, random_shuffle, split_by_shuffle  # noqa: F401
from .pooling import mean_pool_tokens  # noqa: F401
from .skeleton_tokens import check_skeleton_shape, patchify  # noqa: F401
from .transformer import TransformerBlock, init_transformer_weights  # noqa: F401
