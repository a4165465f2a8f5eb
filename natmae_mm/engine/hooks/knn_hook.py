"""k-NN evaluation of frozen features during pretraining (DINO's cheap monitor).

Every ``interval`` epochs the hook extracts pooled features of a labelled
training split (the bank) and a validation split with the current model in
eval mode, classifies the validation features by weighted k-NN
(:func:`natmae_mm.evaluation.knn.knn_scores`) and publishes the accuracy:

* ``runner.message_hub.update_scalar('knn/top1', acc)`` (and ``knn/top5``),
* the visualizer's scalars (``vis_data/scalars.json``, TensorBoard, ...),
* one log line.

Config example (pretraining config)::

    custom_hooks = [dict(type='KNNEvalHook', interval=10, k=20,
                         train_dataloader=dict(batch_size=64, dataset=..., sampler=...),
                         val_dataloader=dict(batch_size=64, dataset=..., sampler=...))]

or leave the dataloaders out and give ``split``/``val_split``: the hook then
reuses the config's dataset with a deterministic test pipeline
(:func:`natmae_mm.evaluation.builders.feature_dataloader_cfg`).
"""
from typing import Dict, Optional

from mmaction.registry import HOOKS
from mmengine.config import Config
from mmengine.hooks import Hook

from ...evaluation.builders import feature_dataloader_cfg
from ...evaluation.features import extract_features
from ...evaluation.knn import knn_accuracy


@HOOKS.register_module()
class KNNEvalHook(Hook):
    """Weighted k-NN top-1/top-5 on frozen features, every ``interval`` epochs.

    Args:
        interval (int): epochs between evaluations (also run after the last
            epoch). Defaults to 10.
        k (int): neighbours. Defaults to 20.
        temperature (float): tau of the vote weights ``exp(cos / tau)``.
            Defaults to 0.07.
        num_classes (int, optional): classes; None infers it from the labels.
            Defaults to None.
        train_dataloader (dict, optional): dataloader config (or a built
            ``DataLoader``) of the bank; None derives it from the runner's
            config and ``split``. Defaults to None.
        val_dataloader (dict, optional): the same for the queries; None
            derives it from ``val_split``. Defaults to None.
        split (str): split of the derived bank. Defaults to ``'xsub_train'``.
        val_split (str): split of the derived queries. Defaults to
            ``'xsub_val'``.
        batch_size (int): batch size of derived dataloaders. Defaults to 32.
        prefix (str): name prefix of the published scalars. Defaults to
            ``'knn'``.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 10, k: int = 20, temperature: float = 0.07,
                 num_classes: Optional[int] = None, train_dataloader: Optional[dict] = None,
                 val_dataloader: Optional[dict] = None, split: str = 'xsub_train',
                 val_split: str = 'xsub_val', batch_size: int = 32,
                 prefix: str = 'knn') -> None:
        if interval < 1:
            raise ValueError(f'KNNEvalHook: interval must be >= 1, got {interval}')
        if k < 1:
            raise ValueError(f'KNNEvalHook: k must be >= 1, got {k}')
        self.interval = interval
        self.k = k
        self.temperature = temperature
        self.num_classes = num_classes
        self.train_cfg = train_dataloader
        self.val_cfg = val_dataloader
        self.split, self.val_split = split, val_split
        self.batch_size = batch_size
        self.prefix = prefix
        self._loaders = None
        self.last: Dict[str, float] = {}

    def _build_loaders(self, runner):
        if self._loaders is None:
            cfg = runner.cfg if isinstance(runner.cfg, Config) else Config(runner.cfg)
            bank = self.train_cfg or feature_dataloader_cfg(cfg, self.split, self.batch_size)
            query = self.val_cfg or feature_dataloader_cfg(cfg, self.val_split, self.batch_size)
            self._loaders = (runner.build_dataloader(bank, seed=0),
                             runner.build_dataloader(query, seed=0))
        return self._loaders

    def evaluate(self, runner) -> Dict[str, float]:
        """Extract features, run k-NN, publish and return ``{'top1', 'top5'}`` (%)."""
        bank_loader, query_loader = self._build_loaders(runner)
        bank, bank_labels = extract_features(runner.model, bank_loader)
        query, query_labels = extract_features(runner.model, query_loader)
        acc = knn_accuracy(bank, bank_labels, query, query_labels,
                           num_classes=self.num_classes, k=self.k,
                           temperature=self.temperature)
        scalars = {f'{self.prefix}/{name}': value for name, value in acc.items()}
        for name, value in scalars.items():
            runner.message_hub.update_scalar(name, value)
        runner.visualizer.add_scalars(scalars, step=runner.epoch + 1)
        runner.logger.info(f'Epoch {runner.epoch + 1}: k-NN (k={self.k}) on {len(query)} val / '
                           f'{len(bank)} train samples: ' +
                           ', '.join(f'{n} {v:.2f}' for n, v in scalars.items()))
        self.last = acc
        return acc

    def after_train_epoch(self, runner) -> None:
        if self.every_n_epochs(runner, self.interval) or self.is_last_train_epoch(runner):
            self.evaluate(runner)
