"""End-to-end checks of tools/train.py, tools/test.py, --resume after a kill,
and tools/dist_train.sh with two CPU processes (gloo)."""
import os
import os.path as osp
import signal
import subprocess
import time

import pytest
import torch

from natmae_mm.utils.checkpoint import safe_torch_load
from natmae_mm.utils.compat import get_pred_score
from natmae_mm.utils.safe_pickle import safe_pickle_load

from .foundation_utils import PYTHON, REPO, env_with_repo, write_tiny_annotation, write_tiny_config

HOOKS_IMPORT = ("custom_imports = dict(imports=['natmae_mm', 'tests.tools.tool_test_hooks'], "
                "allow_failed_imports=False)")


def run_tool(args, cwd, timeout=240):
    return subprocess.run([PYTHON] + args, cwd=cwd, env=env_with_repo(), timeout=timeout,
                          capture_output=True, text=True)


@pytest.fixture()
def tiny_job(tmp_path):
    ann = write_tiny_annotation(str(tmp_path / 'ann.pkl'))
    return tmp_path, ann


def test_train_then_test_then_dump(tiny_job):
    tmp_path, ann = tiny_job
    cfg = write_tiny_config(tmp_path, ann, max_epochs=2)
    work = str(tmp_path / 'work')
    res = run_tool([osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir', work,
                    '--seed', '3', '--cfg-options', 'default_hooks.logger.interval=2'], tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
    ckpt = safe_torch_load(osp.join(work, 'epoch_2.pth'))  # safe loader, no getattr
    assert ckpt['meta']['seed'] == 3 and 'optimizer' in ckpt

    dump = str(tmp_path / 'preds.pkl')
    res = run_tool([osp.join(REPO, 'tools', 'test.py'), cfg, osp.join(work, 'epoch_2.pth'),
                    '--work-dir', work, '--dump', dump], tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'acc/top1' in res.stdout + res.stderr
    preds = safe_pickle_load(dump, 'prediction dump')  # the restricted unpickler reads it
    assert len(preds) == 8  # every validation sample predicted once
    assert all(torch.is_tensor(get_pred_score(p)) for p in preds)


def test_test_tool_reports_missing_checkpoint(tiny_job):
    tmp_path, ann = tiny_job
    cfg = write_tiny_config(tmp_path, ann)
    res = run_tool([osp.join(REPO, 'tools', 'test.py'), cfg, str(tmp_path / 'nope.pth')],
                   tmp_path)
    assert res.returncode != 0
    assert 'checkpoint not found' in res.stderr and 'nope.pth' in res.stderr


def test_resume_after_kill_mid_epoch(tiny_job):
    tmp_path, ann = tiny_job
    extra = HOOKS_IMPORT + "\ncustom_hooks = [dict(type='SlowFromEpochHook', epoch=1, seconds=1.0)]"
    cfg = write_tiny_config(tmp_path, ann, max_epochs=3, batch_size=2, extra=extra)
    work = str(tmp_path / 'work')
    train = [PYTHON, osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir', work]
    proc = subprocess.Popen(train, cwd=REPO, env=env_with_repo(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 180
        while not osp.isfile(osp.join(work, 'epoch_1.pth')):
            assert proc.poll() is None, 'training ended before the first checkpoint'
            assert time.time() < deadline
            time.sleep(0.2)
        time.sleep(2.5)  # now inside epoch 2 (each iteration sleeps 1 s)
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert not osp.isfile(osp.join(work, 'epoch_2.pth'))

    res = subprocess.run(train + ['--resume', '--cfg-options', 'custom_hooks=[]'], cwd=REPO,
                         env=env_with_repo(), capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-3000:]
    log = res.stdout + res.stderr
    assert 'resumed epoch: 1' in log
    assert 'Epoch(train) [1]' not in log.split('resumed epoch: 1')[1]  # epoch 1 not redone
    final = safe_torch_load(osp.join(work, 'epoch_3.pth'))
    assert final['meta']['epoch'] == 3


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')
def test_dist_train_two_cpu_processes_agree(tiny_job):
    tmp_path, ann = tiny_job
    extra = HOOKS_IMPORT + "\ncustom_hooks = [dict(type='DumpRankWeightsHook')]"
    cfg = write_tiny_config(tmp_path, ann, max_epochs=2, batch_size=2, extra=extra)
    work = str(tmp_path / 'work')
    env = env_with_repo()
    env['PATH'] = osp.dirname(PYTHON) + os.pathsep + env.get('PATH', '')
    res = subprocess.run(['bash', osp.join(REPO, 'tools', 'dist_train.sh'), cfg, '2',
                          '--work-dir', work], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    w0 = torch.load(osp.join(work, 'rank0.pt'), weights_only=True)
    w1 = torch.load(osp.join(work, 'rank1.pt'), weights_only=True)
    assert w0.keys() == w1.keys()
    for k in w0:
        torch.testing.assert_close(w0[k], w1[k], rtol=0, atol=0, msg=k)
    # 16 training samples / (2 ranks x batch 2) = 4 iterations per epoch
    assert 'Epoch(train) [2][4/4]' in res.stdout + res.stderr
