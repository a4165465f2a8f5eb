from .momentum_queue import MomentumKeyQueue  # noqa: F401
from .natmae import NATMAE  # noqa: F401
