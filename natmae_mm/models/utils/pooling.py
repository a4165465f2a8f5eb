"""The representation of a skeleton sequence: global average pooling (GAP) of tokens.

Every place that turns encoder tokens into one feature vector uses
:func:`mean_pool_tokens`: ``NATMAE.extract_feat`` (k-NN, t-SNE), the
contrastive instances ``OE_mask^GAP`` / ``ME^GAP`` of paper Eq. 8 and
``LinearProbeHead``. The order is fixed: mean over the tokens of one person
sequence, then over the persons of a clip, then over the clips of a sample.
"""
import math

import torch


def mean_pool_tokens(tokens: torch.Tensor, num_persons: int = 1,
                     num_clips: int = 1) -> torch.Tensor:
    """Mean over tokens, then over persons, then over clips.

    ``f_n = mean_c mean_m mean_l tokens[(n, c, m), l]``.

    Args:
        tokens (torch.Tensor): ``(..., L, C)`` tokens; the leading dimensions
            hold ``N * num_clips * num_persons`` person sequences in
            (sample, clip, person) order, persons fastest: e.g.
            ``(N * num_clips * M, L, C)`` from ``forward_tokens`` or the view
            ``(N, M, L, C)`` of a ``(N, M, C, T', V)`` backbone output.
        num_persons (int): M, persons averaged into one clip feature; 1 keeps
            one feature per person sequence. Defaults to 1.
        num_clips (int): clips averaged into one sample feature. Defaults to 1.

    Returns:
        torch.Tensor: ``(N, C)`` features, in the dtype of ``tokens``.
    """
    if tokens.dim() < 3:
        raise ValueError(f'mean_pool_tokens expects tokens (..., L, C), got shape '
                         f'{tuple(tokens.shape)}')
    if num_persons < 1 or num_clips < 1:
        raise ValueError(f'num_persons and num_clips must be >= 1, got {num_persons} and '
                         f'{num_clips}')
    feat = tokens.mean(dim=-2)  # (..., C): one feature per person sequence
    channels = feat.shape[-1]
    sequences = math.prod(feat.shape[:-1])
    if sequences % (num_persons * num_clips):
        raise ValueError(f'mean_pool_tokens: {sequences} person sequences are not a multiple '
                         f'of num_clips * num_persons = {num_clips} * {num_persons}')
    feat = feat.reshape(-1, num_persons, channels).mean(dim=1)  # (N * num_clips, C)
    return feat.reshape(-1, num_clips, channels).mean(dim=1)  # (N, C)
