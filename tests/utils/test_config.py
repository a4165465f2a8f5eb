"""load_config: the one config loader (missing file, overrides)."""
import pytest

from natmae_mm.utils.config import load_config


def test_reads_file_and_merges_overrides(tmp_path):
    path = tmp_path / 'c.py'
    path.write_text("model = dict(depth=8, dim=256)\nname = 'x'\n")
    cfg = load_config(str(path), {'model.depth': 2})
    assert cfg.model == dict(depth=2, dim=256) and cfg.name == 'x'
    assert load_config(str(path)).model.depth == 8


def test_missing_file_names_it(tmp_path):
    with pytest.raises(SystemExit, match=r'config file not found: .*nope\.py'):
        load_config(str(tmp_path / 'nope.py'))
