"""MMAction2 skeleton dataset with schema validation and label-fraction subsets.

Reads MMAction2's skeleton pickle (``{'split': {name: [frame_dir]},
'annotations': [{'frame_dir', 'label', 'total_frames', 'keypoint' (M, T, V, C)}]}``)
with :class:`mmaction.datasets.PoseDataset`'s own ``load_data_list`` (split
selection, ``data_prefix``), but through the restricted unpickler of
:mod:`natmae_mm.utils.safe_pickle` (a downloaded file cannot run code), and
additionally

* checks the file against the config (``num_joints``, ``num_person``,
  ``num_classes``) and refuses non-finite keypoints, naming the file and the
  offending sample;
* draws the semi-supervised subset (``label_fraction``): with
  ``class_balanced=True`` each class ``c`` with ``n_c`` samples keeps
  ``max(1, floor(f * n_c + 0.5))`` of them, otherwise ``max(1, floor(f * N + 0.5))``
  samples overall. The draw uses ``np.random.default_rng(subset_seed)`` over the
  split's frame_dirs sorted by name (per class in increasing label order), so it
  depends only on the seed and the file — every rank and every run gets the same
  subset.
"""
import os
import os.path as osp
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Union

import numpy as np
from mmaction.datasets import PoseDataset
from mmaction.registry import DATASETS

from natmae_mm.utils.errors import InvalidInputError, MissingKeyError
from natmae_mm.utils.safe_pickle import mmengine_safe_pickle


def select_label_fraction(frame_dirs: List[str], labels: List[int], fraction: float,
                          seed: int = 0, class_balanced: bool = True) -> List[str]:
    """Frame_dirs of a labelled subset (sorted); see the module docstring for the rule.

    Args:
        frame_dirs (list[str]): Sample names of the split.
        labels (list[int]): Their labels.
        fraction (float): Kept fraction in (0, 1].
        seed (int): Subset seed.
        class_balanced (bool): Draw per class. Defaults to True.

    Returns:
        list[str]: The kept frame_dirs, sorted.
    """
    if not 0. < fraction <= 1.:
        raise InvalidInputError(f'label_fraction must be in (0, 1], got {fraction}')
    rng = np.random.default_rng(seed)
    pairs = sorted(zip(frame_dirs, labels))
    groups: Dict[int, List[str]] = defaultdict(list)
    if class_balanced:
        for name, label in pairs:
            groups[int(label)].append(name)
    else:
        groups[0] = [name for name, _ in pairs]
    kept: List[str] = []
    for key in sorted(groups):
        names = groups[key]
        k = min(len(names), max(1, int(np.floor(fraction * len(names) + 0.5))))
        idx = rng.choice(len(names), size=k, replace=False)
        kept.extend(names[i] for i in idx)
    return sorted(kept)


@DATASETS.register_module()
class SkeletonDataset(PoseDataset):
    """Skeleton action dataset (MMAction2 pickle) with checks and subsets.

    Args:
        ann_file (str): Annotation pickle.
        pipeline (list[dict | callable]): Transforms.
        split (str, optional): Split name in ``data['split']``; None keeps all.
        num_joints (int, optional): Expected ``V``; checked for every sample.
        num_person (int, optional): Maximum ``M``; a sample with more persons
            is an error (they would be silently dropped by ``FormatGCNInput``).
        num_classes (int, optional): Expected number of classes; every label
            must lie in ``[0, num_classes)`` and the file's largest label must
            be ``num_classes - 1``.
        label_fraction (float, optional): Keep this fraction of the split's
            labelled samples (semi-supervised protocol). Defaults to None.
        subset_seed (int): Seed of the subset draw. Defaults to 0.
        class_balanced (bool): Draw the subset per class. Defaults to True.
        **kwargs: Passed to :class:`mmaction.datasets.PoseDataset`.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[Dict, Callable]],
                 split: Optional[str] = None,
                 num_joints: Optional[int] = None,
                 num_person: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 label_fraction: Optional[float] = None,
                 subset_seed: int = 0,
                 class_balanced: bool = True,
                 **kwargs) -> None:
        if label_fraction is not None and not 0. < label_fraction <= 1.:
            raise InvalidInputError(
                f'label_fraction must be in (0, 1] or None, got {label_fraction}')
        self.num_joints = num_joints
        self.num_person = num_person
        self.expected_num_classes = num_classes
        self.label_fraction = label_fraction
        self.subset_seed = subset_seed
        self.class_balanced = class_balanced
        super().__init__(ann_file, pipeline=pipeline, split=split,
                         num_classes=num_classes, **kwargs)

    def _check_path(self) -> None:
        path = self.ann_file
        if not path or not osp.exists(path):
            raise FileNotFoundError(f'annotation file not found: {path!r}')
        if osp.isdir(path):
            raise IsADirectoryError(f'annotation file is a directory: {path!r}; '
                                    'pass the .pkl written by tools/data/*_to_pkl.py')
        if not path.endswith('.pkl'):  # PoseDataset reads only .pkl
            raise InvalidInputError(f'annotation file {path!r} must be a .pkl file')
        if os.path.getsize(path) == 0:
            raise InvalidInputError(f'annotation file is empty: {path!r}')

    def _check_file(self, data) -> Union[dict, List[dict]]:
        """Checks of the whole file, run on it as soon as it is loaded.

        Returns what ``PoseDataset.load_data_list`` expects from the file: the
        dict when a split is selected, else the annotation list.
        """
        path = self.ann_file
        if not isinstance(data, dict) or not isinstance(data.get('annotations'), list):
            raise InvalidInputError(f"{path!r} is not an MMAction2 skeleton annotation file "
                                    "(expected a dict with an 'annotations' list)")
        if not data['annotations']:
            raise InvalidInputError(f'{path!r} holds no annotations')
        for i, anno in enumerate(data['annotations']):
            if not isinstance(anno, dict) or 'label' not in anno:
                raise InvalidInputError(f"{path!r}: annotation {i} is not a dict with a 'label' "
                                        f'(got {type(anno).__name__})')
        self._check_classes(data['annotations'])
        if self.split is not None:
            splits = data.get('split') or {}
            if self.split not in splits:
                raise MissingKeyError(f'split {self.split!r} not in {path!r}; '
                                      f'available: {sorted(splits)}')
            return data
        return data['annotations']

    def _check_classes(self, annos: List[dict]) -> None:
        path = self.ann_file
        labels = np.array([int(a['label']) for a in annos])
        if labels.min() < 0:
            raise InvalidInputError(f'{path!r}: negative label {labels.min()} (labels are 0-based)')
        if self.expected_num_classes is None:
            return
        found = int(labels.max()) + 1
        if found != self.expected_num_classes:
            raise InvalidInputError(f'num_classes={self.expected_num_classes} in the config but '
                                    f'{path!r} has labels 0..{found - 1} ({found} classes)')

    def _check_sample(self, anno: dict) -> None:
        path, name = self.ann_file, anno.get('frame_dir', '?')
        kp = anno.get('keypoint')
        if not isinstance(kp, np.ndarray) or kp.ndim != 4:
            shape = getattr(kp, 'shape', None)
            raise InvalidInputError(f'{path!r}: sample {name!r} has no (M, T, V, C) keypoint array '
                                    f'(got shape {shape})')
        m, t, v, _ = kp.shape
        if t == 0 or m == 0:
            raise InvalidInputError(
                f'{path!r}: sample {name!r} is empty (keypoint shape {kp.shape})')
        if self.num_joints is not None and v != self.num_joints:
            raise InvalidInputError(f'num_joints={self.num_joints} in the config but sample '
                                    f'{name!r} of {path!r} has {v} joints')
        if self.num_person is not None and m > self.num_person:
            raise InvalidInputError(f'num_person={self.num_person} in the config but sample '
                                    f'{name!r} of {path!r} has {m} persons')
        if not np.isfinite(kp).all():
            bad = np.argwhere(~np.isfinite(kp))[0].tolist()
            raise InvalidInputError(f'{path!r}: sample {name!r} has non-finite keypoints '
                                    f'(first at index (m, t, v, c) = {tuple(bad)})')

    def load_data_list(self) -> List[Dict]:
        """PoseDataset's loading through the safe loader, then checks and subset.

        ``PoseDataset.load_data_list`` selects the split and joins
        ``data_prefix``; it reads the file through the restricted unpickler
        (:func:`~natmae_mm.utils.safe_pickle.mmengine_safe_pickle`), which hands
        the file to :meth:`_check_file` first. Then every selected sample is
        checked and the label-fraction subset is drawn.
        """
        self._check_path()
        with mmengine_safe_pickle(self.ann_file, 'annotation file', on_load=self._check_file):
            annos = super().load_data_list()
        if not annos:
            raise InvalidInputError(f'split {self.split!r} of {self.ann_file!r} selects no sample')
        for anno in annos:
            self._check_sample(anno)
        if self.label_fraction is not None:
            kept = set(select_label_fraction([a['frame_dir'] for a in annos],
                                             [int(a['label']) for a in annos],
                                             self.label_fraction, self.subset_seed,
                                             self.class_balanced))
            annos = [a for a in annos if a['frame_dir'] in kept]
        return annos
