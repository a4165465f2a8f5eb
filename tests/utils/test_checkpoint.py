"""The safe loader: MMEngine checkpoints load, anything else is refused unexecuted."""
import builtins
import os
import os.path as osp
import pickle
import subprocess

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, load_checkpoint

import natmae_mm  # noqa: F401
from natmae_mm.engine.hooks.plain_runtime_info_hook import PlainRuntimeInfoHook
from natmae_mm.utils.checkpoint import (
    SAFE_GLOBALS,
    PlainHistoryBuffer,
    UnsafeCheckpointError,
    safe_torch_load,
)
from natmae_mm.utils.plain import to_plain

from ..tools.foundation_utils import PYTHON, REPO, env_with_repo


class RunsCode:
    """Unpickling this would create a file (stands for arbitrary code)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


@pytest.fixture()
def malicious(tmp_path):
    marker = str(tmp_path / 'pwned')
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}, 'payload': RunsCode(marker)}, path)
    return path, marker


def test_malicious_checkpoint_is_refused_and_not_executed(malicious):
    path, marker = malicious
    with pytest.raises(UnsafeCheckpointError) as err:
        safe_torch_load(path)
    assert path in str(err.value) and 'system' in str(err.value)
    assert not osp.exists(marker)


def test_mmengine_loaders_go_through_the_safe_loader(malicious):
    path, marker = malicious
    with pytest.raises(UnsafeCheckpointError):
        CheckpointLoader.load_checkpoint(path)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(torch.nn.Linear(2, 2), path)
    # torch's own default stays safe too: nothing was switched off globally
    with pytest.raises(pickle.UnpicklingError, match='weights_only'):
        torch.load(path)
    assert not osp.exists(marker)


def test_test_tool_refuses_malicious_checkpoint(tmp_path, malicious):
    from ..tools.foundation_utils import write_tiny_annotation, write_tiny_config
    path, marker = malicious
    cfg = write_tiny_config(tmp_path, write_tiny_annotation(str(tmp_path / 'a.pkl')))
    res = subprocess.run([PYTHON, osp.join(REPO, 'tools', 'test.py'), cfg, path,
                          '--work-dir', str(tmp_path / 'w')], env=env_with_repo(),
                         capture_output=True, text=True, timeout=240)
    assert res.returncode != 0
    assert 'refusing to load checkpoint' in res.stderr
    assert not osp.exists(marker)


def test_getattr_is_not_allowlisted():
    assert builtins.getattr not in SAFE_GLOBALS
    allowed = getattr(torch.serialization, 'get_safe_globals', lambda: [])()
    assert builtins.getattr not in allowed


def test_missing_and_truncated_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_torch_load(str(tmp_path / 'nope.pth'))
    good = str(tmp_path / 'good.pth')
    torch.save({'state_dict': {'w': torch.arange(1000.)}}, good)
    bad = str(tmp_path / 'bad.pth')
    with open(good, 'rb') as f, open(bad, 'wb') as g:
        g.write(f.read()[:200])
    with pytest.raises(RuntimeError, match='bad.pth'):
        safe_torch_load(bad)


def test_message_hub_state_round_trips_through_safe_loader(tmp_path):
    hub = MessageHub.get_instance('ckpt-test')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_info('iter', np.int64(7))
    checkpoint = {'message_hub': hub.state_dict(), 'meta': {'seed': np.int64(3)}}
    PlainRuntimeInfoHook().before_save_checkpoint(None, checkpoint)
    assert type(checkpoint['message_hub']['log_scalars']['train/loss']) is PlainHistoryBuffer
    # the live hub keeps its own buffers untouched
    assert type(hub.get_scalar('train/loss')) is HistoryBuffer
    path = str(tmp_path / 'hub.pth')
    torch.save(checkpoint, path)
    loaded = safe_torch_load(path)
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert buf.mean() == pytest.approx(1.0) and buf.current() == pytest.approx(0.5)
    assert loaded['message_hub']['runtime_info']['iter'] == 7
    assert type(loaded['meta']['seed']) is int


def test_to_plain_converts_nested_numpy_values():
    value = {'a': [np.float32(1.5), (np.int64(2), 'x')], 'b': np.array(3.0)}
    out = to_plain(value)
    assert out == {'a': [1.5, (2, 'x')], 'b': 3.0}
    assert type(out['a'][0]) is float and type(out['a'][1][0]) is int
