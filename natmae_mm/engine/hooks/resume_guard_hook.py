"""Resume past an unreadable checkpoint, never silently from scratch."""
import os.path as osp

from mmaction.registry import HOOKS
from mmengine.hooks import Hook

from natmae_mm.utils.checkpoint import UnreadableCheckpointError
from natmae_mm.utils.checkpoint_files import (
    checkpoint_unreadable_reason,
    latest_readable_checkpoint,
)


def _is_local(path: str) -> bool:
    return '://' not in path or path.startswith('file://')


@HOOKS.register_module()
class ResumeGuardHook(Hook):
    """Check the checkpoint ``--resume`` would use before the runner loads it.

    MMEngine's ``Runner.train`` calls ``before_run`` and then
    ``load_or_resume``, which resumes from ``load_from`` (``--resume PATH``) or,
    with ``resume=True`` and no ``load_from`` (``--resume``), from the file
    ``work_dir/last_checkpoint`` names. A truncated or damaged file there fails
    with ``PytorchStreamReader failed reading zip archive`` although an older
    checkpoint beside it is intact. In ``before_run`` this hook checks the file
    cheaply (:func:`~natmae_mm.utils.checkpoint_files.checkpoint_unreadable_reason`:
    zip directory and CRC-32s, no tensor built) and

    * ``--resume`` (auto): logs every unreadable checkpoint it skips and
      resumes from the newest readable one in the work dir, naming it
      (:func:`~natmae_mm.utils.checkpoint_files.latest_readable_checkpoint`);
      this also finds the checkpoints when ``last_checkpoint`` is missing or
      names a path that no longer exists (a copied work dir). If checkpoints
      exist but none is readable it raises
      :class:`~natmae_mm.utils.checkpoint.UnreadableCheckpointError`
      instead of starting from scratch. A work dir without any checkpoint
      starts from scratch, as in MMEngine.
    * ``--resume PATH``: raises ``UnreadableCheckpointError`` naming ``PATH``
      if it is unreadable.

    It works under any ``tools/train.py`` (ours, or MMAction2's own) because it
    only adjusts the runner's ``load_from`` before ``load_or_resume``. It is in
    ``default_hooks`` of ``configs/_base_/default_runtime.py`` as
    ``resume_guard``; switch it off with
    ``--cfg-options default_hooks.resume_guard.enabled=False`` (MMEngine only
    accepts ``None`` for its own default hooks). Remote paths (``s3://`` ...)
    are not checked.

    Args:
        enabled (bool): check before resuming. Defaults to True.
    """

    priority = 'VERY_HIGH'

    @staticmethod
    def _fail(runner, message: str) -> None:
        runner.logger.error(message)
        raise UnreadableCheckpointError(message)

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = bool(enabled)

    def before_run(self, runner) -> None:
        if not self.enabled or not getattr(runner, '_resume', False):
            return
        load_from = getattr(runner, '_load_from', None)
        if load_from is not None:
            if not _is_local(load_from):
                return
            path = load_from[len('file://'):] if load_from.startswith('file://') else load_from
            reason = checkpoint_unreadable_reason(osp.expanduser(path))
            if reason is not None:
                self._fail(runner, f'cannot resume from {load_from}: the checkpoint is '
                           f'unreadable ({reason}). Give a readable checkpoint, or use '
                           '--resume without a path to continue from the newest readable '
                           f'one in {runner.work_dir}')
            return

        chosen, skipped = latest_readable_checkpoint(runner.work_dir)
        for path, reason in skipped:
            runner.logger.warning(f'checkpoint {path} is unreadable ({reason}); skipping it')
        if chosen is None:
            if skipped:
                tried = '; '.join(f'{p} ({r})' for p, r in skipped)
                self._fail(runner, f'cannot resume: no readable checkpoint in '
                           f'{runner.work_dir} (tried: {tried}). Not starting from scratch; '
                           'to start anew, run without --resume or with another --work-dir')
            return  # no checkpoint at all: MMEngine starts from scratch and says so
        if skipped:
            runner.logger.warning(
                f'resuming from {chosen}, the newest readable checkpoint in {runner.work_dir}')
        runner._load_from = chosen
