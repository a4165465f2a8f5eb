"""The embedded demo: NAT-MAE end to end on synthetic skeleton actions (``make demo``).

Stages (each writes its outputs atomically under ``--work-dir`` and records
itself in ``state.json``; a finished stage is skipped when the demo is rerun):

1. ``data``       tools/data/make_synthetic.py -> data/synthetic.pkl
2. ``pretrain``   tools/train.py with the demo NAT-MAE config (no labels)
3. ``extract``    tools/convert/extract_backbone.py -> backbone.pth
4. ``linear_pretrained`` / ``linear_random``: tools/train.py with the demo
   linear-probe config, on the pretrained or on a randomly initialised
   (frozen) encoder; then tools/test.py --dump on the val split
5. ``knn_*``      tools/analysis/knn_eval.py (cosine k-NN, k=20) for both encoders
6. ``figures``    tools/analysis/tsne.py (pretrained and random encoders) and
   tools/analysis/confusion_matrix.py of the pretrained linear probe

It ends with a table (pretrained vs random: linear-probe top-1/top-5, k-NN
top-1) printed and written to ``results.md`` / ``results.json``.

    python tools/run_demo.py                     # demo_output/, ~10 min on 2 CPU cores
    python tools/run_demo.py --tiny --work-dir /tmp/demo_tiny   # seconds, for tests
"""
import argparse
import json
import os
import os.path as osp
import re
import runpy
import subprocess
import sys
import time
from typing import Dict, List, Optional

ROOT = osp.abspath(osp.join(osp.dirname(osp.abspath(__file__)), '..'))
sys.path.insert(0, ROOT)
DEMO_CFG = osp.join(ROOT, 'configs', 'natmae', 'demo')
PRETRAIN_CFG = osp.join(DEMO_CFG, 'natmae_vit-4x64_demo-pretrain_synthetic.py')
LINEAR_CFG = osp.join(DEMO_CFG, 'vit-4x64_demo-linear_synthetic.py')

#: Sizes of a full and a tiny run. The full sizes are those of the demo configs.
PROFILES = {
    'full': dict(num_classes=16, per_class=80, num_performers=10, min_frames=40, max_frames=100,
                 pretrain_epochs=None, linear_epochs=None, model=None),
    'tiny': dict(num_classes=4, per_class=6, num_performers=3, min_frames=20, max_frames=30,
                 pretrain_epochs=1, linear_epochs=1,
                 model=dict(clip_len=16, embed_dim=16, depth=1, num_heads=2, batch_size=4,
                            queue_len=8)),
}


def log(msg: str) -> None:
    print(f'[demo {time.strftime("%H:%M:%S")}] {msg}', flush=True)


class Demo:
    """Runs the stages in order, skipping those recorded as done in ``state.json``."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = osp.abspath(args.work_dir)
        self.prof = dict(PROFILES['tiny' if args.tiny else 'full'])
        if args.pretrain_epochs:
            self.prof['pretrain_epochs'] = args.pretrain_epochs
        if args.linear_epochs:
            self.prof['linear_epochs'] = args.linear_epochs
        os.makedirs(self.work, exist_ok=True)
        self.state_file = osp.join(self.work, 'state.json')
        self.state = self._read_state()
        self.settings = dict(tiny=args.tiny, seed=args.seed, **{
            k: v for k, v in self.prof.items() if k != 'model'})
        if self.state.get('settings') not in (None, self.settings):
            raise SystemExit(f'error: {self.work} holds a demo run with other settings '
                             f'({self.state["settings"]}); use another --work-dir or delete it')
        self.state['settings'] = self.settings
        self.ann = osp.join(self.work, 'data', 'synthetic.pkl')

    # ---- bookkeeping ----------------------------------------------------------------
    def _read_state(self) -> Dict:
        if osp.isfile(self.state_file):
            with open(self.state_file) as f:
                return json.load(f)
        return {}

    def _save_state(self) -> None:
        from natmae_mm.utils.atomic import atomic_write_json
        atomic_write_json(self.state_file, self.state)

    def stage(self, name: str, fn, outputs: List[str]) -> Dict:
        """Run ``fn`` unless ``name`` is recorded done and all its outputs exist."""
        done = self.state.setdefault('stages', {}).get(name)
        if done is not None and all(osp.exists(p) for p in outputs):
            log(f'{name}: done already ({done["seconds"]:.0f}s earlier), skipped')
            return done
        log(f'{name}: running')
        start = time.time()
        result = fn() or {}
        missing = [p for p in outputs if not osp.exists(p)]
        if missing:
            raise SystemExit(f'error: stage {name} did not produce {missing}')
        result['seconds'] = round(time.time() - start, 1)
        self.state['stages'][name] = result
        self._save_state()
        log(f'{name}: finished in {result["seconds"]:.0f}s')
        return result

    # ---- configs of this run --------------------------------------------------------
    def write_config(self, name: str, base: str, body: List[str]) -> str:
        """``configs/<name>.py`` in the work dir: inherits ``base``, sets data and sizes.

        ``body`` lines may use ``{train}`` / ``{test}`` for the dataset overrides.
        """
        m = self.prof['model']
        lines = [f'_base_ = [{base!r}]', f'ann_file = {self.ann!r}',
                 f'num_classes = {self.prof["num_classes"]}',
                 f'randomness = dict(seed={self.args.seed})']
        pipe = {'train': '', 'test': ''}
        if m is not None:   # the tiny profile also shortens the clips
            lines += [
                f'clip_len = {m["clip_len"]}',
                'train_pipeline = [',
                "    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.5, 1.0),",
                '         min_frames=8),',
                "    dict(type='RandomRot3D', theta=0.3),",
                "    dict(type='FormatGCNInput', num_person=2, mode='loop'),",
                "    dict(type='PackActionInputs')]",
                'test_pipeline = [',
                "    dict(type='ValidCropResize', clip_len=clip_len, p_interval=(0.95, ),",
                '         test_mode=True),',
                "    dict(type='FormatGCNInput', num_person=2, mode='loop'),",
                "    dict(type='PackActionInputs')]"]
            pipe = {'train': ', pipeline=train_pipeline', 'test': ', pipeline=test_pipeline'}
        ds = {k: f'dict(ann_file=ann_file, num_classes=num_classes{v})' for k, v in pipe.items()}
        lines += [b.format(**ds) for b in body]
        path = osp.join(self.work, 'configs', name + '.py')
        from natmae_mm.utils.atomic import atomic_write_text
        atomic_write_text(path, '\n'.join(lines) + '\n')
        return path

    def pretrain_config(self) -> str:
        m, e = self.prof['model'], self.prof['pretrain_epochs']
        if m is None:
            body = ['train_dataloader = dict(dataset={train})']
        else:
            size = (f'num_frames={m["clip_len"]}, embed_dim={m["embed_dim"]}, '
                    f'num_heads={m["num_heads"]}')
            body = [f'model = dict(backbone=dict({size}, depth={m["depth"]}),',
                    f'    neck=dict({size}, decoder_dim={m["embed_dim"]}, depth=1),',
                    f'    contrast=dict(queue_len={m["queue_len"]}))',
                    f'train_dataloader = dict(batch_size={m["batch_size"]}, '
                    'dataset={train})']
        if e is not None:
            body.append(_schedule(e, warmup=True))
        return self.write_config('pretrain', PRETRAIN_CFG, body)

    def linear_config(self, name: str, pretrained: Optional[str]) -> str:
        m, e = self.prof['model'], self.prof['linear_epochs']
        init = (f"dict(type='Pretrained', checkpoint={pretrained!r}, prefix='backbone.')"
                if pretrained else 'None')
        backbone, head, batch = f'init_cfg={init}', 'num_classes=num_classes', ''
        if m is not None:
            backbone += (f', num_frames={m["clip_len"]}, embed_dim={m["embed_dim"]}, '
                         f'depth={m["depth"]}, num_heads={m["num_heads"]}')
            head += f', in_channels={m["embed_dim"]}'
            batch = f'batch_size={m["batch_size"]}, '
        body = [f'model = dict(backbone=dict({backbone}), cls_head=dict({head}))',
                f'train_dataloader = dict({batch}' + 'dataset={train})',
                'val_dataloader = dict(dataset={test})',
                'test_dataloader = val_dataloader']
        if e is not None:
            body.append(_schedule(e, warmup=False))
        return self.write_config(name, LINEAR_CFG, body)

    # ---- running tools --------------------------------------------------------------
    def tool(self, script: str, *argv: str, log_name: str) -> None:
        """Run a repository tool in a subprocess; keep its log; show condensed progress.

        With ``--in-process`` the tool's ``main(argv)`` runs in this process instead
        (no interpreter start-up per stage; its log goes to the console).
        """
        if self.args.in_process:
            self.run_in_process(script, list(argv))
            return
        cmd = [sys.executable, osp.join(ROOT, script), *argv]
        log_path = osp.join(self.work, 'logs', log_name + '.log')
        os.makedirs(osp.dirname(log_path), exist_ok=True)
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
        with open(log_path, 'w') as logf:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, cwd=ROOT, env=env)
            for line in proc.stdout:
                logf.write(line)
                m = re.search(r'Epoch\((train|val|test)\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\].*?'
                              r'(loss: [\d.]+|acc/top1: [\d.]+)?', line)
                if m and (m.group(3) == m.group(4) or m.group(1) != 'train'):
                    log(f'  {log_name}: epoch {m.group(2)} {m.group(1)} '
                        f'{m.group(3)}/{m.group(4)} ' + _loss(line))
            rc = proc.wait()
        if rc != 0:
            with open(log_path) as f:
                tail = ''.join(f.readlines()[-25:])
            raise SystemExit(f'error: {" ".join(cmd)} failed (exit {rc}); log {log_path}:\n'
                             f'{tail}')

    def run_in_process(self, script: str, argv: List[str]):
        return runpy.run_path(osp.join(ROOT, script), run_name='demo_tool')['main'](argv)

    # ---- stages ---------------------------------------------------------------------
    def run(self) -> Dict:
        p, w = self.prof, self.work
        self.stage('data', lambda: self.run_in_process('tools/data/make_synthetic.py', [
            self.ann, '--num-classes', str(p['num_classes']), '--per-class',
            str(p['per_class']), '--num-performers', str(p['num_performers']),
            '--min-frames', str(p['min_frames']), '--max-frames', str(p['max_frames']),
            '--seed', str(self.args.seed)]), [self.ann])

        pre_cfg = self.pretrain_config()
        pre_dir = osp.join(w, 'pretrain')
        last = osp.join(pre_dir, 'last_checkpoint')
        self.stage('pretrain', lambda: self.tool(
            'tools/train.py', pre_cfg, '--work-dir', pre_dir, '--resume',
            log_name='pretrain'), [last])
        with open(last) as f:
            pre_ckpt = f.read().strip()

        backbone = osp.join(w, 'backbone.pth')
        self.stage('extract', lambda: self.tool(
            'tools/convert/extract_backbone.py', pre_ckpt, backbone, log_name='extract'),
            [backbone])

        results = {}
        for kind, weights in (('pretrained', backbone), ('random', None)):
            name = f'linear_{kind}'
            cfg = self.linear_config(name, weights)
            run_dir = osp.join(w, name)
            preds = osp.join(run_dir, 'preds.pkl')

            def train_and_test(cfg=cfg, run_dir=run_dir, preds=preds, name=name):
                self.tool('tools/train.py', cfg, '--work-dir', run_dir, '--resume',
                          log_name=name)
                with open(osp.join(run_dir, 'last_checkpoint')) as f:
                    ckpt = f.read().strip()
                self.tool('tools/test.py', cfg, ckpt, '--work-dir', run_dir, '--dump', preds,
                          log_name=name + '_test')
                return dict(accuracy(preds), checkpoint=ckpt, config=cfg)
            results[kind] = self.stage(name, train_and_test, [preds])

            # k-NN on the probe's frozen encoder: the same random weights as linear_random
            knn_json = osp.join(w, f'knn_{kind}.json')
            ckpt = results[kind]['checkpoint']
            self.stage(f'knn_{kind}', lambda cfg=cfg, ckpt=ckpt, knn_json=knn_json: {
                k: v for k, v in self.run_in_process('tools/analysis/knn_eval.py', [
                    cfg, ckpt, '--k', '20', '--out', knn_json]).items()
                if k in ('top1', 'top5')}, [knn_json])

        figs = [osp.join(w, 'tsne_pretrained.png'), osp.join(w, 'tsne_random.png'),
                osp.join(w, 'confusion_pretrained.png')]

        def figures():
            n = str(min(10, p['num_classes']))
            self.run_in_process('tools/analysis/tsne.py', [
                pre_cfg, pre_ckpt, '--out', figs[0], '--classes', n,
                '--title', 'NAT-MAE pretrained encoder (val split)'])
            self.run_in_process('tools/analysis/tsne.py', [
                self.state['stages']['linear_random']['config'],
                self.state['stages']['linear_random']['checkpoint'], '--out', figs[1],
                '--classes', n, '--title', 'random encoder (val split)'])
            self.run_in_process('tools/analysis/confusion_matrix.py', [
                '--pred', osp.join(w, 'linear_pretrained', 'preds.pkl'), '--out', figs[2]])
        self.stage('figures', figures, figs)
        return self.report()

    def report(self) -> Dict:
        st = self.state['stages']
        rows = []
        for kind in ('pretrained', 'random'):
            lin, knn = st[f'linear_{kind}'], st[f'knn_{kind}']
            rows.append(dict(encoder='NAT-MAE pretrained' if kind == 'pretrained'
                             else 'random init', linear_top1=lin['top1'],
                             linear_top5=lin['top5'], knn_top1=knn['top1']))
        total = sum(s['seconds'] for s in st.values())
        lines = ['| encoder (frozen) | linear top-1 | linear top-5 | k-NN top-1 (k=20) |',
                 '|---|---|---|---|']
        lines += [f'| {r["encoder"]} | {r["linear_top1"]:.1f} | {r["linear_top5"]:.1f} | '
                  f'{r["knn_top1"]:.1f} |' for r in rows]
        s = self.settings
        lines += ['', f'Synthetic data: {s["num_classes"]} classes x {s["per_class"]} '
                  f'sequences, seed {s["seed"]}, split by performer (val = unseen performers).',
                  'Stage times (s): ' + ', '.join(f'{k} {v["seconds"]:.0f}'
                                                  for k, v in st.items())
                  + f'; total {total:.0f}s.',
                  'Figures: tsne_pretrained.png, tsne_random.png, confusion_pretrained.png']
        text = '\n'.join(lines) + '\n'
        from natmae_mm.utils.atomic import atomic_write_json, atomic_write_text
        atomic_write_text(osp.join(self.work, 'results.md'), text)
        summary = dict(rows=rows, settings=s, total_seconds=round(total, 1))
        atomic_write_json(osp.join(self.work, 'results.json'), summary)
        print('\n' + text, flush=True)
        return summary


def _schedule(epochs: int, warmup: bool) -> str:
    """A param_scheduler/train_cfg override for ``epochs`` epochs."""
    if warmup:
        w = max(1, epochs // 10) if epochs > 1 else 0
        sched = [] if not w else [
            f"dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end={w}, "
            'convert_to_iter_based=True)']
        sched.append(f"dict(type='CosineAnnealingLR', T_max={epochs - w}, eta_min_ratio=0.5, "
                     f'by_epoch=True, begin={w}, end={epochs}, convert_to_iter_based=True)')
        return (f'param_scheduler = [{", ".join(sched)}]\ntrain_cfg = dict(max_epochs={epochs})\n'
                f'default_hooks = dict(checkpoint=dict(interval={epochs}))')
    return (f"param_scheduler = [dict(type='CosineAnnealingLR', T_max={epochs}, eta_min=0., "
            f'by_epoch=True, begin=0, end={epochs}, convert_to_iter_based=True)]\n'
            f'train_cfg = dict(max_epochs={epochs}, val_begin={epochs}, val_interval={epochs})\n'
            f'default_hooks = dict(checkpoint=dict(interval={epochs}))')


def _loss(line: str) -> str:
    keys = ('loss', 'loss_rec', 'loss_con', 'acc/top1', 'lr')
    found = [f'{k} {m.group(1)}' for k in keys
             for m in [re.search(rf'\s{re.escape(k)}: ([-\d.e]+)', line)] if m]
    return ' '.join(found)


def accuracy(pred_file: str) -> Dict[str, float]:
    """Top-1/top-5 (%) of a ``tools/test.py --dump`` file."""
    import torch

    from natmae_mm.evaluation.knn import topk_accuracy
    tool = runpy.run_path(osp.join(ROOT, 'tools/analysis/confusion_matrix.py'),
                          run_name='demo_tool')
    scores, labels = tool['read_dump'](pred_file)
    acc = topk_accuracy(torch.from_numpy(scores), torch.from_numpy(labels))
    return dict(acc, num_val=int(len(labels)))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='demo_output', help='outputs (default demo_output/)')
    parser.add_argument('--seed', type=int, default=0, help='data and training seed')
    parser.add_argument('--tiny', action='store_true',
                        help='tiny data, model and schedules (seconds; used by the tests)')
    parser.add_argument('--in-process', action='store_true',
                        help='run train/test in this process (faster start-up; used by tests)')
    parser.add_argument('--pretrain-epochs', type=int, help='override the pretraining epochs')
    parser.add_argument('--linear-epochs', type=int, help='override the linear-probe epochs')
    return parser.parse_args(argv)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    start = time.time()
    log(f'work dir {osp.abspath(args.work_dir)} ({"tiny" if args.tiny else "full"} run, '
        f'seed {args.seed})')
    summary = Demo(args).run()
    log(f'finished in {time.time() - start:.0f}s (this invocation)')
    return summary


if __name__ == '__main__':
    main()
