"""Per-process random generators for data transforms.

Transforms never touch NumPy's global random state. Each transform owns a
:class:`WorkerRNG`, which lazily builds a ``numpy.random.Generator`` the first
time it is used in a process and rebuilds it whenever the process (``os.getpid``)
or torch's seed (``torch.initial_seed``) changes.

How determinism works with MMEngine:

* ``Runner(randomness=dict(seed=S))`` calls ``torch.manual_seed(S)`` in the
  main process and, for every DataLoader worker, MMEngine's ``worker_init_fn``
  calls ``torch.manual_seed(num_workers * rank + worker_id + S)``. So
  ``torch.initial_seed()`` inside a worker is a deterministic function of the
  runner seed, the rank and the worker id, and differs between workers and ranks.
  With ``num_workers=0`` the main process uses ``S`` itself.
* Without a runner seed, PyTorch seeds each worker with ``base_seed + worker_id``
  (``base_seed`` drawn from the main process) — different draws per worker/epoch.
* A generator created before a ``fork`` is never reused in the child: the pid
  check makes every worker build its own, so workers never repeat each other.
* An explicit ``seed`` on a transform overrides the torch seed; it is mixed with
  the DataLoader worker id so that workers still differ.
* Use ``persistent_workers=True`` (MMAction2's default): non-persistent workers
  are re-created, and under a fixed runner seed re-seeded identically, every
  epoch, so they would replay the same augmentations each epoch (the same holds
  for the global NumPy state that MMEngine's ``worker_init_fn`` seeds).
"""
import os
import zlib
from typing import Optional

import numpy as np
import torch


class WorkerRNG:
    """A NumPy ``Generator`` that is private to the current process.

    Args:
        name (str): Salt that separates the streams of different transforms
            (the transform's class name), so two transforms never draw the same
            numbers.
        seed (int, optional): Fixed seed. ``None`` derives the seed from
            ``torch.initial_seed()`` (see module docstring). Defaults to None.
    """

    def __init__(self, name: str, seed: Optional[int] = None) -> None:
        self.name = name
        self.seed = seed
        self._salt = zlib.crc32(name.encode('utf-8'))
        self._key = None
        self._rng: Optional[np.random.Generator] = None

    def get(self) -> np.random.Generator:
        """The generator of this process (built on first use)."""
        key = (os.getpid(), torch.initial_seed())
        if self._rng is None or key != self._key:
            if self.seed is None:
                entropy = [key[1] % (2**64), self._salt]
            else:
                info = torch.utils.data.get_worker_info()
                worker_id = 0 if info is None else info.id
                entropy = [int(self.seed) % (2**64), worker_id, self._salt]
            self._rng = np.random.default_rng(np.random.SeedSequence(entropy))
            self._key = key
        return self._rng

    def __getstate__(self) -> dict:
        # A pickled copy (spawned workers) must build its own generator.
        state = self.__dict__.copy()
        state['_rng'] = None
        state['_key'] = None
        return state
