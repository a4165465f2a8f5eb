"""Hooks that inject faults for the reliability tests (imported through ``custom_imports``)."""
import torch
from mmaction.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class NaNWeightsAtHook(Hook):
    """Before iteration ``iteration`` (0-based, within the epoch) of epoch
    ``epoch`` (0-based), set the classifier weights to NaN: from then on the
    classification loss, and every weight after the next optimizer step, is NaN."""

    def __init__(self, epoch: int = 1, iteration: int = 1) -> None:
        self.epoch, self.iteration = epoch, iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.epoch == self.epoch and batch_idx == self.iteration:
            model = runner.model.module if hasattr(runner.model, 'module') else runner.model
            with torch.no_grad():
                model.cls_head.fc.weight.fill_(float('nan'))


@HOOKS.register_module()
class PidFileHook(Hook):
    """Every rank writes its process id to ``work_dir/rank{r}.pid`` (so a test
    can kill one rank of a distributed run)."""

    def before_run(self, runner) -> None:
        import os
        import os.path as osp

        from mmengine.dist import get_rank
        with open(osp.join(runner.work_dir, f'rank{get_rank()}.pid'), 'w') as f:
            f.write(str(os.getpid()))
