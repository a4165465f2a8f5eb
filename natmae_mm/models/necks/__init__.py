from .mae_decoder import SkeletonMAEDecoder  # noqa: F401
