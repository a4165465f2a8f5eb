"""Resumable train-then-test experiments: the shared engine of the analysis tools.

``tools/analysis/compare_targets.py`` (Table 5: reconstruction targets) and
``tools/analysis/semi_supervised.py`` (Table 3: label-fraction seeds) both run
a list of MMEngine trainings, each followed by a test, and summarise a metric
over seeds. This module holds what they share:

* :func:`run_stage` trains one config in-process with MMEngine's ``Runner``
  and tests it. A finished stage leaves ``stage_result.json`` in its work
  directory (written atomically) and is never run again; a stage that was
  killed is resumed from the ``last_checkpoint`` MMEngine left, or rerun from
  scratch when there is none (or it cannot be read).
* :func:`check_data` fails before any training when an annotation file is
  missing or empty, or when a dataset rejects its config (e.g. the joint,
  person or class count of :class:`~natmae_mm.datasets.SkeletonDataset`
  disagrees with the file), naming the config key.
* :func:`check_settings` refuses to mix runs of other settings in one
  work directory; :func:`collect_records` computes each run's record once
  (``results/<run>.json``) and reuses it on the next invocation.

The tables over the finished runs are :mod:`natmae_mm.evaluation.tables`.

Runs execute in the calling process (one ``Runner`` per stage, each with its
own ``experiment_name`` so loggers and message hubs never mix): importing
torch and MMAction2 costs several seconds per process, and the metrics come
back as Python values rather than parsed logs.
"""
import copy
import gc
import json
import logging
import os
import os.path as osp
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config, ConfigDict

from ..utils.atomic import atomic_write_json, read_json
from ..utils.checkpoint_files import latest_readable_checkpoint
from ..utils.errors import UserInputError
from ..utils.plain import to_plain

STAGE_RESULT = 'stage_result.json'
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class ExperimentError(UserInputError, RuntimeError):
    """A user-facing problem (bad data path, bad config); ``cli_main`` prints it as one line."""


# ----------------------------------------------------------------------------- data
def iter_datasets(cfg: Config) -> Iterator[Tuple[str, ConfigDict]]:
    """Yield ``(key path, dataset cfg)`` for every leaf dataset of the three dataloaders.

    Wrappers are followed through ``dataset`` (``RepeatDataset``...) and
    ``datasets`` (``ConcatDataset``); a leaf is a dict without either key.

    Args:
        cfg (Config): a config with any of the three dataloaders.

    Yields:
        Tuple[str, ConfigDict]: e.g. ``('train_dataloader.dataset', {...})``.
    """
    def walk(node: Any, key: str) -> Iterator[Tuple[str, ConfigDict]]:
        if isinstance(node, dict) and isinstance(node.get('dataset'), dict):
            yield from walk(node['dataset'], key + '.dataset')
        elif isinstance(node, dict) and isinstance(node.get('datasets'), (list, tuple)):
            for i, sub in enumerate(node['datasets']):
                yield from walk(sub, f'{key}.datasets.{i}')
        elif isinstance(node, dict):
            yield key, node

    for name in DATALOADERS:
        loader = cfg.get(name)
        if isinstance(loader, dict) and isinstance(loader.get('dataset'), dict):
            yield from walk(loader['dataset'], name + '.dataset')


def set_ann_file(cfg: Config, ann_file: str) -> None:
    """Point every leaf dataset that has an ``ann_file`` at ``ann_file`` (in place).

    Args:
        cfg (Config): the config to change.
        ann_file (str): the annotation file.
    """
    for _, dataset in iter_datasets(cfg):
        if 'ann_file' in dataset:
            dataset['ann_file'] = ann_file


def check_data(cfg: Config, name: str, build: bool = True) -> None:
    """Fail early and clearly on unusable data, before any training starts.

    Args:
        cfg (Config): a training config.
        name (str): how to call the config in messages (e.g. its path).
        build (bool): also build each distinct dataset once, without its
            pipeline, so that dataset-side validation (joint/person/class
            counts, split names) runs now rather than after hours of
            pretraining. Defaults to True.

    Raises:
        ExperimentError: naming the config, the key and the problem.
    """
    from mmaction.registry import DATASETS

    seen = set()
    for key, dataset in iter_datasets(cfg):
        ann_file = dataset.get('ann_file')
        if ann_file is not None:
            if not osp.exists(ann_file):
                raise ExperimentError(
                    f'{name}: {key}.ann_file = {ann_file!r} does not exist. Create it with '
                    'the converter in tools/data/ (docs/nucla.md for N-UCLA) or point the '
                    'config at it with --ann-file / --cfg-options.')
            if not osp.isfile(ann_file) or osp.getsize(ann_file) == 0:
                raise ExperimentError(
                    f'{name}: {key}.ann_file = {ann_file!r} is empty or not a file.')
        if not build:
            continue
        plain = {k: v for k, v in dataset.items() if k != 'pipeline'}
        signature = json.dumps(plain, sort_keys=True, default=str)
        if signature in seen:
            continue
        seen.add(signature)
        try:
            DATASETS.build(dict(plain, pipeline=[]))
        except (ValueError, KeyError, TypeError, FileNotFoundError) as err:
            raise ExperimentError(f'{name}: {key} is unusable: {err}') from None


# ----------------------------------------------------------------------------- stages
def _resume_checkpoint(work_dir: str, logger: logging.Logger) -> Optional[str]:
    """The newest readable checkpoint a killed stage left, or None (start the stage over).

    Unreadable checkpoints (truncated, refused) are skipped and named in the log
    (:func:`~natmae_mm.utils.checkpoint_files.latest_readable_checkpoint`).
    """
    path, skipped = latest_readable_checkpoint(work_dir)
    for bad, reason in skipped:
        logger.warning(f'cannot resume from {bad} ({reason}); skipped')
    if path is None and skipped:
        logger.warning(f'no readable checkpoint in {work_dir}: rerunning the stage from scratch')
    return path


def _close_logger(runner: Any) -> None:
    for handler in list(runner.logger.handlers):
        if isinstance(handler, logging.FileHandler):
            handler.close()
            runner.logger.removeHandler(handler)


def run_stage(cfg: Config, work_dir: str, name: str, seed: int,
              test: bool = True, logger: Optional[logging.Logger] = None) -> Dict[str, Any]:
    """Train ``cfg`` in ``work_dir`` (resuming if it was interrupted), then test it.

    Args:
        cfg (Config): complete training config; it is copied, not modified.
        work_dir (str): the stage's own directory.
        name (str): experiment name (log and message-hub namespace).
        seed (int): ``randomness.seed`` of the run.
        test (bool): run ``runner.test()`` after training (needs
            ``test_dataloader``). Defaults to True.
        logger (logging.Logger, optional): where to report progress.
            Defaults to None (this module's logger).

    Returns:
        Dict[str, Any]: ``{'name', 'seed', 'checkpoint', 'metrics',
        'wall_time_s', 'resumed_from'}``.
        ``checkpoint`` is the last checkpoint saved (``None`` if the config
        saves none); ``wall_time_s`` counts only the invocation that finished
        the stage.
    """
    from mmengine.runner import Runner

    logger = logger or logging.getLogger(__name__)
    done = read_json(osp.join(work_dir, STAGE_RESULT))
    if done is not None:
        logger.info(f'{name}: finished earlier, reusing {osp.join(work_dir, STAGE_RESULT)}')
        return done

    os.makedirs(work_dir, exist_ok=True)
    resume_from = _resume_checkpoint(work_dir, logger)
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.experiment_name = name
    cfg.resume = resume_from is not None
    cfg.load_from = resume_from
    cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)
    logger.info(f'{name}: ' + (f'resuming from {resume_from}' if resume_from else 'starting'))

    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    try:
        runner.train()
        metrics = runner.test() if test else {}
    finally:
        _close_logger(runner)
    wall = time.perf_counter() - start

    marker = osp.join(work_dir, 'last_checkpoint')
    checkpoint = None
    if osp.isfile(marker):
        with open(marker, encoding='utf-8') as f:
            checkpoint = f.read().strip()
    result = dict(name=name, seed=seed, checkpoint=checkpoint, resumed_from=resume_from,
                  metrics={k: to_plain(v, finite=True) for k, v in (metrics or {}).items()},
                  wall_time_s=round(wall, 2))
    atomic_write_json(osp.join(work_dir, STAGE_RESULT), result)
    del runner
    gc.collect()
    return result


def check_settings(work_dir: str, settings: Dict[str, Any]) -> None:
    """Record ``settings`` in ``work_dir/settings.json``; refuse to mix different ones.

    Resuming or extending (more seeds, more targets) a run is fine; reusing
    the directory with another config or other overrides would silently mix
    results, so that raises.

    Args:
        work_dir (str): the experiment's directory.
        settings (Dict[str, Any]): what defines its runs (config paths,
            overrides, ...); values JSON cannot hold are stored as text.

    Raises:
        ExperimentError: naming each differing setting (recorded, requested).
    """
    settings = json.loads(json.dumps(settings, sort_keys=True, default=str))
    path = osp.join(work_dir, 'settings.json')
    old = read_json(path)
    if old is not None and old != settings:
        diff = {k: (old.get(k), settings.get(k)) for k in sorted(set(old) | set(settings))
                if old.get(k) != settings.get(k)}
        raise ExperimentError(
            f'{work_dir} holds runs made with other settings {diff} (recorded, requested); '
            'use another --work-dir')
    atomic_write_json(path, settings)


def collect_records(names: Sequence[str], results_dir: str,
                    compute: Callable[[int], Dict[str, Any]], logger: logging.Logger,
                    after_each: Optional[Callable[[List[Dict[str, Any]]], None]] = None
                    ) -> List[Dict[str, Any]]:
    """One record per run, computed once and reused when the command is run again.

    Args:
        names (Sequence[str]): the runs, in order; run ``i``'s record is
            ``results_dir/<names[i]>.json`` (written atomically).
        results_dir (str): where the records go.
        compute (Callable[[int], dict]): makes the record of run ``i`` (e.g.
            with :func:`run_stage`); called only when its file is absent.
        logger (logging.Logger): one progress line per run.
        after_each (Callable, optional): called with the records so far after
            every run (e.g. to rewrite the tables). Defaults to None.

    Returns:
        List[dict]: the records, in the order of ``names``.
    """
    records: List[Dict[str, Any]] = []
    for i, name in enumerate(names):
        path = osp.join(results_dir, name + '.json')
        tag = f'[{i + 1}/{len(names)}] {name}'
        record = read_json(path)
        if record is None:
            logger.info(tag)
            record = compute(i)
            atomic_write_json(path, record)
        else:
            logger.info(f'{tag}: done earlier')
        records.append(record)
        if after_each is not None:
            after_each(records)
    return records


def run_experiment(body: Callable[[], str]) -> int:
    """Run an orchestration tool's ``body`` and print its results table.

    User errors (:class:`ExperimentError`, an unreadable record) propagate to
    the tool's :func:`~natmae_mm.utils.cli.cli_main`, which prints them as one
    ``error:`` line.

    Args:
        body (Callable[[], str]): does the work and returns the path of the
            markdown table it wrote.

    Returns:
        int: the exit status, 0.
    """
    table = body()
    logging.getLogger('natmae_mm.experiments').info(f'results: {table}')
    with open(table, encoding='utf-8') as f:
        print(f.read())
    return 0


def get_logger() -> logging.Logger:
    """A console logger for the orchestration tools (MMEngine logs the runs themselves)."""
    logger = logging.getLogger('natmae_mm.experiments')
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter('%(asctime)s [%(name)s] %(message)s', '%H:%M:%S'))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger
