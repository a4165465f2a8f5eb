"""Hooks used only by the tool tests (imported through ``custom_imports``)."""
import os.path as osp
import time

import torch
from mmaction.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook


@HOOKS.register_module()
class DumpRankWeightsHook(Hook):
    """After training, every rank writes its own weights to ``rank{r}.pt``."""

    def after_run(self, runner) -> None:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        torch.save(state, osp.join(runner.work_dir, f'rank{get_rank()}.pt'))


@HOOKS.register_module()
class SlowFromEpochHook(Hook):
    """Sleep after each iteration from a given (0-based) epoch on, so that a
    test can kill the run in the middle of that epoch."""

    def __init__(self, epoch: int = 1, seconds: float = 0.5) -> None:
        self.epoch, self.seconds = epoch, seconds

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.epoch >= self.epoch:
            time.sleep(self.seconds)
