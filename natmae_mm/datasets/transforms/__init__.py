"""Skeleton transforms (registered in ``mmaction.registry.TRANSFORMS``)."""
from .random_rot3d import RandomRot3D  # noqa: F401
from .valid_crop_resize import ValidCropResize  # noqa: F401
