"""Skeleton <-> token layout shared by the encoder, decoder and targets.

A skeleton sequence (B, T, V, C) is cut into non-overlapping segments of ``l``
frames (paper Sec. "Joint Embedding"); one token is one joint over one segment,
``L = T/l * V`` tokens in MAMP's order: time-segment major, joint minor; the
``l*C`` values inside a token are frame major, then x, y, z.
"""
import torch


def check_skeleton_shape(x: torch.Tensor, num_frames: int, num_joints: int, in_channels: int,
                         what: str = 'skeleton input') -> None:
    """Raise a ValueError naming expected vs. received shape of (B, T, V, C) input."""
    if x.dim() != 4 or tuple(x.shape[1:]) != (num_frames, num_joints, in_channels):
        raise ValueError(
            f'{what}: expected shape (B, T={num_frames}, V={num_joints}, C={in_channels}), '
            f'got {tuple(x.shape)}')


def patchify(x: torch.Tensor, segment_len: int) -> torch.Tensor:
    """(B, T, V, C) -> (B, T/l * V, l * C) in MAMP's token order."""
    B, T, V, C = x.shape
    if T % segment_len:
        raise ValueError(f'number of frames {T} is not divisible by segment_len {segment_len}')
    x = x.reshape(B, T // segment_len, segment_len, V, C)  # (B, T/l, l, V, C)
    x = x.permute(0, 1, 3, 2, 4)  # (B, T/l, V, l, C)
    return x.reshape(B, T // segment_len * V, segment_len * C)  # (B, L, l*C)
