"""NAT-MAE for MMAction2.

``import natmae_mm`` (or ``custom_imports=dict(imports=['natmae_mm'])`` in a
config) registers every component of this package into MMAction2's registries
(``mmaction.registry``) and installs the safe-checkpoint allowlist used by
MMEngine's loaders (see :mod:`natmae_mm.utils.checkpoint`).
"""
from . import datasets, engine, models  # noqa: F401,E402  (registration)
from .utils import checkpoint as _checkpoint  # noqa: F401  (allowlist)
from .utils import launch as _launch  # noqa: F401  (CPU DDP wrapper)
from .version import __version__

__all__ = ['__version__']
