"""Restricted unpickling of data files: annotation pickles and prediction dumps.

A pickle may name any Python global and call it while it is read, so a
downloaded ``ntu60_3d.pkl`` or a colleague's ``preds.pkl`` could run code.
The formats we read hold only data, so :class:`RestrictedUnpickler` resolves
exactly the globals they need and refuses every other one in
:meth:`~RestrictedUnpickler.find_class`, i.e. before the object that would use
it is built (nothing of it is called):

* builtin containers and scalars (``dict``, ``list``, ``tuple``, ``str``,
  numbers are pickle opcodes; ``set``, ``frozenset``, ``complex``, ``bytes``,
  ``bytearray`` and ``_codecs.encode`` (bytes under protocol 2) are globals);
* NumPy arrays, dtypes and scalars (:data:`DATA_GLOBALS`), under both the
  numpy 1.x (``numpy.core``) and 2.x (``numpy._core``) module names;
* for prediction dumps (``tools/test.py --dump``: MMEngine's ``DumpResults``
  writes a list of dicts of tensors with ``pickle``), the tensor globals that
  ``torch.load(weights_only=True)`` allows. A tensor's storage pickles as
  ``torch.storage._load_from_bytes(b)``, which would call ``torch.load(b,
  weights_only=False)``; we substitute a loader that reads ``b`` with
  ``weights_only=True``.

Refusals raise :class:`UnsafePickleError` naming the file and the global.
:data:`DATA_GLOBALS` is also the data part of the checkpoint allowlist
(:data:`natmae_mm.utils.checkpoint.SAFE_GLOBALS`), so there is one list.
"""
import _codecs
import _compat_pickle
import collections
import contextlib
import io
import os
import os.path as osp
import pickle
import re
from typing import Any, Callable, Dict, Iterator, Optional

import numpy as np

from .errors import InvalidInputError, UnsafeFileError


def _numpy_modules() -> Dict[str, Any]:
    """numpy 2 renamed ``numpy.core`` to ``numpy._core``; pickles use either name."""
    try:
        from numpy._core import multiarray, numeric
    except ImportError:  # numpy < 2
        from numpy.core import multiarray, numeric
    return {'multiarray': multiarray, 'numeric': numeric}


def _build_data_globals() -> Dict[str, Any]:
    mods = _numpy_modules()
    table: Dict[str, Any] = {
        'builtins.set': set,
        'builtins.frozenset': frozenset,
        'builtins.complex': complex,
        'builtins.bytes': bytes,
        'builtins.bytearray': bytearray,
        '_codecs.encode': _codecs.encode,
        'collections.OrderedDict': collections.OrderedDict,
        'numpy.ndarray': np.ndarray,
        'numpy.dtype': np.dtype,
    }
    for core in ('numpy.core', 'numpy._core'):
        table[f'{core}.multiarray._reconstruct'] = mods['multiarray']._reconstruct
        table[f'{core}.multiarray.scalar'] = mods['multiarray'].scalar
        # protocol 5 (HIGHEST_PROTOCOL, used by our atomic writer) pickles
        # contiguous arrays as _frombuffer(buffer, dtype, shape, order)
        table[f'{core}.numeric._frombuffer'] = mods['numeric']._frombuffer
    dtypes = getattr(np, 'dtypes', None)  # numpy >= 1.25: numpy.dtypes.Float32DType, ...
    for name in dir(dtypes) if dtypes is not None else ():
        obj = getattr(dtypes, name)
        if name.endswith('DType') and isinstance(obj, type):
            table[f'numpy.dtypes.{name}'] = obj
    return table


#: ``'module.name' -> object`` of every non-torch global a data file may name.
DATA_GLOBALS: Dict[str, Any] = _build_data_globals()

_TORCH_GLOBALS: Optional[Dict[str, Any]] = None


def _torch_globals() -> Dict[str, Any]:
    """The globals ``torch.load(weights_only=True)`` allows (torch's own table)."""
    global _TORCH_GLOBALS
    if _TORCH_GLOBALS is None:
        import torch
        try:  # torch's own table (private, but present since torch 1.13)
            from torch._weights_only_unpickler import _get_allowed_globals
            table = {k: v for k, v in _get_allowed_globals().items() if k.startswith('torch')}
        except (ImportError, AttributeError):
            table = {}
        # what a plainly pickled tensor names besides its storage (always needed)
        table.setdefault('torch._utils._rebuild_tensor_v2', torch._utils._rebuild_tensor_v2)
        table.setdefault('torch._utils._rebuild_parameter', torch._utils._rebuild_parameter)
        table.setdefault('torch.Size', torch.Size)
        table.setdefault('torch.device', torch.device)
        _TORCH_GLOBALS = table
    return _TORCH_GLOBALS


class UnsafePickleError(UnsafeFileError):
    """A data pickle names a global outside the allowlist; it was not loaded."""


def _refusal(filename: str, what: str, name: str) -> UnsafePickleError:
    return UnsafePickleError(
        f'refusing to load {what} {filename}: it references the Python global {name}, '
        'which is not allowed in a data file (allowed: builtin containers and scalars, '
        'NumPy arrays, dtypes and scalars, torch tensors). Unpickling it could run '
        'arbitrary code, so the file was not loaded.', filename, [name])


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves only allowlisted globals.

    Args:
        file (file-like): Binary stream to read.
        filename (str): Name used in error messages. Defaults to ``'<stream>'``.
        what (str): What the file is, for messages (``'annotation file'``).
            Defaults to ``'file'``.
    """

    def __init__(self, file, filename: str = '<stream>', what: str = 'file') -> None:
        super().__init__(file)
        self.filename = filename
        self.what = what

    def find_class(self, module: str, name: str) -> Any:
        # protocol <= 2 pickles use Python 2 names (__builtin__.set, ...)
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full = f'{module}.{name}'
        if full in DATA_GLOBALS:
            return DATA_GLOBALS[full]
        if full == 'torch.storage._load_from_bytes':
            return self._load_storage_bytes
        if module == 'torch' or module.startswith('torch.'):
            obj = _torch_globals().get(full)
            if obj is not None:
                return obj
        raise _refusal(self.filename, self.what, full)

    def _load_storage_bytes(self, data: bytes) -> Any:
        """``torch.storage._load_from_bytes`` with the safe loader (``weights_only=True``)."""
        import torch
        try:
            return torch.load(io.BytesIO(data), weights_only=True)
        except pickle.UnpicklingError as exc:
            found = re.search(r'GLOBAL ([\w.]+)', str(exc))
            raise _refusal(self.filename, self.what,
                           found.group(1) if found else 'in a tensor storage') from None


def safe_pickle_loads(data: bytes, filename: str = '<bytes>', what: str = 'data') -> Any:
    """Unpickle ``data`` with :class:`RestrictedUnpickler`.

    Args:
        data (bytes): The pickle.
        filename (str): Name used in error messages. Defaults to ``'<bytes>'``.
        what (str): What it is, for messages. Defaults to ``'data'``.

    Returns:
        Any: The unpickled object.

    Raises:
        UnsafePickleError: It names a global outside the allowlist.
        InvalidInputError: It is not a readable pickle (truncated, garbage).
    """
    try:
        return RestrictedUnpickler(io.BytesIO(data), filename, what).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # UnpicklingError, EOFError, ValueError, ... from bad bytes
        raise InvalidInputError(f'cannot read {what} {filename}: '
                                f'{type(exc).__name__}: {exc}') from exc


def safe_pickle_load(filename: str, what: str = 'file') -> Any:
    """Read the pickle file ``filename`` with :class:`RestrictedUnpickler`.

    Args:
        filename (str): Path of the file.
        what (str): What the file is, for messages (``'annotation file'``,
            ``'prediction dump'``). Defaults to ``'file'``.

    Returns:
        Any: The unpickled object.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        IsADirectoryError: ``filename`` is a directory.
        InvalidInputError: The file is empty or not a readable pickle.
        UnsafePickleError: It names a global outside the allowlist (the
            message names the file and the global).
    """
    filename = os.fspath(filename)
    if not osp.exists(filename):
        raise FileNotFoundError(f'{what} not found: {filename}')
    if osp.isdir(filename):
        raise IsADirectoryError(f'{what} is a directory: {filename}')
    if osp.getsize(filename) == 0:
        raise InvalidInputError(f'{what} is empty: {filename}')
    with open(filename, 'rb') as f:
        return safe_pickle_loads(f.read(), filename, what)


class _MMEngineSafePickleHandler:
    """MMEngine file handler reading ``.pkl`` through :func:`safe_pickle_loads`."""

    str_like = False

    def __init__(self, filename: str, what: str,
                 on_load: Optional[Callable[[Any], Any]]) -> None:
        self.filename, self.what, self.on_load = filename, what, on_load

    def load_from_fileobj(self, file, **kwargs) -> Any:
        obj = safe_pickle_loads(file.read(), self.filename, self.what)
        return obj if self.on_load is None else self.on_load(obj)


@contextlib.contextmanager
def mmengine_safe_pickle(filename: str, what: str = 'file',
                         on_load: Optional[Callable[[Any], Any]] = None) -> Iterator[None]:
    """Within the block, ``mmengine.load`` reads ``.pkl``/``.pickle`` safely.

    MMEngine picks a reader per file extension from its handler table; this
    puts the restricted reader there for the duration of the block (host code
    such as ``PoseDataset.load_data_list`` then reads through it) and restores
    MMEngine's own afterwards.

    Args:
        filename (str): The file the block reads, for messages.
        what (str): What it is, for messages. Defaults to ``'file'``.
        on_load (callable, optional): Called with the loaded object; what it
            returns is handed to the host instead (validate or adapt the
            object there). Defaults to None (hand over the object as loaded).
    """
    from mmengine.fileio.handlers import file_handlers
    handler = _MMEngineSafePickleHandler(filename, what, on_load)
    saved = {fmt: file_handlers.get(fmt) for fmt in ('pkl', 'pickle')}
    for fmt in saved:
        file_handlers[fmt] = handler
    try:
        yield
    finally:
        for fmt, old in saved.items():
            if old is None:
                file_handlers.pop(fmt, None)
            else:
                file_handlers[fmt] = old
