"""The embedded demo: NAT-MAE end to end on synthetic skeleton actions (``make demo``).

Steps, all in this process, each writing its outputs atomically under
``--work-dir`` and skipped when its outputs exist (so an interrupted demo is
simply run again):

1. ``data``     synthetic annotation file ``data/synthetic.pkl``
2. ``pretrain`` NAT-MAE pretraining (no labels) with the demo config
3. ``linear_pretrained`` / ``linear_random``: the frozen-encoder linear probe
   (BN + linear, trained with augmentation by MMEngine's runner) on the
   pretrained encoder, and on a randomly initialised one; tested on the val
   split, predictions dumped to ``preds.pkl``
4. ``knn_*``    cosine k-NN (k=20) on the frozen features of both encoders
5. ``figures``  t-SNE of both encoders' val features and the confusion matrix
   of the pretrained probe

The three trainings run through the resumable stage engine of the analysis
tools (:func:`natmae_mm.evaluation.experiments.run_stage`): a killed training resumes
from its last checkpoint. Each training's config is built from the demo configs
with MMEngine's config API and dumped to ``configs/<stage>.py``, so it can be
rerun with ``tools/train.py``. The demo ends with a table (pretrained vs random:
linear-probe top-1/top-5, k-NN top-1) printed and written to ``results.md`` /
``results.json``.

    python tools/run_demo.py                     # demo_output/, < 10 min on 2 CPU cores
    python tools/run_demo.py --seed 1            # another data set and initialisation
    python tools/run_demo.py --tiny --work-dir /tmp/demo_tiny   # seconds, for tests
"""
import argparse
import contextlib
import io
import logging
import os
import os.path as osp
import re
import sys
import time
from typing import Any, Callable, Dict, List, Optional

ROOT = osp.abspath(osp.join(osp.dirname(osp.abspath(__file__)), '..'))
sys.path.insert(0, ROOT)
DEMO_CFG = osp.join(ROOT, 'configs', 'natmae', 'demo')
PRETRAIN_CFG = osp.join(DEMO_CFG, 'natmae_vit-4x64_demo-pretrain_synthetic.py')
LINEAR_CFG = osp.join(DEMO_CFG, 'vit-4x64_demo-linear_synthetic.py')
KNN_K = 20

#: Sizes of a full and a tiny run. ``None`` keeps what the demo configs say.
PROFILES = {
    'full': dict(num_classes=16, per_class=80, num_performers=10, min_frames=40, max_frames=100,
                 pretrain_epochs=None, linear_epochs=None, model=None),
    'tiny': dict(num_classes=4, per_class=6, num_performers=3, min_frames=20, max_frames=30,
                 pretrain_epochs=1, linear_epochs=1,
                 model=dict(clip_len=16, embed_dim=16, depth=1, num_heads=2, batch_size=4,
                            queue_len=8)),
}


def log(msg: str, stream=None) -> None:
    print(f'[demo {time.strftime("%H:%M:%S")}] {msg}', file=stream or sys.stdout, flush=True)


class _LogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log(f'  {record.getMessage()}', sys.__stdout__)


#: what the stage engine reports (starting / resuming a training), shown as demo lines
_DEMO_LOGGER = logging.getLogger('natmae_mm.demo')
_DEMO_LOGGER.addHandler(_LogHandler())
_DEMO_LOGGER.setLevel(logging.INFO)
_DEMO_LOGGER.propagate = False


class ProgressFilter(io.TextIOBase):
    """Console stream of one training: everything goes to a log file, a line per epoch to
    the console (``[demo ...] stage: epoch E train I/N loss ...`` and test accuracies)."""

    PATTERN = re.compile(r'Epoch\((train|val|test)\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\]')
    KEYS = ('loss', 'loss_rec', 'loss_con', 'acc/top1', 'lr')

    def __init__(self, name: str, log_file: str) -> None:
        super().__init__()
        self.name = name
        self.console = sys.stdout
        os.makedirs(osp.dirname(log_file), exist_ok=True)
        self.file = open(log_file, 'a', encoding='utf-8')
        self.buf = ''

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.file.write(text)
        self.buf += text
        *lines, self.buf = self.buf.split('\n')
        for line in lines:
            self._show(line)
        return len(text)

    def _show(self, line: str) -> None:
        m = self.PATTERN.search(line)
        if m and (m.group(3) == m.group(4) or m.group(1) != 'train'):
            values = [f'{k} {v.group(1)}' for k in self.KEYS
                      for v in [re.search(rf'\s{re.escape(k)}: ([-\d.e]+)', line)] if v]
            log(f'  {self.name}: epoch {m.group(2)} {m.group(1)} {m.group(3)}/{m.group(4)} '
                + ' '.join(values), self.console)

    def flush(self) -> None:
        if not self.file.closed:
            self.file.flush()

    def close(self) -> None:
        super().close()
        self.file.close()


class Demo:
    """The demo's steps, in order; each skipped when its outputs exist."""

    def __init__(self, args: argparse.Namespace) -> None:
        from natmae_mm.evaluation.experiments import ExperimentError, check_settings
        self.args = args
        self.work = osp.abspath(args.work_dir)
        self.prof = dict(PROFILES['tiny' if args.tiny else 'full'])
        for key in ('pretrain_epochs', 'linear_epochs'):
            if getattr(args, key):
                self.prof[key] = getattr(args, key)
        self.settings = dict(tiny=args.tiny, seed=args.seed,
                             pretrain_cfg_options=args.pretrain_cfg_options or {},
                             **{k: v for k, v in self.prof.items() if k != 'model'})
        os.makedirs(self.work, exist_ok=True)
        if osp.exists(osp.join(self.work, 'state.json')):  # the previous demo's bookkeeping
            raise SystemExit(f'error: {self.work} holds a run of the previous demo (state.json, '
                             'other configs); use another --work-dir or delete it')
        try:
            check_settings(self.work, self.settings)
        except ExperimentError as err:  # the work dir holds another run's settings
            raise SystemExit(f'error: {err}') from None
        self.ann = osp.join(self.work, 'data', 'synthetic.pkl')
        self.seconds: Dict[str, float] = {}

    # ---- configs of this run (MMEngine's config API) ---------------------------------
    def _config(self, base: str, name: str, options: Dict[str, Any]) -> 'Config':  # noqa: F821
        """``base`` with this run's data, seed, sizes and ``options``; dumped to configs/."""
        from mmengine.config import Config

        from natmae_mm.evaluation.experiments import set_ann_file
        cfg = Config.fromfile(base)
        set_ann_file(cfg, self.ann)
        opts = {'randomness': dict(seed=self.args.seed), 'work_dir': osp.join(self.work, name)}
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            if cfg.get(loader):
                opts[f'{loader}.dataset.num_classes'] = self.prof['num_classes']
        m = self.prof['model']
        if m is not None:   # the tiny profile also shortens the clips
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
                for i, step in enumerate((cfg.get(loader) or {}).get('dataset', {}).get(
                        'pipeline', [])):
                    if step['type'] == 'ValidCropResize':
                        opts[f'{loader}.dataset.pipeline.{i}.clip_len'] = m['clip_len']
                        if 'min_frames' in step:
                            opts[f'{loader}.dataset.pipeline.{i}.min_frames'] = 8
        opts.update(options)
        cfg.merge_from_dict(opts, allow_list_keys=True)
        path = osp.join(self.work, 'configs', name + '.py')
        os.makedirs(osp.dirname(path), exist_ok=True)
        cfg.dump(path)
        return cfg

    def pretrain_config(self) -> 'Config':  # noqa: F821
        m, e, opts = self.prof['model'], self.prof['pretrain_epochs'], {}
        if m is not None:
            size = dict(num_frames=m['clip_len'], embed_dim=m['embed_dim'],
                        num_heads=m['num_heads'])
            opts.update({'model.backbone': dict(size, depth=m['depth']),
                         'model.neck': dict(size, decoder_dim=m['embed_dim'], depth=1),
                         'model.contrast.queue_len': m['queue_len'],
                         'train_dataloader.batch_size': m['batch_size']})
        if e is not None:
            opts.update(_schedule(e, warmup=True))
        opts.update(self.args.pretrain_cfg_options or {})
        return self._config(PRETRAIN_CFG, 'pretrain', opts)

    def linear_config(self, name: str, checkpoint: Optional[str]) -> 'Config':  # noqa: F821
        m, e = self.prof['model'], self.prof['linear_epochs']
        init = (dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
                if checkpoint else None)
        preds = osp.join(self.work, name, 'preds.pkl')
        opts = {'model.backbone.init_cfg': init,
                'model.cls_head.num_classes': self.prof['num_classes'],
                'test_evaluator': [dict(type='AccMetric'),
                                   dict(type='DumpResults', out_file_path=preds)]}
        if m is not None:
            opts.update({'model.backbone': dict(num_frames=m['clip_len'],
                                                embed_dim=m['embed_dim'], depth=m['depth'],
                                                num_heads=m['num_heads'], init_cfg=init),
                         'model.cls_head.in_channels': m['embed_dim'],
                         'train_dataloader.batch_size': m['batch_size']})
        if e is not None:
            opts.update(_schedule(e, warmup=False))
        return self._config(LINEAR_CFG, name, opts)

    # ---- running ----------------------------------------------------------------------
    def step(self, name: str, outputs: List[str], fn: Callable[[], Dict]) -> Dict:
        """Run ``fn`` unless ``name``'s record and all its outputs exist; record its time."""
        from natmae_mm.utils.atomic import atomic_write_json, read_json
        record = osp.join(self.work, 'steps', name + '.json')
        done = read_json(record)
        if done is not None and all(osp.exists(p) for p in outputs):
            log(f'{name}: done already ({done["seconds"]:.0f}s earlier), skipped')
        else:
            log(f'{name}: running')
            start = time.time()
            done = dict(fn() or {})
            missing = [p for p in outputs if not osp.exists(p)]
            if missing:
                raise SystemExit(f'error: step {name} did not produce {missing}')
            done['seconds'] = round(time.time() - start, 1)
            atomic_write_json(record, done)
            log(f'{name}: finished in {done["seconds"]:.0f}s')
        self.seconds[name] = done['seconds']
        return done

    def train(self, name: str, cfg, test: bool) -> Dict:
        """One training through the shared stage engine, its console condensed to epochs."""
        from natmae_mm.evaluation.experiments import run_stage
        stream = ProgressFilter(name, osp.join(self.work, 'logs', name + '.log'))
        try:
            with contextlib.redirect_stdout(stream):
                result = run_stage(cfg, cfg.work_dir, f'demo_{name}', self.args.seed,
                                   test=test, logger=_DEMO_LOGGER)
        finally:
            stream.close()
        return dict(checkpoint=result['checkpoint'], metrics=result['metrics'])

    def run(self) -> Dict:
        from natmae_mm.datasets.synthetic import make_synthetic_dataset, save_annotation
        p, w = self.prof, self.work
        self.step('data', [self.ann], lambda: save_annotation(make_synthetic_dataset(
            num_classes=p['num_classes'], per_class=p['per_class'],
            num_performers=p['num_performers'], min_frames=p['min_frames'],
            max_frames=p['max_frames'], seed=self.args.seed), self.ann))

        pre_cfg = self.pretrain_config()
        pre = self.step('pretrain', [], lambda: self.train('pretrain', pre_cfg, test=False))
        results = {}
        for kind, weights in (('pretrained', pre['checkpoint']), ('random', None)):
            name = f'linear_{kind}'
            cfg = self.linear_config(name, weights)
            preds = osp.join(w, name, 'preds.pkl')
            lin = self.step(name, [preds], lambda cfg=cfg, name=name: self.train(
                name, cfg, test=True))
            feats = osp.join(w, f'features_{kind}.npz')
            knn = self.step(f'knn_{kind}', [feats], lambda cfg=cfg, lin=lin, feats=feats:
                            knn_eval(cfg, lin['checkpoint'], feats))
            results[kind] = dict(linear=lin, knn=knn, config=cfg)

        figs = [osp.join(w, 'tsne_pretrained.png'), osp.join(w, 'tsne_random.png'),
                osp.join(w, 'confusion_pretrained.png')]
        self.step('figures', figs, lambda: figures(w, figs, min(10, p['num_classes'])))
        return self.report(results, pre_cfg)

    def report(self, results: Dict, pre_cfg) -> Dict:
        rows = []
        for kind in ('pretrained', 'random'):
            acc, knn = results[kind]['linear']['metrics'], results[kind]['knn']
            rows.append(dict(encoder='NAT-MAE pretrained' if kind == 'pretrained'
                             else 'random init',
                             linear_top1=100 * acc['acc/top1'], linear_top5=100 * acc['acc/top5'],
                             knn_top1=knn['top1']))
        epochs = pre_cfg.train_cfg.max_epochs
        total = sum(self.seconds.values())
        lines = [f'| encoder (frozen) | linear top-1 | linear top-5 | k-NN top-1 (k={KNN_K}) |',
                 '|---|---|---|---|']
        lines += [f'| {r["encoder"]} | {r["linear_top1"]:.1f} | {r["linear_top5"]:.1f} | '
                  f'{r["knn_top1"]:.1f} |' for r in rows]
        s = self.settings
        lines += ['', f'Synthetic data: {s["num_classes"]} classes x {s["per_class"]} '
                  f'sequences, seed {s["seed"]}, split by performer (val = unseen performers).',
                  f'Pretraining: {epochs} epochs, batch {pre_cfg.train_dataloader.batch_size}. '
                  'Linear probe: frozen encoder, BN + linear, trained on augmented clips '
                  f'for {results["random"]["config"].train_cfg.max_epochs} epochs (the same '
                  f'recipe for both encoders); k-NN: cosine, k={KNN_K}, on frozen features.',
                  'Step times (s): ' + ', '.join(f'{k} {v:.0f}' for k, v in self.seconds.items())
                  + f'; total {total:.0f}s.',
                  'Figures: tsne_pretrained.png, tsne_random.png, confusion_pretrained.png']
        text = '\n'.join(lines) + '\n'
        from natmae_mm.utils.atomic import atomic_write_json, atomic_write_text
        atomic_write_text(osp.join(self.work, 'results.md'), text)
        summary = dict(rows=rows, settings=s, step_seconds=self.seconds,
                       total_seconds=round(total, 1))
        atomic_write_json(osp.join(self.work, 'results.json'), summary)
        print('\n' + text, flush=True)
        return summary


def knn_eval(cfg, checkpoint: str, feats_out: str) -> Dict[str, float]:
    """Frozen features of the train/val splits, k-NN top-1/top-5; features saved to npz."""
    import numpy as np

    from natmae_mm.evaluation.builders import build_feature_dataloader, build_model_from_checkpoint
    from natmae_mm.evaluation.features import extract_features
    from natmae_mm.evaluation.knn import knn_accuracy
    from natmae_mm.utils.atomic import atomic_path
    model = build_model_from_checkpoint(cfg, checkpoint, strict=False)
    train = extract_features(model, build_feature_dataloader(cfg, 'xsub_train', batch_size=64))
    val = extract_features(model, build_feature_dataloader(cfg, 'xsub_val', batch_size=64))
    acc = knn_accuracy(*train, *val, k=KNN_K)
    with atomic_path(feats_out, suffix='.npz') as tmp:
        np.savez(tmp, val_feats=val[0].numpy(), val_labels=val[1].numpy())
    return dict(top1=float(acc['top1']), top5=float(acc['top5']), num_val=len(val[1]))


def figures(work: str, outs: List[str], num_classes: int) -> None:
    """t-SNE of the first ``num_classes`` val classes of both encoders; probe confusion."""
    import numpy as np
    from mmaction.evaluation.functional import confusion_matrix

    from natmae_mm.datasets.synthetic import SYNTHETIC_CLASSES
    from natmae_mm.evaluation.plotting import plot_confusion, plot_tsne, tsne_embed
    from natmae_mm.evaluation.predictions import read_dump
    for kind, out in zip(('pretrained', 'random'), outs):
        data = np.load(osp.join(work, f'features_{kind}.npz'))
        keep = data['val_labels'] < num_classes
        emb = tsne_embed(data['val_feats'][keep])
        title = ('NAT-MAE pretrained encoder' if kind == 'pretrained' else 'random encoder')
        plot_tsne(emb, data['val_labels'][keep], out, SYNTHETIC_CLASSES,
                  f'{title} (val split)')
    scores, labels = read_dump(osp.join(work, 'linear_pretrained', 'preds.pkl'))
    cm = confusion_matrix(scores.argmax(1).astype(np.int64), labels.astype(np.int64))
    plot_confusion(cm, outs[2], SYNTHETIC_CLASSES, normalize=True,
                   title='linear probe on the pretrained encoder (val split)')


def _schedule(epochs: int, warmup: bool) -> Dict[str, Any]:
    """``param_scheduler`` / ``train_cfg`` / checkpoint overrides for ``epochs`` epochs."""
    ckpt = {'default_hooks.checkpoint.interval': epochs}
    if not warmup:
        return dict(ckpt, param_scheduler=[dict(
            type='CosineAnnealingLR', T_max=epochs, eta_min=0., by_epoch=True, begin=0,
            end=epochs, convert_to_iter_based=True)],
            train_cfg=dict(max_epochs=epochs, val_begin=epochs, val_interval=epochs))
    w = max(1, epochs // 10) if epochs > 1 else 0
    sched = [] if not w else [dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
                                   end=w, convert_to_iter_based=True)]
    sched.append(dict(type='CosineAnnealingLR', T_max=epochs - w, eta_min_ratio=0.5,
                      by_epoch=True, begin=w, end=epochs, convert_to_iter_based=True))
    return dict(ckpt, param_scheduler=sched, train_cfg=dict(max_epochs=epochs))


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='demo_output', help='outputs (default demo_output/)')
    parser.add_argument('--seed', type=int, default=0, help='data and training seed')
    parser.add_argument('--tiny', action='store_true',
                        help='tiny data, model and schedules (seconds; used by the tests)')
    parser.add_argument('--pretrain-epochs', type=int, help='override the pretraining epochs')
    parser.add_argument('--linear-epochs', type=int, help='override the linear-probe epochs')
    parser.add_argument('--pretrain-cfg-options', nargs='+', action=DictAction,
                        help='overrides of the pretraining config, e.g. '
                             'optim_wrapper.optimizer.lr=1e-3')
    return parser.parse_args(argv)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    start = time.time()
    log(f'work dir {osp.abspath(args.work_dir)} ({"tiny" if args.tiny else "full"} run, '
        f'seed {args.seed})')
    import natmae_mm  # noqa: F401  (registration)
    summary = Demo(args).run()
    log(f'finished in {time.time() - start:.0f}s (this invocation)')
    return summary


if __name__ == '__main__':
    from natmae_mm.utils.cli import cli_main
    cli_main(main)
