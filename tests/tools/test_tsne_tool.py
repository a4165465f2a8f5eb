"""tools/analysis/tsne.py on tiny data writes a readable PNG of the chosen classes."""
import runpy

import matplotlib.image as mpimg
import numpy as np
import pytest

from .analysis_fixtures import ROOT, make_tiny_setup


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    return make_tiny_setup(tmp_path_factory.mktemp('tsne'))


@pytest.fixture(scope='module')
def tool():
    return runpy.run_path(f'{ROOT}/tools/analysis/tsne.py', run_name='tool')


def test_tsne_png_from_pretrain_and_recognizer_checkpoints(tiny, tool, tmp_path):
    out = tmp_path / 'fig' / 'tsne.png'
    tool['main']([tiny.pre_cfg, tiny.pre_ckpt, '--out', str(out), '--classes', '2',
                  '--split', 'xsub_train'])
    img = mpimg.imread(out)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0.01                      # not a blank canvas
    assert sorted(p.name for p in out.parent.iterdir()) == ['tsne.png']  # no temporaries
    out2 = tmp_path / 'rec.png'
    tool['main']([tiny.lin_cfg, tiny.lin_ckpt, '--out', str(out2), '--classes', '3'])
    assert mpimg.imread(out2).shape[0] > 100


def test_tsne_embed_keeps_well_separated_clusters_apart(tool):
    rng = np.random.default_rng(0)
    a = rng.normal(0, 0.1, (10, 8))
    b = rng.normal(0, 0.1, (10, 8)) + 5
    emb = tool['tsne_embed'](np.concatenate([a, b]), seed=0)
    assert emb.shape == (20, 2)
    ca, cb = emb[:10].mean(0), emb[10:].mean(0)
    spread = max(emb[:10].std(0).max(), emb[10:].std(0).max())
    assert np.linalg.norm(ca - cb) > 3 * spread
    with pytest.raises(ValueError, match='at least 5'):
        tool['tsne_embed'](a[:3])


def test_tsne_tool_errors(tiny, tool, tmp_path):
    with pytest.raises(SystemExit, match='--classes'):
        tool['main']([tiny.pre_cfg, tiny.pre_ckpt, '--out', str(tmp_path / 'x.png'),
                      '--classes', '0'])
    with pytest.raises(SystemExit):
        tool['main']([tiny.pre_cfg, tiny.pre_ckpt])       # --out is required
