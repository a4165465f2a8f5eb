"""Throughput, FLOPs and memory of full NAT-MAE pretraining steps.

Times complete training steps (data preprocessor, forward, backward, AdamW
step) on random skeletons shaped like the config's model, and reports:

* samples/s and ms/step;
* FLOPs per sample of one training step (``torch.utils.flop_counter``; counted
  on an ``attention='eager'`` twin, because the counter has no formula for
  CPU's fused SDPA kernel and would otherwise miss the attention matmuls);
* this machine's fp32 matmul GFLOP/s, measured just before and after the
  timed steps (mean; the machine may be shared), and the achieved fraction;
* peak memory per sample: on CUDA ``max_memory_allocated`` above the
  post-warm-up baseline divided by the batch; on CPU the growth of the
  process's peak RSS (``ru_maxrss``) over a baseline taken after one 1-sample
  step, divided by ``batch - 1`` (the 1-sample step's activations are part of
  the baseline).

Example:
    python tools/analysis/benchmark_pretrain.py configs/natmae/pretrain_ntu60.py \
        --batch-size 4 --steps 5 [--no-contrast] [--attention eager] [--amp bf16]
"""
import argparse
import copy
import resource
import sys
import time
from typing import Dict

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import init_default_scope
from torch.utils.flop_counter import FlopCounterMode


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Benchmark NAT-MAE pretraining steps')
    p.add_argument('config', help='pretraining config with a NATMAE model')
    p.add_argument('--batch-size', type=int, default=4, help='samples per step (>= 2)')
    p.add_argument('--num-person', type=int, default=2, help='persons M per sample')
    p.add_argument('--steps', type=int, default=5, help='timed steps')
    p.add_argument('--warmup', type=int, default=1, help='untimed steps before timing')
    p.add_argument('--no-contrast', action='store_true', help='"Ours w/o Con"')
    p.add_argument('--attention', choices=['sdpa', 'eager'], default=None,
                   help='override the attention kernel of encoder and decoder')
    p.add_argument('--amp', choices=['bf16'], default=None, help='bf16 autocast (CUDA only)')
    p.add_argument('--matmul-size', type=int, default=2048)
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides')
    args = p.parse_args(argv)
    if args.batch_size < 2:
        p.error('--batch-size must be >= 2 (memory is measured above a 1-sample baseline)')
    if args.steps < 1:
        p.error('--steps must be >= 1')
    return args


def model_config(args: argparse.Namespace) -> dict:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if 'model' not in cfg or cfg.model.get('type') != 'NATMAE':
        raise ValueError(f'{args.config}: expected a NATMAE model config (model.type="NATMAE"), '
                         f'got {cfg.get("model", {}).get("type")!r}')
    model = copy.deepcopy(cfg.model.to_dict())
    if args.no_contrast:
        model['contrast'] = None
    if args.attention:
        model['backbone']['attention'] = args.attention
        model['neck']['attention'] = args.attention
    return model


def build(model_cfg: dict, device: torch.device, amp: bool):
    from mmaction.registry import MODELS
    model = MODELS.build(copy.deepcopy(model_cfg)).to(device).train()
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3,
                              weight_decay=0.05)
    wrapper = (AmpOptimWrapper(optimizer=optim, dtype='bfloat16') if amp
               else OptimWrapper(optimizer=optim))
    return model, wrapper


def make_batch(model_cfg: dict, batch: int, persons: int) -> Dict:
    bb = model_cfg['backbone']
    shape = (1, persons, bb.get('num_frames', 120), bb.get('num_joints', 25),
             bb.get('in_channels', 3))
    return dict(inputs=[torch.randn(shape) * 0.3 for _ in range(batch)], data_samples=None)


def matmul_gflops(n: int, device: torch.device, reps: int = 5) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    torch.mm(a, b)
    _sync(device)
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize()


def flops_per_sample(model_cfg: dict, args, device: torch.device) -> float:
    eager = copy.deepcopy(model_cfg)
    eager['backbone']['attention'] = 'eager'
    eager['neck']['attention'] = 'eager'
    model, _ = build(eager, device, amp=False)
    data = model.data_preprocessor(make_batch(model_cfg, args.batch_size, args.num_person), True)
    with FlopCounterMode(display=False) as counter:
        losses = model(**data, mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
    return counter.get_total_flops() / args.batch_size


def main(argv=None) -> Dict[str, float]:
    args = parse_args(argv)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    if args.amp and device.type != 'cuda':
        raise SystemExit('--amp bf16 needs CUDA (bf16 on this CPU has no native kernels)')
    import natmae_mm  # noqa: F401  (registration)
    init_default_scope('mmaction')
    cfg = model_config(args)
    torch.manual_seed(0)

    model, optim = build(cfg, device, amp=args.amp == 'bf16')
    model.train_step(make_batch(cfg, 1, args.num_person), optim)  # allocate grads, Adam states
    _sync(device)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    batches = [make_batch(cfg, args.batch_size, args.num_person)
               for _ in range(args.warmup + args.steps)]
    for data in batches[:args.warmup]:
        model.train_step(data, optim)
    _sync(device)
    matmul_before = matmul_gflops(args.matmul_size, device)
    start = time.perf_counter()
    for data in batches[args.warmup:]:
        model.train_step(data, optim)
    _sync(device)
    elapsed = time.perf_counter() - start
    # the machine may be shared: rate the steps against the matmul rate measured around them
    peak_matmul = (matmul_before + matmul_gflops(args.matmul_size, device)) / 2
    if device.type == 'cuda':
        mem = (torch.cuda.max_memory_allocated() - base) / args.batch_size
    else:
        mem = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base) / (
            args.batch_size - 1)

    del model, optim, batches
    flops = flops_per_sample(cfg, args, device)  # after the memory measurement
    sps = args.batch_size * args.steps / elapsed
    achieved = flops * sps / 1e9
    res = dict(samples_per_s=sps, ms_per_step=1e3 * elapsed / args.steps,
               gflop_per_sample=flops / 1e9, achieved_gflops=achieved,
               matmul_gflops=peak_matmul, fraction_of_matmul=achieved / peak_matmul,
               peak_mem_mib_per_sample=mem / 2 ** 20)
    contrast = 'off (w/o Con)' if cfg.get('contrast') is None else 'on'
    print(f'config: {args.config} | device: {device} | threads: {torch.get_num_threads()} | '
          f'batch: {args.batch_size} x {args.num_person} persons | contrast: {contrast} | '
          f'attention: {cfg["backbone"].get("attention", "sdpa")} | amp: {args.amp or "fp32"}')
    print(f'samples/s: {sps:.2f} ({res["ms_per_step"]:.0f} ms/step over {args.steps} steps)')
    print(f'FLOPs/sample (train step): {res["gflop_per_sample"]:.2f} GFLOP')
    print(f'fp32 matmul {args.matmul_size}^3: {peak_matmul:.1f} GFLOP/s | achieved '
          f'{achieved:.1f} GFLOP/s = {100 * res["fraction_of_matmul"]:.1f}%')
    print(f'peak memory per sample: {res["peak_mem_mib_per_sample"]:.1f} MiB '
          f'({"CUDA max_memory_allocated" if device.type == "cuda" else "CPU ru_maxrss growth"})')
    return res


if __name__ == '__main__':
    main()
    sys.exit(0)
