"""mean_pool_tokens: tokens, then persons, then clips; both token layouts agree."""
import pytest
import torch

from natmae_mm.models.utils import mean_pool_tokens


def test_hand_computed_order_tokens_persons_clips():
    # N=1 sample, 2 clips, 2 persons, L=2 tokens, C=1: (sample, clip, person) rows
    tokens = torch.tensor([[[1.], [3.]],     # clip 0, person 0 -> 2
                           [[0.], [0.]],     # clip 0, person 1 -> 0
                           [[4.], [8.]],     # clip 1, person 0 -> 6
                           [[10.], [10.]]])  # clip 1, person 1 -> 10
    assert mean_pool_tokens(tokens).flatten().tolist() == [2., 0., 6., 10.]
    assert mean_pool_tokens(tokens, num_persons=2).flatten().tolist() == [1., 8.]
    assert mean_pool_tokens(tokens, num_persons=2, num_clips=2).flatten().tolist() == [4.5]


def test_backbone_output_view_equals_token_layout():
    torch.manual_seed(0)
    N, M, C, Tp, V = 3, 2, 4, 5, 6
    x = torch.randn(N, M, C, Tp, V)  # SkeletonTransformer.forward layout
    tokens = x.permute(0, 1, 3, 4, 2).reshape(N * M, Tp * V, C)  # forward_tokens layout
    a = mean_pool_tokens(x.flatten(3).transpose(2, 3), num_persons=M)
    torch.testing.assert_close(a, mean_pool_tokens(tokens, num_persons=M))
    torch.testing.assert_close(a, x.mean(dim=(1, 3, 4)))  # equal group sizes: one mean
    assert a.shape == (N, C)


def test_bad_input():
    with pytest.raises(ValueError, match=r'\(\.\.\., L, C\)'):
        mean_pool_tokens(torch.zeros(4, 3))
    with pytest.raises(ValueError, match='not a multiple'):
        mean_pool_tokens(torch.zeros(3, 2, 4), num_persons=2)
    with pytest.raises(ValueError, match='>= 1'):
        mean_pool_tokens(torch.zeros(2, 2, 4), num_persons=0)
