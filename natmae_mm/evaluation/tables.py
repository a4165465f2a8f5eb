"""Mean and sample standard deviation over seeds, as markdown and CSV tables.

The summaries of ``tools/analysis/compare_targets.py`` and
``tools/analysis/semi_supervised.py``: :func:`summarize` groups per-run
records (e.g. by target and contrast) and reduces each metric with
:func:`mean_std`; :func:`write_table` writes both files atomically.
"""
import csv
import io
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..utils.atomic import atomic_write_text


def mean_std(values: Sequence[Optional[float]]) -> Tuple[Optional[float], Optional[float], int]:
    """Mean and sample standard deviation (ddof=1) of the non-missing values.

    Args:
        values (Sequence[float, optional]): one value per seed; None is missing.

    Returns:
        Tuple[float, float, int]: ``(mean, std, n)``; ``mean`` is ``None``
        when ``n == 0`` and ``std`` is ``None`` when ``n < 2``.
    """
    vals = [float(v) for v in values if v is not None]
    n = len(vals)
    if n == 0:
        return None, None, 0
    mean = sum(vals) / n
    if n < 2:
        return mean, None, n
    return mean, math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)), n


def summarize(records: Sequence[Dict[str, Any]], group_keys: Sequence[str],
              metric_keys: Sequence[str]) -> List[Dict[str, Any]]:
    """Group ``records`` by ``group_keys`` (first-seen order) and reduce each metric.

    Each output row holds the group keys, ``n`` (records in the group) and
    ``{metric}_mean`` / ``{metric}_std`` for every metric key.

    Args:
        records (Sequence[dict]): one record per run.
        group_keys (Sequence[str]): the keys that define a group.
        metric_keys (Sequence[str]): the metrics to reduce.

    Returns:
        List[dict]: one row per group.
    """
    groups: Dict[Tuple, List[Dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault(tuple(rec.get(k) for k in group_keys), []).append(rec)
    rows = []
    for key, recs in groups.items():
        row: Dict[str, Any] = dict(zip(group_keys, key))
        row['n'] = len(recs)
        for metric in metric_keys:
            mean, std, _ = mean_std([r.get(metric) for r in recs])
            row[metric + '_mean'] = mean
            row[metric + '_std'] = std
        rows.append(row)
    return rows


def _fmt(value: Any, digits: int) -> str:
    if value is None:
        return ''
    if isinstance(value, float):
        return f'{value:.{digits}f}'
    return str(value)


def write_table(rows: Sequence[Dict[str, Any]], columns: Sequence[Tuple[str, str]],
                md_path: str, csv_path: str, title: str = '', digits: int = 2) -> None:
    """Write ``rows`` as a markdown table and a CSV file (both atomically).

    Args:
        rows (Sequence[dict]): one dict per row.
        columns (Sequence[Tuple[str, str]]): ``(key, header)`` pairs. In
            markdown, a ``{m}_mean`` column directly followed by ``{m}_std`` is
            printed as one ``mean ± std`` cell; the CSV keeps every column
            separately, with raw values.
        md_path (str): markdown output path.
        csv_path (str): CSV output path.
        title (str): heading line of the markdown file. Defaults to ``''``
            (none).
        digits (int): decimals printed in markdown. Defaults to 2.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow([key for key, _ in columns])
    for row in rows:
        writer.writerow(['' if row.get(k) is None else row.get(k) for k, _ in columns])
    atomic_write_text(csv_path, buf.getvalue())

    cells: List[Tuple[str, Any]] = []  # (header, key or (mean, std) pair)
    i = 0
    while i < len(columns):
        key, header = columns[i]
        nxt = columns[i + 1][0] if i + 1 < len(columns) else None
        if key.endswith('_mean') and nxt == key[:-5] + '_std':
            cells.append((header, (key, nxt)))
            i += 2
        else:
            cells.append((header, key))
            i += 1
    lines = [f'# {title}', ''] if title else []
    lines.append('| ' + ' | '.join(h for h, _ in cells) + ' |')
    lines.append('|' + '|'.join('---' for _ in cells) + '|')
    for row in rows:
        out = []
        for _, key in cells:
            if isinstance(key, tuple):
                mean, std = row.get(key[0]), row.get(key[1])
                text = _fmt(mean, digits)
                if mean is not None and std is not None:
                    text += f' ± {std:.{digits}f}'
                out.append(text or 'n/a')
            else:
                out.append(_fmt(row.get(key), digits))
        lines.append('| ' + ' | '.join(out) + ' |')
    atomic_write_text(md_path, '\n'.join(lines) + '\n')


