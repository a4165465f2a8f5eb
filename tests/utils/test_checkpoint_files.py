"""Checkpoint files: atomic saves through MMEngine, readability, resume choice."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

from natmae_mm.utils.checkpoint import safe_torch_load
from natmae_mm.utils.checkpoint_files import (
    AtomicLocalBackend,
    checkpoint_candidates,
    checkpoint_unreadable_reason,
    latest_readable_checkpoint,
)

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def _save(path, value=1.0, numel=1000):
    torch.save({'state_dict': {'w': torch.full((numel,), value)}, 'meta': {'epoch': 1}},
               str(path))
    return str(path)


def _truncate_half(path):
    size = os.path.getsize(path)
    with open(path, 'r+b') as f:
        f.truncate(size // 2)


def test_intact_checkpoint_is_readable(tmp_path):
    assert checkpoint_unreadable_reason(_save(tmp_path / 'a.pth')) is None


def test_truncated_checkpoint_is_unreadable_and_torch_agrees(tmp_path):
    path = _save(tmp_path / 'a.pth')
    _truncate_half(path)
    reason = checkpoint_unreadable_reason(path)
    assert reason is not None and 'zip' in reason
    try:  # independent check: the real loader fails on it too
        safe_torch_load(path)
        raise AssertionError('safe_torch_load read a truncated file')
    except RuntimeError as err:
        assert 'cannot read checkpoint' in str(err)


def test_flipped_byte_inside_tensor_data_is_caught_by_crc(tmp_path):
    path = _save(tmp_path / 'a.pth', numel=100_000)
    data = bytearray(open(path, 'rb').read())
    data[len(data) // 2] ^= 0xFF  # inside the 400 kB tensor record
    open(path, 'wb').write(bytes(data))
    reason = checkpoint_unreadable_reason(path)
    assert reason is not None and 'CRC' in reason


def test_missing_empty_and_garbage_files(tmp_path):
    assert checkpoint_unreadable_reason(str(tmp_path / 'nope.pth')) == 'file not found'
    (tmp_path / 'empty.pth').write_bytes(b'')
    assert checkpoint_unreadable_reason(str(tmp_path / 'empty.pth')) == 'empty file'
    (tmp_path / 'junk.pth').write_bytes(b'not a checkpoint at all')
    assert checkpoint_unreadable_reason(str(tmp_path / 'junk.pth')) is not None


def test_checkpoint_written_without_crc_is_still_readable(tmp_path):
    torch.serialization.set_crc32_options(False)
    try:
        path = _save(tmp_path / 'nocrc.pth')
    finally:
        torch.serialization.set_crc32_options(True)
    assert checkpoint_unreadable_reason(path) is None
    _truncate_half(path)
    assert checkpoint_unreadable_reason(path) is not None


def test_candidates_sorted_by_step_not_name_or_time(tmp_path):
    for step in (2, 10, 1):
        _save(tmp_path / f'epoch_{step}.pth')
    _save(tmp_path / 'best_acc_epoch_11.pth')
    (tmp_path / '.epoch_12.pth.abc.tmp').write_bytes(b'partial')
    names = [osp.basename(p) for p in checkpoint_candidates(str(tmp_path))]
    assert names == ['epoch_10.pth', 'epoch_2.pth', 'epoch_1.pth']


def test_latest_readable_follows_last_checkpoint_then_falls_back(tmp_path):
    e1, e2 = _save(tmp_path / 'epoch_1.pth'), _save(tmp_path / 'epoch_2.pth')
    (tmp_path / 'last_checkpoint').write_text(e2)
    assert latest_readable_checkpoint(str(tmp_path)) == (e2, [])
    _truncate_half(e2)
    chosen, skipped = latest_readable_checkpoint(str(tmp_path))
    assert chosen == e1 and [p for p, _ in skipped] == [e2]
    _truncate_half(e1)
    chosen, skipped = latest_readable_checkpoint(str(tmp_path))
    assert chosen is None and [p for p, _ in skipped] == [e2, e1]


def test_latest_readable_without_or_with_stale_last_checkpoint(tmp_path):
    assert latest_readable_checkpoint(str(tmp_path)) == (None, [])  # fresh work dir
    e3 = _save(tmp_path / 'epoch_3.pth')
    assert latest_readable_checkpoint(str(tmp_path)) == (e3, [])  # marker lost
    (tmp_path / 'last_checkpoint').write_text('')  # killed while writing the marker
    assert latest_readable_checkpoint(str(tmp_path)) == (e3, [])
    (tmp_path / 'last_checkpoint').write_text('/old/machine/work/epoch_3.pth')  # copied dir
    chosen, skipped = latest_readable_checkpoint(str(tmp_path))
    assert chosen == e3 and skipped == [('/old/machine/work/epoch_3.pth', 'file not found')]


def test_mmengine_checkpoint_saves_go_through_the_atomic_backend(tmp_path):
    assert type(get_file_backend(str(tmp_path / 'x.pth'))) is AtomicLocalBackend
    dest = str(tmp_path / 'epoch_1.pth')
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, dest)  # what Runner.save_checkpoint calls
    assert torch.equal(safe_torch_load(dest)['state_dict']['w'], torch.ones(3))
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary left behind


KILLED_SAVE = r'''
import os, sys, time
sys.path.insert(0, {repo!r})
import torch
import natmae_mm  # noqa: F401  (installs the atomic local backend)
from mmengine.runner.checkpoint import save_checkpoint
real_fsync = os.fsync
def stalled_fsync(fd):
    print('WRITTEN', flush=True)  # the bytes are out; hold here until killed
    time.sleep(60)
os.fsync = stalled_fsync
save_checkpoint({{'state_dict': {{'w': torch.full((200_000,), 2.0)}}}}, {dest!r})
'''


def test_sigkill_during_checkpoint_save_keeps_the_previous_file(tmp_path):
    dest = str(tmp_path / 'epoch_2.pth')
    save_checkpoint({'state_dict': {'w': torch.full((200_000,), 1.0)}}, dest)
    code = KILLED_SAVE.format(repo=REPO, dest=dest)
    proc = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, OMP_NUM_THREADS='1'))
    try:
        deadline = time.time() + 120
        line = ''
        while line.strip() != 'WRITTEN':  # MMEngine may log a line first
            line = proc.stdout.readline()
            assert line and time.time() < deadline, 'the saving process ended early'
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    w = safe_torch_load(dest)['state_dict']['w']  # the old, complete checkpoint
    assert torch.equal(w, torch.full((200_000,), 1.0))
    leftovers = [n for n in os.listdir(tmp_path) if n != 'epoch_2.pth']
    assert len(leftovers) == 1 and leftovers[0].startswith('.epoch_2.pth.')
    assert checkpoint_candidates(str(tmp_path)) == [dest]  # the temporary is never resumed


def test_legacy_format_files_are_checked_by_a_full_safe_load(tmp_path):
    import argparse
    path = str(tmp_path / 'legacy.pth')
    torch.save({'w': torch.ones(3)}, path, _use_new_zipfile_serialization=False)
    assert checkpoint_unreadable_reason(path) is None
    unsafe = str(tmp_path / 'unsafe.pth')  # intact, but refused when loaded: not "unreadable"
    torch.save({'args': argparse.Namespace(lr=1)}, unsafe, _use_new_zipfile_serialization=False)
    assert checkpoint_unreadable_reason(unsafe) is None
    _truncate_half(path)
    assert 'truncated' in checkpoint_unreadable_reason(path)
