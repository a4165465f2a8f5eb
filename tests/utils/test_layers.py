"""natmae_mm/utils/ is the bottom layer: it imports nothing of natmae_mm outside utils/.

Every module under ``natmae_mm/utils/`` is parsed (``ast``) and each import,
at module level or inside a function, is resolved to an absolute module name;
any that lies in ``natmae_mm`` but not in ``natmae_mm.utils`` (the top package
``natmae_mm`` included) is a violation.
"""
import ast
import os.path as osp
from pathlib import Path
from typing import List

import pytest

import natmae_mm

UTILS = Path(osp.dirname(natmae_mm.__file__)) / 'utils'


def imported_modules(source: str, module: str, is_package: bool = False) -> List[str]:
    """Absolute names of every module ``source`` imports (``from x import y`` gives ``x``
    and ``x.y``, as ``y`` may be a submodule), relative imports resolved against
    ``module``."""
    package = module if is_package else module.rpartition('.')[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split('.')
                if node.level > len(parts):
                    raise ValueError(f'{module}: relative import beyond the top package')
                base = '.'.join(parts[:len(parts) - node.level + 1])
                base = f'{base}.{node.module}' if node.module else base
            else:
                base = node.module
            names.append(base)
            names += [f'{base}.{alias.name}' for alias in node.names]
    return names


def violations(path: Path) -> List[str]:
    rel = path.relative_to(UTILS.parent.parent).with_suffix('')
    is_package = rel.name == '__init__'
    module = '.'.join(rel.parent.parts if is_package else rel.parts)
    bad = []
    for name in imported_modules(path.read_text(encoding='utf-8'), module, is_package):
        inside = name == 'natmae_mm' or name.startswith('natmae_mm.')
        if inside and not (name == 'natmae_mm.utils' or name.startswith('natmae_mm.utils.')):
            bad.append(name)
    return bad


def test_resolver_catches_every_way_out_of_utils():
    mod = 'natmae_mm.utils.x'
    cases = {
        'import natmae_mm': ['natmae_mm'],
        'from natmae_mm.models import X': ['natmae_mm.models', 'natmae_mm.models.X'],
        'from .. import models': ['natmae_mm', 'natmae_mm.models'],
        'from ..datasets.foo import Y': ['natmae_mm.datasets.foo', 'natmae_mm.datasets.foo.Y'],
        'def f():\n    from ...evaluation import knn\n': None,   # beyond the top package
        'def f():\n    import natmae_mm.engine\n': ['natmae_mm.engine'],
        'from .atomic import atomic_path': ['natmae_mm.utils.atomic',
                                            'natmae_mm.utils.atomic.atomic_path'],
    }
    for source, expected in cases.items():
        if expected is None:
            with pytest.raises(ValueError, match='beyond'):
                imported_modules(source, mod)
        else:
            assert imported_modules(source, mod) == expected, source
    assert imported_modules('from . import atomic', 'natmae_mm.utils', is_package=True) == \
        ['natmae_mm.utils', 'natmae_mm.utils.atomic']


@pytest.mark.parametrize('path', sorted(UTILS.rglob('*.py')), ids=lambda p: p.name)
def test_utils_module_imports_nothing_above_utils(path):
    assert violations(path) == [], f'{path} imports {violations(path)} from outside natmae_mm.utils'
