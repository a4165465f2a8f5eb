"""Shared pieces of the converters: problem reports, summaries and atomic writes.

A converter keeps going when one input is bad: every problem becomes a
:class:`Problem` (file, line, reason), the sample is left out, and the run ends
with :meth:`ConversionReport.summary`. The annotation file is written to a
temporary name in the target directory and moved into place with
``os.replace``, so an interrupted run never leaves a half-written file.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress

from natmae_mm.utils.atomic import atomic_pickle_dump
from natmae_mm.utils.errors import InvalidInputError


class ConversionError(InvalidInputError):
    """A malformed input; ``line`` is 1-based (None when not line-specific)."""

    def __init__(self, reason: str, line: Optional[int] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class SkipSample(Exception):
    """A well-formed input without a usable skeleton (listed, not an error)."""


@dataclass
class Problem:
    """One input that could not be (fully) converted."""

    file: str
    reason: str
    line: Optional[int] = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f'{self.file}:{self.line}'
        return f'{where}: {self.reason}'


@dataclass
class Batch:
    """Several annotations from one input (e.g. the actions of a PKU-MMD video)."""

    annotations: List[Dict] = field(default_factory=list)
    errors: List[Problem] = field(default_factory=list)
    skipped: List[Problem] = field(default_factory=list)


@dataclass
class ConversionReport:
    """Collects errors (malformed inputs) and skips (valid but unusable inputs)."""

    errors: List[Problem] = field(default_factory=list)
    skipped: List[Problem] = field(default_factory=list)
    converted: int = 0

    def summary(self, max_lines: int = 50) -> str:
        """Human-readable summary: counts, then every error and skip (capped)."""
        out = [f'converted: {self.converted}, skipped (no usable skeleton): '
               f'{len(self.skipped)}, errors: {len(self.errors)}']
        for title, items in (('errors', self.errors), ('skipped', self.skipped)):
            if items:
                out.append(f'{title}:')
                out.extend(f'  {p}' for p in items[:max_lines])
                if len(items) > max_lines:
                    out.append(f'  ... and {len(items) - max_lines} more')
        return '\n'.join(out)


def check_finite(array: np.ndarray, what: str) -> None:
    """Raise :class:`ConversionError` if ``array`` has NaN/inf values."""
    if not np.isfinite(array).all():
        idx = tuple(np.argwhere(~np.isfinite(array))[0].tolist())
        raise ConversionError(f'{what} has non-finite values (first at index {idx})')


def make_annotation(frame_dir: str, label: int, keypoint: np.ndarray) -> Dict:
    """One MMAction2 skeleton annotation; keypoint (M, T, V, C) stored as float32."""
    keypoint = np.ascontiguousarray(keypoint, dtype=np.float32)
    return dict(frame_dir=frame_dir, label=int(label), total_frames=int(keypoint.shape[1]),
                keypoint=keypoint)




def write_annotation_file(annotations: List[Dict], splits: Dict[str, List[str]],
                          path: str) -> None:
    """Write ``{'split', 'annotations'}`` atomically; split lists keep only converted samples."""
    names = {a['frame_dir'] for a in annotations}
    split = {k: [n for n in v if n in names] for k, v in splits.items()}
    atomic_pickle_dump(dict(split=split, annotations=annotations), path)


def _guarded(task) -> Tuple[str, object]:
    """Run ``func(path)`` in a worker; problems come back as data, not exceptions."""
    func, path = task
    try:
        return 'ok', func(path)
    except ConversionError as exc:
        return 'error', Problem(path, exc.reason, exc.line)
    except SkipSample as exc:
        return 'skip', Problem(path, str(exc))
    except OSError as exc:
        return 'error', Problem(path, f'cannot read: {exc.strerror or exc}')


def convert_files(func: Callable[[str], Union[Dict, Batch]], paths: Sequence[str], workers: int = 1,
                  report: Optional[ConversionReport] = None,
                  progress: bool = True) -> Tuple[List[Dict], ConversionReport]:
    """Apply ``func`` to every path (in ``workers`` processes) with a progress bar.

    Returns:
        tuple: the annotations in the order of ``paths`` and the report.
    """
    report = report or ConversionReport()
    tasks = [(func, p) for p in paths]
    if not tasks:
        return [], report
    if not progress:
        results = [_guarded(t) for t in tasks]
    elif workers > 1:
        results = track_parallel_progress(_guarded, tasks, nproc=workers,
                                          chunksize=max(1, min(64, len(tasks) // (8 * workers))))
    else:
        results = track_progress(_guarded, tasks)
    annotations = []
    for kind, value in results:
        if kind == 'ok' and isinstance(value, Batch):
            annotations.extend(value.annotations)
            report.errors.extend(value.errors)
            report.skipped.extend(value.skipped)
        elif kind == 'ok':
            annotations.append(value)
        else:
            (report.errors if kind == 'error' else report.skipped).append(value)
    report.converted += len(annotations)
    return annotations, report
