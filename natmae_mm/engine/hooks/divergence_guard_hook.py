"""Stop a diverged run at its first non-finite loss, before anything saves it."""
import math
from typing import Dict, Optional

import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmengine.runner import EpochBasedTrainLoop

from natmae_mm.utils.checkpoint_files import read_last_checkpoint


class DivergenceError(RuntimeError):
    """Training produced a non-finite loss (or non-finite weights to save)."""


def _finite(value) -> bool:
    if isinstance(value, torch.Tensor):
        return bool(torch.isfinite(value.detach()).all())
    return math.isfinite(float(value))


def _number(value) -> float:
    if isinstance(value, torch.Tensor):
        return value.detach().float().mean().item()
    return float(value)


def _uses_amp(optim_wrapper) -> bool:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return any(isinstance(w, AmpOptimWrapper) for w in optim_wrapper.values())
    return isinstance(optim_wrapper, AmpOptimWrapper)


@HOOKS.register_module()
class DivergenceGuardHook(Hook):
    """Stop training at the first non-finite loss; never save a diverged state.

    ``outputs`` of ``after_train_iter`` are the log variables of the model's
    ``train_step`` (MMEngine's ``BaseModel.parse_losses``): every term the loss
    dict returned (e.g. ``loss_rec``, ``loss_con`` of NAT-MAE, Eq. (9)) and
    their sum ``loss``. Every entry whose name contains ``'loss'`` (the rule
    ``parse_losses`` uses to build the total) is checked; with several ranks a
    one-element flag is all-reduced, so every rank stops at the same iteration.
    On a non-finite value the hook logs and raises :class:`DivergenceError`
    naming the epoch, the iteration and the terms, and the last good checkpoint.

    Nothing saves the diverged state: the optimizer step of that iteration has
    already applied the NaN gradients, but the hook runs (priority ``HIGH``)
    before ``CheckpointHook.after_train_iter`` (``VERY_LOW``), and the raised
    error leaves the train loop before ``after_train_epoch`` (the end-of-epoch
    save) and ``after_train``; ``last_checkpoint`` keeps naming the last good
    checkpoint, so ``--resume`` continues from it (lower the learning rate, or
    change what made it diverge, first). In addition ``before_save_checkpoint``
    refuses to write a checkpoint whose ``state_dict`` holds a non-finite
    floating-point value (weights can overflow while the loss is still finite).

    Mixed precision (``--amp``, ``AmpOptimWrapper``): the grad scaler skips the
    optimizer step of an iteration whose gradients are not finite and lowers
    its scale, so the weights are unchanged and one non-finite loss is not yet
    divergence. Under AMP the hook warns and stops only after ``amp_patience``
    consecutive non-finite iterations. Paper runs are fp32, where the first one
    stops.

    The hook is in ``default_hooks`` of ``configs/_base_/default_runtime.py``
    as ``divergence_guard``. To train on regardless (NaN weights will then be
    saved), switch it off with
    ``--cfg-options default_hooks.divergence_guard.enabled=False``.

    Args:
        enabled (bool): check losses and checkpoints. Defaults to True.
        amp_patience (int): under ``AmpOptimWrapper``, the number of
            consecutive non-finite iterations that stops training.
            Defaults to 5.
    """

    priority = 'HIGH'

    def __init__(self, enabled: bool = True, amp_patience: int = 5) -> None:
        if amp_patience < 1:
            raise ValueError(f'amp_patience must be >= 1, got {amp_patience}')
        self.enabled = bool(enabled)
        self.amp_patience = int(amp_patience)
        self._streak = 0

    @staticmethod
    def _where(runner, batch_idx: int) -> str:
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            return (f'epoch {runner.epoch + 1}, iteration {batch_idx + 1}/'
                    f'{len(runner.train_dataloader)} (global iteration {runner.iter + 1})')
        return f'iteration {runner.iter + 1}/{runner.max_iters}'

    def _last_good(self, runner) -> str:
        last = read_last_checkpoint(runner.work_dir)
        if last is None:
            return 'no checkpoint was saved before it'
        return f'the last checkpoint, {last}, is from before it: --resume continues from there'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[Dict] = None) -> None:
        if not self.enabled or not outputs:
            return
        losses = {k: v for k, v in outputs.items() if 'loss' in k}
        bad = {k: v for k, v in losses.items() if not _finite(v)}
        any_bad = bool(bad)
        if get_world_size() > 1:
            ref = next((v for v in losses.values() if isinstance(v, torch.Tensor)), None)
            device = ref.device if ref is not None else 'cpu'
            flag = torch.tensor([float(any_bad)], device=device)
            all_reduce(flag)
            any_bad = bool(flag.item() > 0)
        if not any_bad:
            self._streak = 0
            return
        self._streak += 1
        where = self._where(runner, batch_idx)
        terms = ', '.join(f'{k}={_number(v)}' for k, v in bad.items()) or 'on another rank'
        if _uses_amp(runner.optim_wrapper) and self._streak < self.amp_patience:
            runner.logger.warning(
                f'non-finite loss at {where} ({terms}); mixed precision skipped this '
                f'step (weights unchanged), {self._streak}/{self.amp_patience} in a row')
            return
        streak = f' ({self._streak} iterations in a row under AMP)' if self._streak > 1 else ''
        message = (f'training diverged: non-finite loss at {where}: {terms}{streak}. '
                   f'Stopped without saving this state; {self._last_good(runner)}. '
                   'To train on regardless, set default_hooks.divergence_guard.enabled=False')
        runner.logger.error(message)
        raise DivergenceError(message)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if not self.enabled:
            return
        for key, value in (checkpoint.get('state_dict') or {}).items():
            if (isinstance(value, torch.Tensor) and value.is_floating_point()
                    and not bool(torch.isfinite(value).all())):
                meta = checkpoint.get('meta', {})
                message = (f'training diverged: refusing to save a checkpoint (epoch '
                           f'{meta.get("epoch")}, iteration {meta.get("iter")}) whose '
                           f'{key} is not finite; {self._last_good(runner)}. To save '
                           'regardless, set default_hooks.divergence_guard.enabled=False')
                runner.logger.error(message)
                raise DivergenceError(message)
