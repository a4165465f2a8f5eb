"""Prepare a checkpoint for release.

Keeps only the weights (``state_dict``) and ``meta`` of an MMEngine
checkpoint (dropping the optimizer, the message hub, the parameter-scheduler
and any other runtime state), and names the file after its content::

    python tools/publish_model.py work_dirs/pretrain_ntu60/epoch_400.pth \\
        release/natmae_vit-8x256_8xb16-400e_ntu60-xsub-3d
    # -> release/natmae_vit-8x256_8xb16-400e_ntu60-xsub-3d_20261125-1a2b3c4d.pth

The suffix is the UTC date and the first 8 hex digits of the SHA-256 of the
written file. The input is read with the safe loader (``weights_only=True``);
the output is written to a temporary name and renamed (atomic).
"""
import argparse
import hashlib
import io
import os.path as osp
import sys
import time
from typing import List, Optional

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))
from natmae_mm.utils.atomic import atomic_write_bytes  # noqa: E402
from natmae_mm.utils.checkpoint import safe_torch_load  # noqa: E402
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.errors import InvalidInputError  # noqa: E402

KEEP = ('state_dict', 'meta')


def sha256_of(path: str, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()


def publish(in_file: str, out_name: str, date: Optional[str] = None) -> str:
    """Write ``<out_name>_<YYYYMMDD>-<sha256[:8]>.pth``; return its path.

    Raises:
        FileNotFoundError: ``in_file`` does not exist.
        InvalidInputError: ``in_file`` holds no ``state_dict`` of tensors.
    """
    ckpt = safe_torch_load(in_file, map_location='cpu')
    state = ckpt.get('state_dict') if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state or not all(
            torch.is_tensor(v) for v in state.values()):
        raise InvalidInputError(f'{in_file}: expected an MMEngine checkpoint with a '
                                "non-empty 'state_dict' of tensors")
    out = {k: ckpt[k] for k in KEEP if k in ckpt}
    out['state_dict'] = {k: v.cpu() for k, v in state.items()}
    if out_name.endswith('.pth'):
        out_name = out_name[:-len('.pth')]
    date = date or time.strftime('%Y%m%d', time.gmtime())
    # serialise once in memory: the file name carries the hash of these bytes
    buffer = io.BytesIO()
    torch.save(out, buffer)
    data = buffer.getvalue()
    final = f'{out_name}_{date}-{hashlib.sha256(data).hexdigest()[:8]}.pth'
    atomic_write_bytes(final, data)
    return final


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('in_file', help='input checkpoint')
    parser.add_argument('out_name', help='output path without the date/hash suffix')
    args = parser.parse_args(argv)
    final = publish(args.in_file, args.out_name)
    print(final)
    return final


if __name__ == '__main__':
    cli_main(main)
