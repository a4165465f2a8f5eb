"""configs/natmae/metafile.yml points at existing configs and pretraining entries."""
import os.path as osp

import yaml

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def test_metafile_links():
    meta = yaml.safe_load(open(osp.join(ROOT, 'configs', 'natmae', 'metafile.yml')))
    names = [m['Name'] for m in meta['Models']]
    assert len(names) == len(set(names))
    collections = {c['Name'] for c in meta['Collections']}
    for m in meta['Models']:
        assert m['In Collection'] in collections
        assert osp.isfile(osp.join(ROOT, m['Config'])), m['Config']
        parent = m['Metadata'].get('Pretrained')
        if parent is not None:  # a downstream result names its pretraining entry
            assert parent in names and 'Results' in m
            assert 0 < m['Results'][0]['Metrics']['Top 1 Accuracy'] <= 100
        assert m['Weights'] is None  # nothing released: no fake links
