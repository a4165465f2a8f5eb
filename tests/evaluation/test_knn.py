"""topk_accuracy / knn_accuracy (natmae_mm.evaluation.knn) on hand-checked cases."""
import pytest
import torch

from natmae_mm.evaluation.knn import knn_accuracy, topk_accuracy


def test_topk_accuracy_hand_computed():
    scores = torch.tensor([[0.1, 0.5, 0.4],    # label 2: 2nd best
                           [0.9, 0.0, 0.1],    # label 0: best
                           [0.2, 0.3, 0.5]])   # label 0: 3rd best
    labels = torch.tensor([2, 0, 0])
    acc = topk_accuracy(scores, labels, topk=(1, 2, 5))
    assert acc == pytest.approx({'top1': 100 / 3, 'top2': 200 / 3, 'top5': 100.0})
    assert set(topk_accuracy(scores, labels)) == {'top1', 'top5'}   # default (1, 5)


def test_topk_accuracy_bad_shapes():
    with pytest.raises(ValueError, match='scores'):
        topk_accuracy(torch.zeros(3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r'\(2, 3\).*\(3,\)'):
        topk_accuracy(torch.zeros(2, 3), torch.zeros(3, dtype=torch.long))


def test_knn_accuracy_on_separable_clusters():
    # two tight clusters on the axes; the queries sit next to their cluster
    bank = torch.tensor([[1., 0.], [1., .1], [0., 1.], [.1, 1.]])
    bank_labels = torch.tensor([0, 0, 1, 1])
    queries = torch.tensor([[1., .05], [.05, 1.], [1., .02]])
    acc = knn_accuracy(bank, bank_labels, queries, torch.tensor([0, 1, 1]), k=2)
    assert acc['top1'] == pytest.approx(200 / 3)   # the last query is labelled wrongly
    assert acc['top5'] == 100.0                    # two classes: top-5 holds both
