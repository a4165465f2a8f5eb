"""Atomic file output: long jobs never leave a half-written file behind.

Every writer in this package (annotation pickles, checkpoints, configs,
JSON records, tables, figures) goes through :func:`atomic_path`: the content is written to a
temporary file in the destination folder, flushed to disk, and renamed over
the destination with :func:`os.replace` (atomic on POSIX and Windows), so a
reader, or a resumed run, sees either the previous file or the complete new
one. On any error, including ``KeyboardInterrupt``, the temporary file is
removed and the destination is untouched.
"""
import json
import os
import os.path as osp
import pickle
import tempfile
from contextlib import contextmanager
from typing import Any, BinaryIO, Iterator, Optional

import torch

from .errors import InvalidInputError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str, suffix: str = '.tmp') -> Iterator[str]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    Args:
        path (str): the destination file.
        suffix (str): suffix of the temporary name (e.g. ``'.png'`` for
            writers that infer the format from it). Defaults to ``'.tmp'``.
    """
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', suffix=suffix,
                               dir=directory)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _fsync(path: str) -> None:
    with open(path, 'rb') as f:
        os.fsync(f.fileno())


@contextmanager
def _atomic_binary(path: str) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` once written and flushed to disk."""
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (flushed to disk before the rename).

    Args:
        path (str): the destination file.
        data (bytes): its new content.
    """
    with _atomic_binary(path) as f:
        f.write(data)


def atomic_write_text(path: str, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically.

    Args:
        path (str): the destination file.
        text (str): its new content.
    """
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_pickle_dump(obj: Any, path: str) -> None:
    """Pickle ``obj`` (highest protocol) to ``path`` atomically.

    Args:
        obj (Any): what to pickle.
        path (str): the destination file.
    """
    with _atomic_binary(path) as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save(obj)`` to ``path`` atomically.

    Args:
        obj (Any): what to save.
        path (str): the destination file.
    """
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
        _fsync(tmp)


def atomic_write_json(path: str, obj: Any) -> None:
    """Write ``obj`` to ``path`` atomically as indented JSON with sorted keys.

    Args:
        path (str): the destination file.
        obj (Any): a JSON-serialisable value (see
            :func:`natmae_mm.utils.plain.to_plain`).
    """
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + '\n')


class InvalidJSONError(InvalidInputError):
    """A JSON file of ours that does not parse (truncated by hand, or not ours)."""


def read_json(path: str) -> Optional[Any]:
    """The JSON content of ``path``, or ``None`` if the file is absent.

    Args:
        path (str): the file.

    Returns:
        Any: the parsed content, or None.

    Raises:
        InvalidJSONError: naming the file, when it is not valid JSON.
    """
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as err:
            raise InvalidJSONError(
                f'{path} is not valid JSON ({err}); it was not written by this tool '
                'or was edited by hand: delete it to rerun that run') from None
