
from .natmae import NATMAE  # noqa: F401
