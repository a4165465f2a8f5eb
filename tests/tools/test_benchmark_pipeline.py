"""benchmark_pipeline.py runs on a tiny config and reports both rates."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_runs_on_tiny_config(tmp_path, capsys):
    cfg = tmp_path / 'tiny.py'
    cfg.write_text(
        "default_scope = 'mmaction'\n"
        "train_dataloader = dict(dataset=dict(type='SkeletonDataset', ann_file='none.pkl',\n"
        "    split='xsub_train', num_joints=25, num_person=2, num_classes=60, pipeline=[\n"
        "    dict(type='ValidCropResize', clip_len=120), dict(type='RandomRot3D'),\n"
        "    dict(type='FormatGCNInput', num_person=2), dict(type='PackActionInputs')]))\n")
    spec = importlib.util.spec_from_file_location(
        'benchmark_pipeline', ROOT / 'tools/analysis/benchmark_pipeline.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main([str(cfg), '--num-samples', '20', '--synthetic', '--num-files', '2'])
    out = capsys.readouterr().out
    assert 'samples/s' in out and 'files/s' in out and 'NTU-60 (56,880 files)' in out
