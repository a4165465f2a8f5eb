"""benchmark_pretrain.py on a tiny config: runs, and its FLOP count obeys a closed form."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'benchmark_pretrain', os.path.join(ROOT, 'tools', 'analysis', 'benchmark_pretrain.py'))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

T, V, L_SEG, D, DEPTH = 8, 5, 2, 16, 2
TINY = f"""
model = dict(
    type='NATMAE',
    backbone=dict(type='MaskedSkeletonTransformer', num_frames={T}, num_joints={V},
                  segment_len={L_SEG}, embed_dim={D}, depth={DEPTH}, num_heads=2,
                  mask_ratio=0.5),
    neck=dict(type='SkeletonMAEDecoder', num_frames={T}, num_joints={V}, segment_len={L_SEG},
              embed_dim={D}, decoder_dim=8, depth=1, num_heads=2),
    head=dict(type='SkeletonReconstructionHead'),
    target_generator=dict(type='NATTarget', segment_len={L_SEG}),
    contrast=dict(type='MomentumContrastNeck', queue_len=16))
"""


@pytest.fixture
def tiny_config(tmp_path):
    path = tmp_path / 'tiny.py'
    path.write_text(TINY)
    return str(path)


def test_runs_and_contrast_costs_one_full_encoder_forward(tiny_config, capsys):
    common = [tiny_config, '--batch-size', '2', '--steps', '1', '--warmup', '0',
              '--matmul-size', '128']
    full = bench.main(common)
    nocon = bench.main(common + ['--no-contrast', '--attention', 'eager'])
    out = capsys.readouterr().out
    assert 'samples/s' in out and 'contrast: off' in out and 'attention: eager' in out
    for res in (full, nocon):
        assert res['samples_per_s'] > 0 and res['matmul_gflops'] > 0
        assert 0 < res['fraction_of_matmul']
    # the momentum encoder: 2 persons x full forward of L tokens, no backward
    L = T // L_SEG * V
    block = 2 * L * D * 3 * D + 2 * L * D * D + 2 * 2 * L * D * 4 * D + 2 * 2 * L * L * D
    encoder = 2 * L * (L_SEG * 3) * D + DEPTH * block
    extra = (full['gflop_per_sample'] - nocon['gflop_per_sample']) * 1e9
    logits = 2 * 2 * (2 * D * 16) / 2  # q @ queue.T forward + its backward, per sample
    assert extra == pytest.approx(2 * encoder + logits, rel=1e-6)


def test_rejects_wrong_configs_and_flags(tmp_path, tiny_config):
    other = tmp_path / 'other.py'
    other.write_text("model = dict(type='RecognizerGCN')\n")
    with pytest.raises(ValueError, match='expected a NATMAE model'):
        bench.main([str(other)])
    with pytest.raises(SystemExit):
        bench.main([tiny_config, '--batch-size', '0'])
    if not __import__('torch').cuda.is_available():
        with pytest.raises(SystemExit, match='CUDA'):
            bench.main([tiny_config, '--amp', 'bf16'])


def test_breakdown_splits_flops_into_attention_and_linear_matmuls(tiny_config, capsys):
    res = bench.main([tiny_config, '--batch-size', '2', '--steps', '1', '--warmup', '0',
                      '--matmul-size', '128', '--breakdown', '--no-contrast'])
    flops = res['breakdown']['flops']
    # attention matmuls (QK^T and AV: 2 * 2 * N^2 * d each forward; backward = 2 x forward)
    # of 2 persons: encoder blocks on N_vis = L / 2 visible tokens, decoder block on all L
    L = T // L_SEG * V
    n_vis, dec_dim = L // 2, 8
    attention = 2 * (DEPTH * 3 * 4 * n_vis ** 2 * D + 1 * 3 * 4 * L ** 2 * dec_dim)
    assert flops['attention'] == pytest.approx(attention, rel=1e-9)
    assert flops['attention'] + flops['linear matmul'] == pytest.approx(flops['total'])
    times = res['breakdown']['times']
    assert times['linear matmul'] > 0 and times['attention'] > 0
    out = capsys.readouterr().out
    assert 'time per operator group' in out and 'linear matmul' in out


def test_op_groups():
    assert bench.op_group('aten::_scaled_dot_product_flash_attention_for_cpu') == 'attention'
    assert bench.op_group('aten::bmm') == 'attention'
    assert bench.op_group('aten::addmm') == 'linear matmul'
    assert bench.op_group('aten::native_layer_norm_backward') == 'layernorm + gelu'
    assert bench.op_group('Optimizer.step#AdamW.step') == 'optimizer'
    assert bench.op_group('aten::copy_') == 'other'
    assert bench.op_group('aten::mm_backward_like') == 'other'  # exact names only for aten ops


def test_optimizer_state_is_allocated_without_touching_the_model(tiny_config):
    import torch
    from mmengine.registry import init_default_scope

    import natmae_mm  # noqa: F401
    init_default_scope('mmaction')
    cfg = bench.model_config(bench.parse_args([tiny_config]))
    model, optim = bench.build(cfg, torch.device('cpu'), amp=False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    bench.allocate_optimizer_state(model, optim)
    after = model.state_dict()
    assert before.keys() == after.keys()
    for k in before:  # parameters, queue, queue pointer, EMA steps: all as built
        torch.testing.assert_close(after[k], before[k], rtol=0, atol=0, msg=k)
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert all(p in optim.optimizer.state and 'exp_avg' in optim.optimizer.state[p]
               for p in trainable)
    assert all(g['lr'] == 1e-3 for g in optim.optimizer.param_groups)  # lr restored


def test_persons_default_to_the_config_pipeline(tmp_path, tiny_config):
    from mmengine.config import Config
    assert bench.pipeline_num_person(Config.fromfile(tiny_config)) == 2  # no pipeline: 2
    one = tmp_path / 'one.py'
    one.write_text(open(tiny_config).read() + (
        "train_dataloader = dict(dataset=dict(type='RepeatDataset', times=2, dataset=dict("
        "type='SkeletonDataset', pipeline=[dict(type='ValidCropResize', clip_len=8), "
        "dict(type='FormatGCNInput', num_person=1)])))\n"))
    assert bench.pipeline_num_person(Config.fromfile(str(one))) == 1
    assert bench.parse_args([str(one)]).num_person is None  # resolved from the config
