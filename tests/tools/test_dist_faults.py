"""A two-rank CPU run (tools/dist_train.sh, gloo) with one rank killed mid-epoch."""
import os
import os.path as osp
import signal
import subprocess
import time

import pytest

from natmae_mm.utils.checkpoint import safe_torch_load

from .foundation_utils import PYTHON, REPO, env_with_repo, write_tiny_annotation, write_tiny_config

EXTRA = ("custom_imports = dict(imports=['natmae_mm', 'tests.tools.fault_test_hooks', "
         "'tests.tools.tool_test_hooks'], allow_failed_imports=False)\n"
         "custom_hooks = [dict(type='PidFileHook'), "
         "dict(type='SlowFromEpochHook', epoch=1, seconds=1.0)]")


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')
def test_killing_one_rank_stops_the_job_keeps_last_checkpoint_and_resumes(tmp_path):
    ann = write_tiny_annotation(str(tmp_path / 'ann.pkl'))
    cfg = write_tiny_config(tmp_path, ann, max_epochs=3, batch_size=2, extra=EXTRA)
    work = str(tmp_path / 'work')
    env = env_with_repo()
    env['PATH'] = osp.dirname(PYTHON) + os.pathsep + env.get('PATH', '')
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), cfg, '2', '--work-dir', work]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 240
        while not osp.isfile(osp.join(work, 'epoch_1.pth')):
            assert proc.poll() is None, 'training ended before the first checkpoint'
            assert time.time() < deadline
            time.sleep(0.2)
        time.sleep(2.5)  # inside epoch 2 (every iteration sleeps 1 s)
        with open(osp.join(work, 'rank1.pid')) as f:
            os.kill(int(f.read()), signal.SIGKILL)
        killed = time.time()
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # torchrun notices the dead rank, stops rank 0 (SIGTERM) and fails, naming the root cause
    assert proc.returncode != 0 and time.time() - killed < 60
    assert 'ChildFailedError' in out and 'Signal 9 (SIGKILL) received by PID' in out
    with open(osp.join(work, 'rank0.pid')) as f:
        with pytest.raises(ProcessLookupError):  # no rank left hanging
            os.kill(int(f.read()), 0)
    assert sorted(n for n in os.listdir(work) if n.endswith('.pth')) == ['epoch_1.pth']
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(work, 'epoch_1.pth')

    res = subprocess.run(cmd + ['--resume', '--cfg-options', 'custom_hooks=[]'], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    log = res.stdout + res.stderr
    assert 'resumed epoch: 1' in log
    assert 'Epoch(train) [1]' not in log.split('resumed epoch: 1')[1]
    assert safe_torch_load(osp.join(work, 'epoch_3.pth'))['meta']['epoch'] == 3
