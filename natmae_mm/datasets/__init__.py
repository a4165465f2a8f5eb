"""Skeleton datasets and transforms."""
from . import transforms  # noqa: F401
from .skeleton_dataset import SkeletonDataset  # noqa: F401
