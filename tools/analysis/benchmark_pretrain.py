"""Throughput, FLOPs and memory of full NAT-MAE pretraining steps.

Times complete training steps (data preprocessor, forward, backward, AdamW
step) on random skeletons shaped like the config's model, and reports:

* samples/s and ms/step;
* FLOPs per sample of one training step (``torch.utils.flop_counter``; counted
  on an ``attention='eager'`` twin, because the counter has no formula for
  CPU's fused SDPA kernel and would otherwise miss the attention matmuls);
* this machine's fp32 matmul GFLOP/s, measured just before and after the
  timed steps (mean; the machine may be shared), and the achieved fraction;
* persons per sample: ``--num-person``, by default the ``num_person`` of the
  config's ``FormatGCNInput`` (what its data really feeds the model), else 2;
* peak memory per sample: on CUDA ``max_memory_allocated`` above the
  post-warm-up baseline divided by the batch; on CPU the growth of the
  process's peak RSS (``ru_maxrss``) over a baseline taken once the gradients
  and optimizer states exist, divided by the batch;
* with ``--breakdown``: where the step time goes. Extra steps run under
  ``torch.profiler``; operator self-times are grouped into linear-layer matmuls
  (``mm``/``addmm``), the attention kernel (fused SDPA, or ``bmm`` + softmax
  when eager), LayerNorm/GELU, the optimizer and everything else, and each
  matmul group is paired with its FLOPs from the counter (linear layers are
  ``mm``/``addmm`` there, attention is ``bmm``) to give its own GFLOP/s. This
  says which part keeps the step below the matmul rate.

Example:
    python tools/analysis/benchmark_pretrain.py configs/natmae/pretrain_ntu60.py \
        --batch-size 4 --steps 5 [--no-contrast] [--attention eager] [--amp bf16] \
        [--breakdown]
"""
import argparse
import copy
import resource
import time
from collections import defaultdict
from typing import Dict

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import init_default_scope
from torch.utils.flop_counter import FlopCounterMode

from natmae_mm.utils.config import load_config
from natmae_mm.utils.errors import InvalidInputError


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Benchmark NAT-MAE pretraining steps')
    p.add_argument('config', help='pretraining config with a NATMAE model')
    p.add_argument('--batch-size', type=int, default=4, help='samples per step')
    p.add_argument('--num-person', type=int, default=None,
                   help="persons M per sample (default: the config's FormatGCNInput num_person, "
                        'else 2)')
    p.add_argument('--steps', type=int, default=5, help='timed steps')
    p.add_argument('--warmup', type=int, default=1, help='untimed steps before timing')
    p.add_argument('--no-contrast', action='store_true', help='"Ours w/o Con"')
    p.add_argument('--attention', choices=['sdpa', 'eager'], default=None,
                   help='override the attention kernel of encoder and decoder')
    p.add_argument('--amp', choices=['bf16'], default=None, help='bf16 autocast (CUDA only)')
    p.add_argument('--matmul-size', type=int, default=2048)
    p.add_argument('--breakdown', action='store_true',
                   help='profile extra steps and print time and GFLOP/s per operator group')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides')
    args = p.parse_args(argv)
    if args.batch_size < 1:
        p.error('--batch-size must be >= 1')
    if args.steps < 1:
        p.error('--steps must be >= 1')
    return args


def pipeline_num_person(cfg: Config, default: int = 2) -> int:
    """``num_person`` of the first ``FormatGCNInput`` in the training pipeline, else ``default``."""
    dataset = cfg.get('train_dataloader', {}).get('dataset', {})
    while isinstance(dataset.get('dataset'), dict):  # RepeatDataset & co.
        dataset = dataset['dataset']
    for step in dataset.get('pipeline') or []:
        if step.get('type') == 'FormatGCNInput':
            return int(step.get('num_person', 2))
    return default


def model_config(args: argparse.Namespace) -> dict:
    cfg = load_config(args.config, args.cfg_options)
    if 'model' not in cfg or cfg.model.get('type') != 'NATMAE':
        raise InvalidInputError(
            f'{args.config}: expected a NATMAE model config (model.type="NATMAE"), '
            f'got {cfg.get("model", {}).get("type")!r}')
    model = copy.deepcopy(cfg.model.to_dict())
    if args.num_person is None:
        args.num_person = pipeline_num_person(cfg)
    if args.no_contrast:
        model['contrast'] = None
    if args.attention:
        model['backbone']['attention'] = args.attention
        model['neck']['attention'] = args.attention
    return model


def allocate_optimizer_state(model: torch.nn.Module, optim) -> None:
    """Create every gradient buffer and the AdamW moments without running the model.

    A real step would move the model's state (queue pointer, EMA steps) before
    the timed steps; zero gradients at learning rate 0 leave every parameter
    and buffer as built.
    """
    for p in model.parameters():
        if p.requires_grad:
            p.grad = torch.zeros_like(p)
    lrs = [group['lr'] for group in optim.optimizer.param_groups]
    for group in optim.optimizer.param_groups:
        group['lr'] = 0.
    optim.optimizer.step()
    for group, lr in zip(optim.optimizer.param_groups, lrs):
        group['lr'] = lr
    optim.zero_grad()


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


#: operator-name -> group of the ``--breakdown`` table (first match wins).
OP_GROUPS = (
    ('attention', ('scaled_dot_product', 'flash_attention', 'aten::bmm', 'aten::baddbmm',
                   'aten::_softmax', 'aten::_softmax_backward_data')),
    ('linear matmul', ('aten::mm', 'aten::addmm')),
    ('layernorm + gelu', ('layer_norm', 'gelu')),
    ('optimizer', ('adam', '_foreach', 'Optimizer.')),
)


def op_group(name: str) -> str:
    for group, keys in OP_GROUPS:
        if any(name == k or (not k.startswith('aten::') and k in name) for k in keys):
            return group
    return 'other'


def flop_counts(model_cfg: dict, args, device: torch.device) -> Dict[str, float]:
    """FLOPs of one training step per sample: ``total``, ``attention`` (bmm), ``linear matmul``."""
    eager = copy.deepcopy(model_cfg)
    eager['backbone']['attention'] = 'eager'
    eager['neck']['attention'] = 'eager'
    model, _ = build(eager, device, amp=False)
    data = model.data_preprocessor(make_batch(model_cfg, args.batch_size, args.num_person), True)
    with FlopCounterMode(display=False) as counter:
        losses = model(**data, mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
    per_op = counter.get_flop_counts().get('Global', {})
    by_name = defaultdict(float)
    for op, n in per_op.items():
        by_name[str(op).split('.')[1] if '.' in str(op) else str(op)] += n  # aten.mm -> mm
    n = args.batch_size
    return {'total': counter.get_total_flops() / n,
            'attention': (by_name['bmm'] + by_name['baddbmm']) / n,
            'linear matmul': (by_name['mm'] + by_name['addmm']) / n}


def time_breakdown(model, optim, batches, device: torch.device) -> Dict[str, float]:
    """Seconds of operator self-time per group over ``batches`` (torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == 'cuda' else [])
    with profile(activities=acts) as prof:
        for data in batches:
            model.train_step(data, optim)
        _sync(device)
    groups = defaultdict(float)
    for evt in prof.key_averages():
        t = (getattr(evt, 'self_device_time_total', 0) if device.type == 'cuda'
             else evt.self_cpu_time_total)
        groups[op_group(evt.key)] += t / 1e6
    return dict(groups)


def print_breakdown(times: Dict[str, float], flops: Dict[str, float], num_samples: int,
                    peak: float) -> None:
    total = sum(times.values())
    print(f'time per operator group (torch.profiler self time, {num_samples} samples):')
    for group in [g for g, _ in OP_GROUPS] + ['other']:
        t = times.get(group, 0.)
        line = f'  {group:17s} {100 * t / max(total, 1e-12):5.1f}% of step time'
        if group in flops and t > 0:
            rate = flops[group] * num_samples / t / 1e9
            line += (f' | {flops[group] / 1e9:6.2f} GFLOP/sample at {rate:6.1f} GFLOP/s '
                     f'= {100 * rate / peak:5.1f}% of matmul')
        print(line)


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
    allocate_optimizer_state(model, optim)
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
        mem = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base) / args.batch_size

    times = None
    if args.breakdown:
        times = time_breakdown(model, optim, batches[args.warmup:], device)
    del model, optim, batches
    counts = flop_counts(cfg, args, device)  # after the memory measurement
    flops = counts['total']
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
    if times is not None:
        print_breakdown(times, counts, args.batch_size * args.steps, peak_matmul)
        res['breakdown'] = dict(times=times, flops=counts)
    return res


if __name__ == '__main__':
    from natmae_mm.utils.cli import cli_main
    cli_main(main)
