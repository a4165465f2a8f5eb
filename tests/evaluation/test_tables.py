"""Mean/std over seeds and the markdown/CSV tables (natmae_mm.evaluation.tables)."""
import math

import pytest

from natmae_mm.evaluation.tables import mean_std, summarize, write_table


def test_mean_std_hand_computed():
    mean, std, n = mean_std([1.0, 2.0, 3.0, 4.0])
    assert (mean, n) == (2.5, 4)
    assert std == pytest.approx(math.sqrt((1.5 ** 2 * 2 + 0.5 ** 2 * 2) / 3))
    assert mean_std([7.0, None]) == (7.0, None, 1)
    assert mean_std([]) == (None, None, 0)


def test_summarize_and_write_table(tmp_path):
    records = [dict(t='nat', s=0, acc=80.0), dict(t='nat', s=1, acc=84.0),
               dict(t='joint', s=0, acc=70.0)]
    rows = summarize(records, ['t'], ['acc'])
    assert [r['t'] for r in rows] == ['nat', 'joint']
    assert rows[0]['n'] == 2 and rows[0]['acc_mean'] == 82.0
    assert rows[0]['acc_std'] == pytest.approx(math.sqrt(8.0))
    assert rows[1]['acc_std'] is None
    md, csv_path = str(tmp_path / 'r.md'), str(tmp_path / 'r.csv')
    write_table(rows, [('t', 'Target'), ('n', 'n'), ('acc_mean', 'Acc'), ('acc_std', 'std')],
                md, csv_path, title='T')
    text = open(md).read()
    assert '| Target | n | Acc |' in text
    assert '| nat | 2 | 82.00 ± 2.83 |' in text
    assert '| joint | 1 | 70.00 |' in text
    lines = open(csv_path).read().splitlines()
    assert lines[0] == 't,n,acc_mean,acc_std'
    assert lines[2] == 'joint,1,70.0,'
    assert float(lines[1].split(',')[3]) == pytest.approx(math.sqrt(8.0))
