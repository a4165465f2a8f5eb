"""Safe checkpoint loading for MMEngine on torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True`` by default: only tensors,
containers, primitive types and explicitly allowlisted globals may appear in
the pickle. MMEngine 0.10.7 calls a bare ``torch.load`` and saves a few
non-tensor objects (its ``HistoryBuffer`` and numpy arrays in the message hub),
so ``--resume`` and ``load_from`` fail with ``UnpicklingError`` out of the box.

We keep the safe loader and allowlist exactly the globals an MMEngine
checkpoint carries (:data:`SAFE_GLOBALS`). Everything else is refused with a
:class:`UnsafeCheckpointError` that names the file and the offending globals;
nothing in it is executed. ``builtins.getattr`` (which MMEngine's
``HistoryBuffer`` pickles for its statistics methods) is deliberately *not*
allowlisted, because it reopens arbitrary code execution;
:class:`~natmae_mm.engine.hooks.PlainRuntimeInfoHook` saves
:class:`PlainHistoryBuffer` and plain Python numbers instead, so that our
checkpoints never need it.

Importing :mod:`natmae_mm` installs the allowlist and routes MMEngine's local
checkpoint scheme (plain paths and ``file://``) through :func:`safe_torch_load`.
"""
import os
from typing import Any, List, Optional

import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .errors import UnsafeFileError, UserInputError
from .safe_pickle import DATA_GLOBALS


class PlainHistoryBuffer(HistoryBuffer):
    """A ``HistoryBuffer`` that pickles without its statistics-method table.

    ``HistoryBuffer.__getstate__`` stores references to its class-level
    methods (``min``, ``max``, ...), which pickle as ``builtins.getattr``
    calls. Unpickling restores the defaults anyway (``__setstate__`` calls
    ``_set_default_statistics``), so saving the table adds nothing but the
    need to allowlist ``getattr``. Custom statistics registered with
    ``HistoryBuffer.register_statistics`` live on the class and are unaffected.
    """

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != 'statistics_methods'}

#: Exactly the globals an MMEngine 0.10.x checkpoint holds besides tensors:
#: the message hub's ``HistoryBuffer`` and the data globals of
#: :data:`natmae_mm.utils.safe_pickle.DATA_GLOBALS` (numpy arrays, dtypes and
#: scalars, ``_codecs.encode`` for raw bytes under protocol 2, ...).
SAFE_GLOBALS: List[Any] = [
    HistoryBuffer,
    PlainHistoryBuffer,
    *{id(g): g for g in DATA_GLOBALS.values()}.values(),
]


class UnsafeCheckpointError(UnsafeFileError):
    """A checkpoint references Python globals outside the allowlist."""


class UnreadableCheckpointError(UserInputError, RuntimeError):
    """A checkpoint file exists but cannot be read (truncated, not a checkpoint)."""


def install_safe_globals() -> None:
    """Allowlist :data:`SAFE_GLOBALS` for ``torch.load(weights_only=True)``."""
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:  # torch >= 2.4
        add(SAFE_GLOBALS)


def _unsafe_globals(filename: str) -> Optional[List[str]]:
    getter = getattr(torch.serialization, 'get_unsafe_globals_in_checkpoint', None)
    if getter is None:
        return None
    try:
        allowed = {f'{g.__module__}.{g.__qualname__}' for g in SAFE_GLOBALS
                   if hasattr(g, '__qualname__')}
        return [g for g in getter(filename) if g not in allowed]
    except Exception:  # not a zip checkpoint, truncated, ...
        return None


def safe_torch_load(filename: str, map_location: Any = None) -> Any:
    """``torch.load(filename, weights_only=True)`` with a clear refusal message.

    Args:
        filename: path of the checkpoint.
        map_location: forwarded to :func:`torch.load`.

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafeCheckpointError: the pickle references a global that is not
            allowlisted (e.g. an object whose unpickling would run code, or a
            MAMP checkpoint's ``argparse.Namespace``: convert those with
            ``tools/convert/mamp_to_natmae.py``).
    """
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except Exception as err:  # pickle.UnpicklingError, RuntimeError
        if 'weights_only' not in str(err) and 'Unsupported global' not in str(err):
            raise UnreadableCheckpointError(f'cannot read checkpoint {filename}: {err}') from err
        names = _unsafe_globals(filename)
        what = ', '.join(names) if names else str(err).splitlines()[0]
        raise UnsafeCheckpointError(
            f'refusing to load checkpoint {filename}: it references Python '
            f'objects outside the safe allowlist ({what}). Loading it would '
            'allow arbitrary code to run, so it was not unpickled. If it is a '
            'MAMP checkpoint, convert it with tools/convert/mamp_to_natmae.py; '
            'if you trust it and need one more class, add exactly that class '
            'with torch.serialization.add_safe_globals.', filename, names or []) from None


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename: str, map_location: Any = None) -> Any:
    """MMEngine's local scheme (plain paths), loading through :func:`safe_torch_load`."""
    filename = os.path.expanduser(filename)
    if filename.startswith('file://'):
        filename = filename[len('file://'):]
    return safe_torch_load(filename, map_location=map_location)


install_safe_globals()
