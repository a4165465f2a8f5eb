"""The N-UCLA configs (configs/natmae/nucla/): one real step on tiny N-UCLA-shaped
data, short sequences through the pipelines, the dataset checks firing on
NTU-shaped files, and the invariants that tie the configs together."""
import copy
import glob
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import natmae_mm  # noqa: F401
from natmae_mm.evaluation.experiments import ExperimentError, check_data
from natmae_mm.models.backbones import encoder_width, resolve_arch
from tests.configs.nucla_data import NUM_JOINTS, write_nucla_like

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
NUCLA = osp.join(ROOT, 'configs', 'natmae', 'nucla')
CONFIGS = sorted(osp.basename(p) for p in glob.glob(osp.join(NUCLA, '*.py')))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
GRID = ('in_channels', 'num_frames', 'num_joints', 'segment_len')
SHAPE = ('embed_dim', 'depth', 'num_heads', 'mlp_ratio')


def encoder(backbone):
    """The encoder a backbone config builds: token grid and resolved arch."""
    return ({k: backbone.get(k) for k in GRID},
            resolve_arch(backbone.get('arch', '8x256'), **{k: backbone.get(k) for k in SHAPE}))


def load(name, ann_file=None):
    cfg = Config.fromfile(osp.join(NUCLA, name))
    if ann_file is not None:
        for key in LOADERS:
            if cfg.get(key):
                cfg[key].dataset.ann_file = ann_file
    return cfg


def loaders(cfg):
    return [cfg[k] for k in LOADERS if cfg.get(k)]


@pytest.fixture(scope='module')
def nucla_ann(tmp_path_factory):
    """30 sequences of 1..50 frames (every 7th has exactly 1 frame)."""
    path = tmp_path_factory.mktemp('nucla') / 'nucla.pkl'
    return write_nucla_like(str(path), num_samples=30, min_frames=1, max_frames=50,
                            short_every=7)


def test_all_configs_listed():
    assert {'pretrain_nucla.py', 'pretrain_nucla_cpu.py', 'linear_nucla_cpu.py',
            'natmae_vit-8x256_8xb16-400e_nucla-xview-3d.py',
            'vit-8x256_8xb32-linear-coslr-100e_nucla-xview-3d.py',
            'vit-8x256_8xb6-finetune-100e_nucla-xview-3d.py'} <= set(CONFIGS)


@pytest.mark.parametrize('name', CONFIGS)
def test_data_fields_match_nucla(name):
    """Every dataset names N-UCLA's shape so that SkeletonDataset checks the file."""
    cfg = load(name)
    for loader in loaders(cfg):
        ds = loader.dataset
        assert (ds.num_joints, ds.num_person, ds.num_classes) == (20, 1, 10)
        assert ds.split in ('xview_train', 'xview_val')
        clip = [t for t in ds.pipeline if t.type == 'ValidCropResize'][0]
        assert clip.clip_len == cfg.model.backbone.num_frames    # pipeline feeds the model
        fmt = [t for t in ds.pipeline if t.type == 'FormatGCNInput'][0]
        assert fmt.num_person == 1
    assert cfg.model.backbone.num_joints == 20
    if cfg.model.type == 'NATMAE':
        assert cfg.model.neck.num_frames == cfg.model.backbone.num_frames
        assert cfg.model.neck.num_joints == 20
        # fewer queued keys than the 1,020 training sequences (no stale self-copies);
        # the queue is a ring buffer, so it need not divide the batch
        assert cfg.model.contrast.queue_len < 1020
    else:
        assert cfg.model.cls_head.num_classes == 10
        if cfg.model.cls_head.type == 'MAMPFinetuneHead':
            assert cfg.model.cls_head.num_joints == 20


@pytest.mark.parametrize('pretrain', ['natmae_vit-8x256_8xb16-400e_nucla-xview-3d.py',
                                      'pretrain_nucla_cpu.py'])
def test_probe_encoder_matches_pretrained_encoder(pretrain):
    cfg = load(pretrain)
    probe = Config.fromfile(osp.normpath(osp.join(NUCLA, cfg.linear_probe_config)))
    assert encoder(probe.model.backbone) == encoder(cfg.model.backbone)
    assert probe.model.backbone.arch == cfg.model.backbone.arch   # by name, not by numbers
    width = encoder(cfg.model.backbone)[1]['embed_dim']
    assert encoder_width(probe.model.cls_head.in_channels) == width
    assert encoder_width(cfg.model.neck.embed_dim) == width


def test_cpu_scale_is_the_documented_size():
    cfg = load('pretrain_nucla_cpu.py')
    b, n = cfg.model.backbone, cfg.model.neck
    grid, shape = encoder(b)
    assert (shape['depth'], shape['embed_dim'], shape['num_heads']) == (4, 128, 4)
    assert (grid['num_frames'], grid['segment_len']) == (40, 4)
    assert (n.depth, n.decoder_dim, encoder_width(n.embed_dim)) == (2, 128, 128)
    assert cfg.train_cfg.max_epochs == 100 and cfg.train_dataloader.batch_size == 32
    assert [s['end'] for s in cfg.param_scheduler] == [5, 100]
    paper = load('pretrain_nucla.py')
    assert encoder(paper.model.backbone)[1]['depth'] == 8 and paper.train_cfg.max_epochs == 400


def test_entry_alias_is_the_paper_recipe():
    alias = load('pretrain_nucla.py').to_dict()
    assert alias == load('natmae_vit-8x256_8xb16-400e_nucla-xview-3d.py').to_dict()


# pretrain_nucla.py is checked equal to its target above
@pytest.mark.parametrize('name', [c for c in CONFIGS if c != 'pretrain_nucla.py'])
def test_one_step_on_tiny_nucla_data(name, nucla_ann):
    """The config as written (widths, clip, data) but one block deep; batch of 2, one step."""
    init_default_scope('mmaction')
    cfg = load(name, nucla_ann)
    cfg.model.backbone.depth = 1
    if cfg.model.type == 'NATMAE':
        cfg.model.neck.depth = 1
    if cfg.model.type != 'NATMAE':
        cfg.model.backbone.init_cfg = None     # no pretrained file here
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    data = pseudo_collate([train_set[i] for i in range(2)])
    assert data['inputs'][0].shape == (1, 1, cfg.model.backbone.num_frames, NUM_JOINTS, 3)
    losses = model.train_step(data, optim_wrapper)
    assert losses and all(torch.isfinite(v).all() for v in losses.values())
    if cfg.model.type == 'NATMAE':
        assert 'loss_rec' in losses and 'loss_con' in losses
        return
    val_set = DATASETS.build(cfg.test_dataloader.dataset)
    data = pseudo_collate([val_set[i] for i in range(4)])
    with torch.no_grad():
        out = model.test_step(data)
    assert len(out) == 4
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.process(out, data)
    metrics = evaluator.evaluate(4)
    # 4 samples: accuracies are fractions k/4, and top-1 <= top-5 (a (N, 1, K) score
    # layout gave 10.0 for both)
    assert 0 <= metrics['acc/top1'] <= metrics['acc/top5'] <= 1
    assert metrics['acc/top1'] * 4 == pytest.approx(round(metrics['acc/top1'] * 4))


@pytest.mark.parametrize('name', ['pretrain_nucla_cpu.py', 'linear_nucla_cpu.py',
                                  'vit-8x256_8xb6-finetune-100e_nucla-xview-3d.py'])
def test_short_sequences_pass_every_pipeline(name, nucla_ann):
    """1-frame and few-frame sequences come out as full clips of finite values."""
    init_default_scope('mmaction')
    cfg = load(name, nucla_ann)
    with open(nucla_ann, 'rb') as f:
        lengths = {a['frame_dir']: a['total_frames'] for a in pickle.load(f)['annotations']}
    assert min(lengths.values()) == 1
    T = cfg.model.backbone.num_frames
    seen_short = 0
    for loader in loaders(cfg):
        dataset = DATASETS.build(loader.dataset)
        for i in range(len(dataset)):
            item = dataset[i]
            x = item['inputs']
            assert x.shape == (1, 1, T, NUM_JOINTS, 3) and torch.isfinite(x).all()
            if lengths[dataset.get_data_info(i)['frame_dir']] == 1:
                seen_short += 1
                # one frame resized to T frames: every frame is that frame
                assert torch.allclose(x[0, 0], x[0, 0, :1].expand_as(x[0, 0]), atol=1e-6)
    assert seen_short >= 2


def _ntu_shaped(path, joints=20, persons=1, classes=10):
    rng = np.random.default_rng(0)
    annos, names = [], []
    for i in range(4):
        kp = rng.normal(size=(persons, 12, joints, 3)).astype(np.float32)
        label = [0, classes - 1, 1, 2][i]
        names.append(f's{i}')
        annos.append(dict(frame_dir=f's{i}', label=label, total_frames=12, keypoint=kp))
    with open(path, 'wb') as f:
        pickle.dump(dict(split={'xview_train': names, 'xview_val': names},
                         annotations=annos), f)
    return str(path)


@pytest.mark.parametrize('kind, kwargs, message', [
    ('joints', dict(joints=25), r'num_joints=20 in the config .* 25 joints'),
    ('persons', dict(persons=2), r'num_person=1 in the config .* 2 persons'),
    ('classes', dict(classes=60), r'num_classes=10 in the config .* \(60 classes\)'),
])
def test_mismatched_file_fails_before_training(kind, kwargs, message, tmp_path):
    ann = _ntu_shaped(tmp_path / f'{kind}.pkl', **kwargs)
    for name in ('pretrain_nucla_cpu.py', 'linear_nucla_cpu.py'):
        cfg = load(name, ann)
        with pytest.raises(ValueError, match=message):
            DATASETS.build(cfg.train_dataloader.dataset)
        with pytest.raises(ExperimentError, match=message):
            check_data(cfg, name)


def test_missing_or_empty_annotation_is_a_clear_error(tmp_path):
    cfg = load('pretrain_nucla_cpu.py', str(tmp_path / 'data' / 'nucla' / 'nucla_3d.pkl'))
    with pytest.raises(ExperimentError, match=r'nucla_3d\.pkl.*does not exist.*tools/data/'):
        check_data(cfg, 'pretrain_nucla_cpu.py')
    empty = tmp_path / 'empty.pkl'
    empty.write_bytes(b'')
    with pytest.raises(ExperimentError, match='empty'):
        check_data(load('linear_nucla_cpu.py', str(empty)), 'linear_nucla_cpu.py')


def _load_converter():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'nucla_to_pkl', osp.join(ROOT, 'tools', 'data', 'nucla_to_pkl.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_converter_output_feeds_the_configs(tmp_path):
    """CTR-GCN-format JSON -> tools/data/nucla_to_pkl.py -> the N-UCLA datasets."""
    import json
    src = tmp_path / 'all_sqe'
    src.mkdir()
    rng = np.random.default_rng(0)
    # (action, view, frames): labels 1 and 10 so the file has 10 classes; a 1-frame sequence
    for i, (label, view, frames) in enumerate([(1, 1, 30), (10, 2, 1), (5, 1, 7), (1, 3, 12),
                                               (10, 3, 50)]):
        skel = rng.normal(size=(frames, 20, 3)).tolist()
        name = f'a{label:02d}_s{i + 1:02d}_e01_v{view:02d}'
        (src / f'{name}.json').write_text(json.dumps(
            dict(file_name=name, skeletons=skel, label=label)))
    out = tmp_path / 'data' / 'nucla' / 'nucla_3d.pkl'
    converter = _load_converter()
    assert converter.main([str(src), str(out)]) == 0
    init_default_scope('mmaction')
    cfg = load('linear_nucla_cpu.py', str(out))
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.test_dataloader.dataset)
    assert (len(train), len(val)) == (3, 2)                     # views 1-2 / view 3
    assert {train.get_data_info(i)['label'] for i in range(3)} == {0, 4, 9}
    for dataset in (train, val):
        for i in range(len(dataset)):
            assert dataset[i]['inputs'].shape == (1, 1, 40, 20, 3)

    # a missing or empty data directory: a message, not a traceback
    with pytest.raises(SystemExit, match='directory not found'):
        converter.main([str(tmp_path / 'nope'), str(out)])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit, match='no .json files'):
        converter.main([str(tmp_path / 'empty'), str(out)])
