"""Convert a checkpoint of MAMP's official code into one our configs load.

MAMP (github maoyunyao/MAMP) saves ``{'model': state_dict, 'args':
argparse.Namespace, ...}``. The ``Namespace`` makes torch's safe loader refuse
the file; we allowlist exactly that class, only while reading, and never
unpickle anything else. Output: ``{'state_dict': {'backbone.*', 'neck.*'},
'meta': {...}}``, loadable with ``init_cfg=dict(type='Pretrained',
checkpoint=DST, prefix='backbone.')`` (and ``load_from`` for a pretraining run).

Name map (MAMP -> ours): ``joints_embed.proj`` (Conv2d, kernel (l, 1)) ->
``backbone.joint_embed`` (Linear on l*C, frame major then x, y, z);
``temp_embed`` / ``pos_embed`` -> ``backbone.temporal_pos`` / ``joint_pos``;
``blocks.*`` and ``norm.*`` keep their names under ``backbone.``; decoder
weights (pretraining checkpoints) go to ``neck.*``; a fine-tuned model's
``head.*`` is dropped (listed in ``meta``).

Usage: python tools/convert/mamp_to_natmae.py SRC DST
"""
import argparse
import os
import sys
from typing import Dict, List, Tuple

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
from natmae_mm.utils.atomic import atomic_torch_save  # noqa: E402
from natmae_mm.utils.checkpoint import UnreadableCheckpointError  # noqa: E402
from natmae_mm.utils.cli import cli_main  # noqa: E402
from natmae_mm.utils.errors import InvalidInputError, MissingKeyError  # noqa: E402
from natmae_mm.utils.plain import to_plain  # noqa: E402

DECODER_MAP = {
    'decoder_embed.': 'neck.decoder_embed.',
    'mask_token': 'neck.mask_token',
    'decoder_blocks.': 'neck.blocks.',
    'decoder_norm.': 'neck.norm.',
    'decoder_temp_embed': 'neck.temporal_pos',
    'decoder_pos_embed': 'neck.joint_pos',
    'decoder_pred.': 'neck.pred.',
}
BACKBONE_MAP = {
    'temp_embed': 'backbone.temporal_pos',
    'pos_embed': 'backbone.joint_pos',
    'blocks.': 'backbone.blocks.',
    'norm.': 'backbone.norm.',
    'joints_embed.proj.bias': 'backbone.joint_embed.bias',
}


def load_mamp_checkpoint(path: str) -> dict:
    """Read a MAMP checkpoint with the safe loader, allowing ``argparse.Namespace`` only."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'MAMP checkpoint not found: {path}')
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:
        raise UnreadableCheckpointError(
            f'cannot read {path} with the safe loader (only tensors, containers '
            f'and argparse.Namespace are allowed): {err}') from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get('model'), dict):
        keys = list(ckpt) if isinstance(ckpt, dict) else type(ckpt).__name__
        raise MissingKeyError(f'{path}: expected MAMP weights under key "model", found {keys}')
    return ckpt


def convert_state_dict(model: Dict[str, torch.Tensor]) -> Tuple[Dict[str, torch.Tensor],
                                                                 List[str]]:
    """MAMP parameter names -> ours. Returns (state_dict, dropped keys)."""
    out, dropped = {}, []
    for key, value in model.items():
        name = key[len('module.'):] if key.startswith('module.') else key
        if name == 'joints_embed.proj.weight':  # (C_e, C, l, 1) -> (C_e, l*C)
            if value.dim() != 4 or value.shape[-1] != 1:
                raise InvalidInputError(f'{key}: expected a Conv2d weight (C_e, C, l, 1), '
                                        f'got {tuple(value.shape)}')
            out['backbone.joint_embed.weight'] = value[..., 0].permute(0, 2, 1).reshape(
                value.shape[0], -1).contiguous()
            continue
        for table in (DECODER_MAP, BACKBONE_MAP):  # decoder first: 'decoder_norm.' etc.
            src = next((s for s in table if name == s or (s.endswith('.')
                                                           and name.startswith(s))), None)
            if src is not None:
                out[table[src] + name[len(src):]] = value
                break
        else:
            dropped.append(key)
    if 'backbone.joint_embed.weight' not in out:
        raise MissingKeyError(
            'no joints_embed.proj.weight in the MAMP state dict: not a MAMP model')
    return out, dropped


def convert(src: str, dst: str) -> dict:
    """Convert ``src`` and write ``dst`` atomically.

    MAMP's training arguments are kept in the meta as plain values
    (:func:`~natmae_mm.utils.plain.to_plain`, anything else as its ``repr``),
    so the converted file loads under torch's safe loader.

    Args:
        src (str): the MAMP checkpoint.
        dst (str): the converted checkpoint.

    Returns:
        dict: the written meta.
    """
    ckpt = load_mamp_checkpoint(src)
    state_dict, dropped = convert_state_dict(ckpt['model'])
    args = ckpt.get('args')
    meta = dict(source=os.path.abspath(src), converted_by='tools/convert/mamp_to_natmae.py',
                mamp_args={k: to_plain(v, fallback=repr) for k, v in vars(args).items()}
                if isinstance(args, argparse.Namespace) else None,
                epoch=to_plain(ckpt.get('epoch'), fallback=repr), dropped_keys=dropped)
    atomic_torch_save(dict(state_dict=state_dict, meta=meta), dst)
    return meta


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help="MAMP checkpoint ({'model', 'args', ...})")
    parser.add_argument('dst', help='output checkpoint for natmae_mm configs')
    args = parser.parse_args(argv)
    meta = convert(args.src, args.dst)
    print(f'wrote {args.dst}; dropped {len(meta["dropped_keys"])} keys: '
          f'{", ".join(meta["dropped_keys"]) or "none"}')
    return 0


if __name__ == '__main__':
    cli_main(main)
