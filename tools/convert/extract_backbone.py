"""Keep the online encoder of a NAT-MAE pretraining checkpoint.

Downstream configs load ``init_cfg=dict(type='Pretrained', checkpoint=...,
prefix='backbone.')``: only ``backbone.*`` keys are used. This tool writes a
small file holding exactly those keys (the online encoder: joint embedding,
position embeddings, blocks, final norm) and drops the decoder, the momentum
encoder (``contrast.momentum_encoder.*``), the queue and all runtime state::

    python tools/convert/extract_backbone.py work_dirs/pretrain_ntu60/epoch_400.pth \\
        work_dirs/pretrain_ntu60/backbone.pth

The result is ``{'state_dict': {'backbone.<name>': tensor}, 'meta': {...}}``,
read with the safe loader and written atomically (temporary name + rename).
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from natmae_mm.utils.atomic import atomic_torch_save  # noqa: E402
from natmae_mm.utils.checkpoint import safe_torch_load  # noqa: E402
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.errors import InvalidInputError  # noqa: E402

PREFIX = 'backbone.'


def extract(in_file: str, out_file: str) -> Dict[str, torch.Tensor]:
    """Write the ``backbone.*`` weights of ``in_file`` to ``out_file``; return them.

    Raises:
        FileNotFoundError: ``in_file`` does not exist.
        InvalidInputError: no ``state_dict`` or no ``backbone.*`` tensor in it.
    """
    ckpt = safe_torch_load(in_file, map_location='cpu')
    state = ckpt.get('state_dict') if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise InvalidInputError(
            f"{in_file}: expected an MMEngine checkpoint with a 'state_dict'")
    backbone = {k: v.cpu() for k, v in state.items() if k.startswith(PREFIX)}
    if not backbone:
        raise InvalidInputError(f"{in_file}: no '{PREFIX}*' weights in its state_dict "
                                f"(keys start with {sorted({k.split('.')[0] for k in state})})")
    meta = dict(ckpt.get('meta') or {})
    meta['extracted_from'] = osp.basename(in_file)
    meta['extracted_prefix'] = PREFIX
    atomic_torch_save(dict(state_dict=backbone, meta=meta), out_file)
    return backbone


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('in_file', help='pretraining checkpoint')
    parser.add_argument('out_file', help='output checkpoint with backbone.* weights only')
    args = parser.parse_args(argv)
    weights = extract(args.in_file, args.out_file)
    n = sum(v.numel() for v in weights.values())
    print(f'{args.out_file}: {len(weights)} tensors, {n} values')


if __name__ == '__main__':
    cli_main(main)
