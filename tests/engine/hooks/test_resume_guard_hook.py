"""ResumeGuardHook: --resume past an unreadable checkpoint, never silently from scratch."""
import os
import os.path as osp
import shutil
import subprocess

import pytest

from natmae_mm.utils.checkpoint import safe_torch_load

from ...tools.foundation_utils import (
    PYTHON,
    REPO,
    env_with_repo,
    write_tiny_annotation,
    write_tiny_config,
)

MMACTION_TRAIN = osp.join(osp.dirname(__import__('mmaction').__file__), '.mim', 'tools',
                          'train.py')


def _train(cfg, work, *extra, tool=None):
    tool = tool or osp.join(REPO, 'tools', 'train.py')
    return subprocess.run([PYTHON, tool, cfg, '--work-dir', work, *extra], cwd=REPO,
                          env=env_with_repo(), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A finished 2-epoch run: epoch_1.pth, epoch_2.pth, last_checkpoint -> epoch_2.pth."""
    root = tmp_path_factory.mktemp('resume_guard')
    ann = write_tiny_annotation(str(root / 'ann.pkl'))
    cfg = write_tiny_config(root, ann, max_epochs=2)
    work = str(root / 'work')
    res = _train(cfg, work)
    assert res.returncode == 0, res.stderr[-3000:]
    return cfg, work


@pytest.fixture()
def work_copy(trained, tmp_path):
    """A private copy of the finished run (``last_checkpoint`` pointing into it)."""
    cfg, src = trained
    work = str(tmp_path / 'work')
    shutil.copytree(src, work)
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'epoch_2.pth'))
    return cfg, work


def _truncate_half(path):
    with open(path, 'r+b') as f:
        f.truncate(os.path.getsize(path) // 2)


def _checkpoints(work):
    return {n: os.path.getsize(osp.join(work, n)) for n in os.listdir(work) if n.endswith('.pth')}


def test_without_the_guard_a_truncated_latest_checkpoint_fails(work_copy):
    cfg, work = work_copy  # the filer's reproduction: the control for the next test
    _truncate_half(osp.join(work, 'epoch_2.pth'))
    res = _train(cfg, work, '--resume', '--cfg-options',
                 'default_hooks.resume_guard.enabled=False')
    assert res.returncode != 0  # torch's reader fails ("failed reading zip archive", ...)
    # without the fallback the safe loader's error is still one line naming the file
    assert f'error: cannot read checkpoint {osp.join(work, "epoch_2.pth")}' in res.stderr
    assert 'Traceback' not in res.stderr


def test_resume_skips_truncated_latest_and_continues_from_earlier(work_copy):
    cfg, work = work_copy
    e1, e2 = osp.join(work, 'epoch_1.pth'), osp.join(work, 'epoch_2.pth')
    _truncate_half(e2)
    res = _train(cfg, work, '--resume')
    assert res.returncode == 0, res.stderr[-3000:]
    log = res.stdout + res.stderr
    assert f'checkpoint {e2} is unreadable' in log
    assert f'resuming from {e1}, the newest readable checkpoint' in log
    after = log.split('resumed epoch: 1')[1]  # MMEngine's own resume line: from epoch 1
    assert 'Epoch(train) [2]' in after and 'Epoch(train) [1]' not in after
    final = safe_torch_load(e2)  # epoch 2 trained again and saved whole
    assert final['meta']['epoch'] == 2


def test_no_readable_checkpoint_stops_and_starts_nothing(work_copy):
    cfg, work = work_copy
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        _truncate_half(osp.join(work, name))
    before = _checkpoints(work)
    res = _train(cfg, work, '--resume')
    assert res.returncode != 0
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: cannot resume: no readable checkpoint in {work}'), last
    assert 'epoch_1.pth' in last and 'epoch_2.pth' in last and 'Not starting from scratch' in last
    assert 'Traceback' not in res.stderr
    assert 'Epoch(train)' not in res.stdout + res.stderr
    assert _checkpoints(work) == before


def test_explicit_unreadable_resume_path_is_named(work_copy):
    cfg, work = work_copy
    e2 = osp.join(work, 'epoch_2.pth')
    _truncate_half(e2)
    res = _train(cfg, work, '--resume', e2)
    assert res.returncode != 0
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith(f'error: cannot resume from {e2}: the checkpoint is unreadable'), last
    assert 'Epoch(train)' not in res.stdout + res.stderr


@pytest.mark.skipif(not osp.isfile(MMACTION_TRAIN), reason="MMAction2's tools not installed")
def test_works_under_mmaction2s_own_train_tool(work_copy):
    cfg, work = work_copy
    e1 = osp.join(work, 'epoch_1.pth')
    _truncate_half(osp.join(work, 'epoch_2.pth'))
    res = _train(cfg, work, '--resume', tool=MMACTION_TRAIN)
    assert res.returncode == 0, res.stderr[-3000:]
    log = res.stdout + res.stderr
    assert f'resuming from {e1}' in log and 'resumed epoch: 1' in log
    assert safe_torch_load(osp.join(work, 'epoch_2.pth'))['meta']['epoch'] == 2


class FakeRunner:
    def __init__(self, work_dir, resume=True, load_from=None):
        from mmengine.logging import MMLogger
        self._resume, self._load_from, self.work_dir = resume, load_from, str(work_dir)
        self.logger = MMLogger.get_instance('test_resume_guard')


def test_fresh_work_dir_or_no_resume_is_left_to_mmengine(tmp_path):
    from natmae_mm.engine.hooks import ResumeGuardHook
    runner = FakeRunner(tmp_path)  # --resume on an empty work dir: starts from scratch
    ResumeGuardHook().before_run(runner)
    assert runner._load_from is None
    (tmp_path / 'epoch_1.pth').write_bytes(b'junk')
    runner = FakeRunner(tmp_path, resume=False)  # not resuming: nothing is checked
    ResumeGuardHook().before_run(runner)
    runner = FakeRunner(tmp_path)
    ResumeGuardHook(enabled=False).before_run(runner)  # switched off
    assert runner._load_from is None
    with pytest.raises(RuntimeError, match='no readable checkpoint'):
        ResumeGuardHook().before_run(FakeRunner(tmp_path))
