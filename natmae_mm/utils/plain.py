"""Plain Python values: what JSON and torch's safe loader can hold.

Checkpoint metadata, the runner's runtime state, experiment records and the
arguments of converted checkpoints all have to be written without numpy or
torch scalar types (``torch.load(weights_only=True)`` refuses numpy's scalar
constructor; JSON cannot encode either). :func:`to_plain` is the one
conversion every writer uses.
"""
import math
from typing import Any, Callable, Optional

_PLAIN = (str, int, float, bool, type(None))


def to_plain(value: Any, fallback: Optional[Callable[[Any], Any]] = None,
             finite: bool = False) -> Any:
    """Recursively turn scalars of numpy / torch into Python numbers.

    A zero-dimensional value with ``.item()`` (numpy scalar, 0-d array, 0-d
    tensor) becomes its Python number; dicts, lists and tuples are rebuilt
    with the same type and converted values; ``str``, ``int``, ``float``,
    ``bool`` and ``None`` stay as they are.

    Args:
        value (Any): the value to convert.
        fallback (Callable, optional): applied to any other value (e.g.
            ``repr`` to keep only plain types). Defaults to None (other values
            are returned unchanged).
        finite (bool): turn NaN and infinities into ``None`` (JSON has no
            NaN). Defaults to False.

    Returns:
        Any: the converted value.
    """
    if getattr(value, 'ndim', None) == 0 and hasattr(value, 'item'):
        value = value.item()
    if isinstance(value, float) and finite and not math.isfinite(value):
        return None
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return type(value)((k, to_plain(v, fallback, finite)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(v, fallback, finite) for v in value)
    return value if fallback is None else fallback(value)
