"""Models: backbones, necks, heads, losses, target generators, algorithms."""
from . import backbones, heads, losses, necks, selfsup  # noqa: F401
from . import target_generators, utils  # noqa: F401
