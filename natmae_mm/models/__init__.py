"""Models: backbones, necks, heads, losses, target generators, algorithms."""
from . import backbones, heads, losses, necks, selfsup, target_generators, utils  # noqa: F401
