"""Evaluation above the models and datasets: frozen features, k-NN, experiments.

* :mod:`.features`: pooled frozen features of a dataloader.
* :mod:`.knn`: DINO's weighted k-NN and top-k accuracy (MMAction2's).
* :mod:`.builders`: a model from a checkpoint and feature dataloaders from a config.
* :mod:`.experiments`: the resumable train-then-test engine of the analysis tools.
* :mod:`.tables`: mean/std over seeds as markdown and CSV.
* :mod:`.plotting`: atomic PNG output (imports matplotlib; import it explicitly).
"""
from .builders import build_feature_dataloader, build_model_from_checkpoint, feature_dataloader_cfg
from .features import extract_batch_features, extract_features
from .knn import knn_accuracy, knn_scores, topk_accuracy

__all__ = [
    'build_feature_dataloader', 'build_model_from_checkpoint', 'feature_dataloader_cfg',
    'extract_batch_features', 'extract_features', 'knn_accuracy',
    'knn_scores', 'topk_accuracy'
]
