"""tools/publish_model.py and tools/convert/extract_backbone.py on small checkpoints."""
import argparse
import hashlib
import importlib.util
import os
import os.path as osp

import pytest
import torch

import natmae_mm  # noqa: F401
from natmae_mm.utils.checkpoint import UnsafeCheckpointError, safe_torch_load

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def _tool(rel):
    spec = importlib.util.spec_from_file_location(rel.replace('/', '_')[:-3], osp.join(ROOT, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


publish = _tool('tools/publish_model.py')
extract = _tool('tools/convert/extract_backbone.py')


def _ckpt(path):
    state = {'backbone.joint_embed.weight': torch.randn(4, 12),
             'backbone.blocks.0.attn.qkv.bias': torch.randn(12),
             'neck.mask_token': torch.randn(1, 1, 4),
             'contrast.momentum_encoder.module.joint_embed.weight': torch.randn(4, 12),
             'contrast.queue': torch.randn(8, 4)}
    torch.save(dict(state_dict=state, meta=dict(epoch=3, cfg='x = 1'),
                    optimizer=dict(state={}, param_groups=[dict(lr=0.1, params=[0])]),
                    message_hub=dict(log_scalars={})), path)
    return state


def test_publish_keeps_weights_and_meta_and_names_by_hash(tmp_path):
    src = str(tmp_path / 'epoch_3.pth')
    state = _ckpt(src)
    out = publish.publish(src, str(tmp_path / 'out' / 'model.pth'), date='20240102')
    with open(out, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert osp.basename(out) == f'model_20240102-{digest[:8]}.pth'
    ckpt = safe_torch_load(out)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert ckpt['meta'] == dict(epoch=3, cfg='x = 1')
    for k, v in state.items():
        torch.testing.assert_close(ckpt['state_dict'][k], v)
    assert os.listdir(tmp_path / 'out') == [osp.basename(out)]  # no temporary left


def test_publish_cli_uses_today(tmp_path, capsys):
    src = str(tmp_path / 'a.pth')
    _ckpt(src)
    out = publish.main([src, str(tmp_path / 'm')])
    assert capsys.readouterr().out.strip() == out
    import time
    assert f"_{time.strftime('%Y%m%d', time.gmtime())}-" in osp.basename(out)


def test_extract_keeps_only_online_encoder(tmp_path):
    src = str(tmp_path / 'epoch_3.pth')
    state = _ckpt(src)
    dst = str(tmp_path / 'bb' / 'backbone.pth')
    extract.main([src, dst])
    ckpt = safe_torch_load(dst)
    assert set(ckpt['state_dict']) == {'backbone.joint_embed.weight',
                                       'backbone.blocks.0.attn.qkv.bias'}
    torch.testing.assert_close(ckpt['state_dict']['backbone.joint_embed.weight'],
                               state['backbone.joint_embed.weight'])
    assert ckpt['meta']['extracted_from'] == 'epoch_3.pth'
    assert os.listdir(tmp_path / 'bb') == ['backbone.pth']


def test_missing_input(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        publish.publish(str(tmp_path / 'nope.pth'), str(tmp_path / 'x'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        extract.extract(str(tmp_path / 'nope.pth'), str(tmp_path / 'x.pth'))


def test_no_state_dict_or_no_backbone(tmp_path):
    bad = str(tmp_path / 'bad.pth')
    torch.save(dict(model={'w': torch.zeros(1)}), bad)
    with pytest.raises(ValueError, match="bad.pth.*'state_dict'"):
        publish.publish(bad, str(tmp_path / 'x'))
    with pytest.raises(ValueError, match="bad.pth.*'state_dict'"):
        extract.extract(bad, str(tmp_path / 'x.pth'))
    nobb = str(tmp_path / 'nobb.pth')
    torch.save(dict(state_dict={'neck.w': torch.zeros(1)}), nobb)
    with pytest.raises(ValueError, match=r"no 'backbone\.\*' weights.*neck"):
        extract.extract(nobb, str(tmp_path / 'x.pth'))
    assert not osp.exists(tmp_path / 'x.pth')


def test_unsafe_pickle_is_refused(tmp_path):
    evil = str(tmp_path / 'mamp.pth')
    torch.save(dict(state_dict={'backbone.w': torch.zeros(1)}, args=argparse.Namespace(a=1)),
               evil)
    with pytest.raises(UnsafeCheckpointError, match='mamp.pth'):
        publish.publish(evil, str(tmp_path / 'x'))
    with pytest.raises(UnsafeCheckpointError):
        extract.extract(evil, str(tmp_path / 'x.pth'))
