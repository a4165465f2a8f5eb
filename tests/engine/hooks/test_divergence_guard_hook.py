"""DivergenceGuardHook: a non-finite loss stops the run, nothing diverged is saved."""
import math
import multiprocessing as mp
import os
import os.path as osp
import subprocess

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from natmae_mm.engine.hooks import DivergenceError, DivergenceGuardHook
from natmae_mm.utils.checkpoint import safe_torch_load

from ...tools.foundation_utils import (
    PYTHON,
    REPO,
    env_with_repo,
    write_tiny_annotation,
    write_tiny_config,
)

NAN, INF = float('nan'), float('inf')


class FakeRunner:
    """What the hook reads from MMEngine's Runner."""

    def __init__(self, work_dir, amp=False, by_epoch=True):
        loop = EpochBasedTrainLoop if by_epoch else IterBasedTrainLoop
        self.train_loop = loop.__new__(loop)
        self.epoch, self.iter, self.max_iters = 2, 41, 100
        self.train_dataloader = [None] * 20
        self.work_dir = str(work_dir)
        self.logger = MMLogger.get_instance('test_divergence_guard')
        wrapper = AmpOptimWrapper if amp else OptimWrapper
        self.optim_wrapper = wrapper.__new__(wrapper)


def outputs(**values):
    return {k: torch.tensor(v) for k, v in values.items()}


def test_finite_losses_pass(tmp_path):
    DivergenceGuardHook().after_train_iter(
        FakeRunner(tmp_path), 4, outputs=outputs(loss=1.5, loss_rec=1.0, loss_con=0.5))


def test_message_names_epoch_iteration_and_every_non_finite_term(tmp_path):
    (tmp_path / 'last_checkpoint').write_text('/w/epoch_2.pth')
    with pytest.raises(DivergenceError) as err:
        DivergenceGuardHook().after_train_iter(
            FakeRunner(tmp_path), 4,
            outputs=outputs(loss=NAN, loss_rec=0.7, loss_con=NAN, top1_acc=NAN))
    msg = str(err.value)
    # runner.epoch / batch_idx are 0-based; the log (and message) count from 1
    assert 'epoch 3, iteration 5/20 (global iteration 42)' in msg
    assert 'loss_con=nan' in msg and 'loss=nan' in msg
    assert 'loss_rec' not in msg and 'top1_acc' not in msg  # finite / not a loss
    assert '/w/epoch_2.pth' in msg and 'enabled=False' in msg


def test_any_single_term_stops_even_if_the_total_is_finite(tmp_path):
    with pytest.raises(DivergenceError, match=r'loss_rec=inf'):
        DivergenceGuardHook().after_train_iter(
            FakeRunner(tmp_path), 0, outputs=outputs(loss=1.0, loss_rec=INF))
    with pytest.raises(DivergenceError, match=r'loss_con=nan'):  # python floats too
        DivergenceGuardHook().after_train_iter(
            FakeRunner(tmp_path), 0, outputs={'loss': 1.0, 'loss_con': NAN})


def test_iteration_based_loop_message(tmp_path):
    with pytest.raises(DivergenceError, match=r'non-finite loss at iteration 42/100'):
        DivergenceGuardHook().after_train_iter(
            FakeRunner(tmp_path, by_epoch=False), 3, outputs=outputs(loss=NAN))


def test_switched_off_ignores_non_finite_losses_and_weights(tmp_path):
    hook = DivergenceGuardHook(enabled=False)
    hook.after_train_iter(FakeRunner(tmp_path), 0, outputs=outputs(loss=NAN))
    hook.before_save_checkpoint(FakeRunner(tmp_path), {'state_dict': {'w': torch.tensor([NAN])}})


def test_amp_tolerates_skipped_steps_until_patience(tmp_path):
    runner, hook = FakeRunner(tmp_path, amp=True), DivergenceGuardHook(amp_patience=3)
    bad, good = outputs(loss=INF), outputs(loss=1.0)
    hook.after_train_iter(runner, 0, outputs=bad)
    hook.after_train_iter(runner, 1, outputs=bad)
    hook.after_train_iter(runner, 2, outputs=good)  # scaler recovered: streak resets
    hook.after_train_iter(runner, 3, outputs=bad)
    hook.after_train_iter(runner, 4, outputs=bad)
    with pytest.raises(DivergenceError, match=r'3 iterations in a row under AMP'):
        hook.after_train_iter(runner, 5, outputs=bad)
    with pytest.raises(ValueError):
        DivergenceGuardHook(amp_patience=0)


def test_checkpoint_with_non_finite_weights_is_refused(tmp_path):
    hook = DivergenceGuardHook()
    ok = {'state_dict': {'w': torch.ones(3), 'steps': torch.tensor([7])}, 'meta': {'epoch': 4}}
    hook.before_save_checkpoint(FakeRunner(tmp_path), ok)
    bad = {'state_dict': {'w': torch.ones(3), 'queue': torch.tensor([1.0, INF])},
           'meta': {'epoch': 4, 'iter': 80}}
    with pytest.raises(DivergenceError, match=r'epoch 4, iteration 80\) whose queue'):
        hook.before_save_checkpoint(FakeRunner(tmp_path), bad)


def _rank(rank, init_file, bad_rank, results):
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    loss = NAN if rank == bad_rank else 1.0
    try:
        DivergenceGuardHook().after_train_iter(
            FakeRunner(osp.dirname(init_file)), 0, outputs=outputs(loss=loss))
        results.put((rank, 'ran on'))
    except DivergenceError as err:
        results.put((rank, str(err)))
    finally:
        dist.barrier()
        dist.destroy_process_group()


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')
def test_every_rank_stops_when_one_rank_diverges(tmp_path):
    ctx = mp.get_context('fork')
    results = ctx.Queue()
    procs = [ctx.Process(target=_rank, args=(r, str(tmp_path / 'init'), 1, results))
             for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    got = dict(results.get(timeout=5) for _ in range(2))
    assert 'non-finite loss' in got[0] and 'on another rank' in got[0]
    assert 'loss=nan' in got[1]


# ------------------------------------------------------------------ end to end
FAULT_HOOKS = ("custom_imports = dict(imports=['natmae_mm', 'tests.tools.fault_test_hooks'], "
               "allow_failed_imports=False)\n"
               "custom_hooks = [dict(type='NaNWeightsAtHook', epoch=1, iteration=1)]")


def _train(cfg, work, *extra):
    return subprocess.run([PYTHON, osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir', work,
                           *extra], cwd=REPO, env=env_with_repo(), capture_output=True,
                          text=True, timeout=300)


def _all_finite(path):
    state = safe_torch_load(path)['state_dict']
    return all(bool(torch.isfinite(v).all()) for v in state.values() if v.is_floating_point())


@pytest.fixture()
def diverging_config(tmp_path):
    ann = write_tiny_annotation(str(tmp_path / 'ann.pkl'))  # 16 train samples, batch 4
    return write_tiny_config(tmp_path, ann, max_epochs=3, extra=FAULT_HOOKS)


def test_diverged_run_stops_keeps_last_good_checkpoint_and_resumes(tmp_path, diverging_config):
    work = str(tmp_path / 'work')
    res = _train(diverging_config, work)
    assert res.returncode != 0
    err_line = res.stderr.strip().splitlines()[-1]
    assert err_line.startswith('error: training diverged: non-finite loss at epoch 2, '
                               'iteration 2/4 (global iteration 6)'), err_line
    assert 'loss_cls=nan' in err_line and 'Traceback' not in res.stderr
    assert 'training diverged' in res.stdout  # also in the log
    assert sorted(n for n in os.listdir(work) if n.endswith('.pth')) == ['epoch_1.pth']
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(work, 'epoch_1.pth')
    assert _all_finite(osp.join(work, 'epoch_1.pth'))

    res = _train(diverging_config, work, '--resume', '--cfg-options', 'custom_hooks=[]')
    assert res.returncode == 0, res.stderr[-3000:]
    log = res.stdout + res.stderr
    assert 'resumed epoch: 1' in log
    assert 'Epoch(train) [1]' not in log.split('resumed epoch: 1')[1]
    final = safe_torch_load(osp.join(work, 'epoch_3.pth'))
    assert final['meta']['epoch'] == 3 and _all_finite(osp.join(work, 'epoch_3.pth'))


def test_guard_switched_off_trains_on_into_nan(tmp_path, diverging_config):
    work = str(tmp_path / 'work')
    res = _train(diverging_config, work, '--cfg-options',
                 'default_hooks.divergence_guard.enabled=False')
    assert res.returncode == 0, res.stderr[-3000:]
    state = safe_torch_load(osp.join(work, 'epoch_3.pth'))['state_dict']
    assert math.isnan(state['cls_head.fc.weight'].sum().item())  # what the guard prevents


def test_every_config_gets_both_guards_switched_on():
    import glob

    from mmengine.config import Config
    configs = glob.glob(osp.join(REPO, 'configs', 'natmae', '**', '*.py'), recursive=True)
    assert len(configs) > 10
    for path in configs:
        hooks = Config.fromfile(path).default_hooks
        assert hooks.divergence_guard == dict(type='DivergenceGuardHook', enabled=True), path
        assert hooks.resume_guard == dict(type='ResumeGuardHook', enabled=True), path
