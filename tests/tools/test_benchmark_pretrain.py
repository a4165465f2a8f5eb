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
        bench.main([tiny_config, '--batch-size', '1'])
    if not __import__('torch').cuda.is_available():
        with pytest.raises(SystemExit, match='CUDA'):
            bench.main([tiny_config, '--amp', 'bf16'])
