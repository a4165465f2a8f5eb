"""Throughput of the skeleton data path: training pipeline samples/s and NTU conversion files/s.

Example::

    python tools/analysis/benchmark_pipeline.py configs/natmae/pretrain_ntu60.py \
        --num-samples 3000 --synthetic

* Pipeline: builds ``train_dataloader.dataset`` of CONFIG and times
  ``dataset[i]`` (annotation -> ValidCropResize -> RandomRot3D -> FormatGCNInput ->
  PackActionInputs) in this process with one torch thread, i.e. one worker.
  ``--synthetic`` replaces the annotation file with a generated NTU-shaped one
  (T ~ U[60, 140], M = 2, V = 25).
* Conversion: writes ``--num-files`` generated two-body ``.skeleton`` files
  (100 frames, CRLF) and times the NTU converter on them in one process; the
  estimate for NTU-60 (56,880 files) assumes 2 processes.
"""
import argparse
import os
import pickle
import tempfile
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from natmae_mm.utils.cli import cli_main

NTU60_FILES = 56880


def synthetic_annotation(path: str, num: int = 512, seed: int = 0) -> None:
    """NTU-shaped annotation: T ~ U[60, 140], M = 2, V = 25, 60 classes."""
    rng = np.random.default_rng(seed)
    annos = []
    for i in range(num):
        t = int(rng.integers(60, 141))
        kp = rng.normal(scale=0.3, size=(2, t, 25, 3)).astype(np.float32)
        annos.append(dict(frame_dir=f'syn_{i}', label=i % 60, total_frames=t, keypoint=kp))
    names = [a['frame_dir'] for a in annos]
    with open(path, 'wb') as f:
        pickle.dump(dict(split=dict(xsub_train=names, xsub_val=names), annotations=annos), f)


def skeleton_file_text(rng: np.random.Generator, frames: int = 100, bodies: int = 2) -> str:
    """A well-formed NTU ``.skeleton`` text with ``bodies`` tracked bodies."""
    out = [str(frames)]
    base = [rng.normal(scale=0.3, size=(25, 3)) + [b, 0, 3] for b in range(bodies)]
    for t in range(frames):
        out.append(str(bodies))
        for b in range(bodies):
            out += [f'7205759403793{b:04d} 0 1 1 1 1 0 0.1 0.2 2', '25']
            joints = base[b] + 0.01 * t + rng.normal(scale=0.01, size=(25, 3))
            out += [f'{x:.7f} {y:.7f} {z:.7f} 250.1 200.2 900.3 500.4 0.1 0.2 0.3 0.4 2'
                    for x, y, z in joints]
    return '\r\n'.join(out) + '\r\n'


def bench_pipeline(cfg_path: str, num_samples: int, synthetic: bool) -> float:
    from mmaction.registry import DATASETS

    import natmae_mm  # noqa: F401  (registration)
    cfg = Config.fromfile(cfg_path)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    ds_cfg = cfg.train_dataloader.dataset
    while 'dataset' in ds_cfg:  # RepeatDataset and other wrappers
        ds_cfg = ds_cfg.dataset
    with tempfile.TemporaryDirectory() as tmp:
        if synthetic:
            ds_cfg.ann_file = os.path.join(tmp, 'synthetic_ntu.pkl')
            ds_cfg.split = 'xsub_train'
            ds_cfg.pop('label_fraction', None)
            synthetic_annotation(ds_cfg.ann_file)
        dataset = DATASETS.build(ds_cfg)
        for i in range(min(50, len(dataset))):  # warm-up
            dataset[i]
        start = time.perf_counter()
        for i in range(num_samples):
            dataset[i % len(dataset)]
        elapsed = time.perf_counter() - start
    return num_samples / elapsed


def bench_conversion(num_files: int) -> float:
    from natmae_mm.datasets.converters.ntu import convert_skeleton_file
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(num_files):
            p = os.path.join(tmp, f'S001C001P{i // 60 + 1:03d}R001A{i % 60 + 1:03d}.skeleton')
            with open(p, 'w', newline='') as f:
                f.write(skeleton_file_text(rng))
            paths.append(p)
        start = time.perf_counter()
        for p in paths:
            convert_skeleton_file(p)
        elapsed = time.perf_counter() - start
    return num_files / elapsed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config with a train_dataloader')
    parser.add_argument('--num-samples', type=int, default=2000)
    parser.add_argument('--synthetic', action='store_true',
                        help='time on a generated NTU-shaped annotation instead of the file')
    parser.add_argument('--num-files', type=int, default=60,
                        help='generated .skeleton files for the conversion benchmark (0: skip)')
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rate = bench_pipeline(args.config, args.num_samples, args.synthetic)
    print(f'pipeline: {rate:,.0f} samples/s (one worker, {args.num_samples} samples)')
    if args.num_files > 0:
        files = bench_conversion(args.num_files)
        minutes = NTU60_FILES / (2 * files) / 60
        print(f'conversion: {files:,.1f} files/s (one process, 100-frame two-body files); '
              f'NTU-60 ({NTU60_FILES:,} files) on 2 cores: ~{minutes:.1f} min')


if __name__ == '__main__':
    cli_main(main)
