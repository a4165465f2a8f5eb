"""tools/analysis/knn_eval.py on tiny data: pretraining and recognizer checkpoints."""
import json
import runpy

import pytest
import torch

from natmae_mm.evaluation.builders import build_feature_dataloader, build_model_from_checkpoint
from natmae_mm.evaluation.features import extract_features
from natmae_mm.evaluation.knn import knn_accuracy
from natmae_mm.utils.config import load_config

from .analysis_fixtures import ROOT, make_tiny_setup


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    return make_tiny_setup(tmp_path_factory.mktemp('knn'))


@pytest.fixture(scope='module')
def tool():
    return runpy.run_path(f'{ROOT}/tools/analysis/knn_eval.py', run_name='tool')


def test_knn_tool_matches_direct_computation(tiny, tool, tmp_path):
    out = tmp_path / 'knn.json'
    res = tool['main']([tiny.pre_cfg, tiny.pre_ckpt, '--k', '3', '--out', str(out)])
    assert res['num_train'] == 12 and res['num_val'] == 6   # performers 1,2 vs 3
    assert json.loads(out.read_text())['top1'] == res['top1']
    # independent path: features straight from the backbone of the loaded NATMAE
    cfg = load_config(tiny.pre_cfg)
    model = build_model_from_checkpoint(cfg, tiny.pre_ckpt)
    feats = {}
    for split in ('xsub_train', 'xsub_val'):
        rows, labels = [], []
        for data in build_feature_dataloader(cfg, split):
            data = model.data_preprocessor(data, False)
            x = data['inputs'][:, 0]                                     # (N, M, T, V, C)
            N, M = x.shape[:2]
            tok = model.backbone.forward_tokens(x.flatten(0, 1))         # (N*M, L, C)
            rows.append(tok.mean(1).reshape(N, M, -1).mean(1))
            labels += [int(s.gt_labels.item if 'gt_labels' in s else s.gt_label)
                       for s in data['data_samples']]
        feats[split] = torch.cat(rows), torch.tensor(labels)
    expect = knn_accuracy(*feats['xsub_train'], *feats['xsub_val'], k=3)
    assert res['top1'] == pytest.approx(expect['top1'])
    assert 0 <= res['top1'] <= 100 and res['top5'] == 100.0   # 3 classes: top-5 trivially


def test_recognizer_features_are_pooled_backbone_output(tiny):
    cfg = load_config(tiny.lin_cfg)
    model = build_model_from_checkpoint(cfg, tiny.lin_ckpt)
    loader = build_feature_dataloader(cfg, 'xsub_val')
    feats, labels = extract_features(model, loader)
    assert feats.shape == (6, 16) and labels.tolist() == sorted(labels.tolist())
    data = model.data_preprocessor(next(iter(loader)), False)
    out = model.backbone(data['inputs'][:, 0])                           # (N, M, C, T', V)
    torch.testing.assert_close(feats[:len(out)], out.mean(dim=(1, 3, 4)))


def test_knn_tool_errors(tiny, tool, tmp_path):
    with pytest.raises(SystemExit, match='config file not found'):
        tool['main']([str(tmp_path / 'missing.py'), tiny.pre_ckpt])
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        tool['main']([tiny.pre_cfg, str(tmp_path / 'missing.pth')])
    with pytest.raises(FileNotFoundError, match='annotation file not found'):
        tool['main']([tiny.pre_cfg, 'none', '--ann-file', str(tmp_path / 'nope.pkl')])
