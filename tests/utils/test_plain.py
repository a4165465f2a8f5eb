"""to_plain: numpy / torch scalars to Python values, recursively."""
import math

import numpy as np
import torch

from natmae_mm.utils.plain import to_plain


def test_scalars_of_numpy_and_torch_become_python_numbers():
    out = to_plain({'a': [np.float32(1.5), (np.int64(2), 'x')], 'b': np.array(3.0),
                    'c': torch.tensor(4), 'd': None, 'e': True})
    assert out == {'a': [1.5, (2, 'x')], 'b': 3.0, 'c': 4, 'd': None, 'e': True}
    assert type(out['a'][0]) is float and type(out['a'][1][0]) is int
    assert type(out['a'][1]) is tuple and type(out['c']) is int


def test_other_values_unchanged_or_through_fallback():
    arr = np.zeros(3)
    assert to_plain([arr])[0] is arr                      # not a scalar: left alone
    assert to_plain({'x': {1, 2}}, fallback=repr) == {'x': '{1, 2}'}
    assert to_plain(['s', 1], fallback=repr) == ['s', 1]   # plain values never go through it


def test_finite_turns_nan_and_inf_into_none():
    assert to_plain([float('nan'), np.float64('inf'), 1.0], finite=True) == [None, None, 1.0]
    assert math.isnan(to_plain(np.float32('nan')))        # kept without finite=True
