"""Keep checkpoints loadable by torch's safe loader.

MMEngine saves its message hub inside every checkpoint: ``log_scalars`` (one
``HistoryBuffer`` per logged value) and ``runtime_info`` (epoch, iter, seed,
config text, ...). A ``HistoryBuffer`` pickles references to its statistics
methods as ``builtins.getattr`` calls, and numpy scalars pull in numpy's
scalar constructor; allowlisting ``getattr`` for ``torch.load(weights_only=True)``
would reopen arbitrary code execution. Just before a checkpoint is written,
this hook re-types the (already copied) buffers as
:class:`~natmae_mm.utils.checkpoint.PlainHistoryBuffer` and turns numpy
scalars into Python numbers (:func:`~natmae_mm.utils.plain.to_plain`), so
our checkpoints only need the allowlist in :mod:`natmae_mm.utils.checkpoint`.
"""
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging.history_buffer import HistoryBuffer

from natmae_mm.utils.checkpoint import PlainHistoryBuffer
from natmae_mm.utils.plain import to_plain


@HOOKS.register_module()
class PlainRuntimeInfoHook(Hook):
    """Save the runtime state with types the safe loader accepts (see module doc)."""

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        hub = checkpoint.get('message_hub')
        if isinstance(hub, dict):
            # MessageHub.state_dict() deep-copies, so re-typing touches no live buffer.
            for buffer in hub.get('log_scalars', {}).values():
                if type(buffer) is HistoryBuffer:
                    buffer.__class__ = PlainHistoryBuffer
            if 'runtime_info' in hub:
                hub['runtime_info'] = to_plain(hub['runtime_info'])
        if 'meta' in checkpoint:
            checkpoint['meta'] = to_plain(checkpoint['meta'])
