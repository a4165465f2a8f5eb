"""Shared set-up of ``tools/train.py`` and ``tools/test.py``.

MMAction2's tools, plus what our users need on top of them:

* **Distributed training without a GPU.** MMEngine's ``init_dist('pytorch')``
  calls ``torch.cuda.set_device`` and its DDP wrapper passes ``device_ids``, so
  a ``torchrun`` job on a CPU-only torch fails. When no GPU is visible,
  :func:`prepare_distributed` initialises the process group itself with gloo
  (the runner then skips its own ``init_dist``) and selects
  :class:`CPUDistributedDataParallel`, which leaves ``device_ids`` unset. On
  GPU machines nothing changes.
* ``--local_rank`` / ``--local-rank`` both accepted (``torch.distributed.launch``
  and ``torchrun`` style).
"""
import argparse
import os
import os.path as osp
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS  # root registry: the runner looks here


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for modules that live on the CPU (gloo).

    PyTorch's DDP requires ``device_ids=None`` for CPU modules; MMEngine's
    runner always passes the local rank. This wrapper drops it.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        kwargs.setdefault('broadcast_buffers', False)
        super().__init__(module=module, device_ids=None, **kwargs)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by train and test, spelled as in MMAction2's tools."""
    parser.add_argument('--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. model.backbone.depth=4 '
             'train_dataloader.batch_size=8 (key=value, no spaces)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def export_local_rank(args: argparse.Namespace) -> None:
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)


def default_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> None:
    """CLI ``--work-dir`` > ``work_dir`` in the file > ``work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Make ``--launcher pytorch`` work on CPU-only machines (gloo); no-op on GPU."""
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise SystemExit(f'error: --launcher {launcher} needs GPUs; on a CPU-only machine '
                         'use --launcher pytorch (torchrun, gloo backend)')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg', None) or {}
    if wrapper.get('type', 'MMDistributedDataParallel') == 'MMDistributedDataParallel':
        wrapper['type'] = 'CPUDistributedDataParallel'
        wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
        cfg.model_wrapper_cfg = wrapper
